/**
 * Workers in another language: two Python workers (examples/python/worker.py,
 * standard library only) and a Node library member compete on one consumer
 * through a real `millrace start` server over PostgreSQL. Every event is
 * handled at least once, first handlings of each stream in version order.
 * Then one Python worker is killed (`kill -9`): its partitions move on after
 * its session timeout and what it held is handled by the others. Then the
 * other is frozen (`SIGSTOP`) past its session timeout and thawed: it finds
 * its member ended (`member_expired`) and stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Millrace, postgres, type Consumer } from '../../src/index.js';
import { CliProcess, assertBuilt, removeTempDirs, startServer, tempDir } from '../support/cli.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/database.js';
import {
  PYTHON_WORKER,
  allHandled as allHandledBy,
  assertPython,
  firstHandlingsInOrder,
  jsonLines,
  publishRound,
  type Handling,
} from '../support/python-workers.js';
import { waitFor } from '../support/wait.js';

const STREAMS = 50;
const CONSUMER = 'python-billing';
const SESSION_TIMEOUT_MS = 3000;

function handlingsOf(worker: CliProcess): Handling[] {
  return jsonLines(worker.stdout) as unknown as Handling[];
}

describe('Python workers over HTTP beside a library member', () => {
  const schema = uniqueSchema('python');
  let server: CliProcess;
  let url: string;
  let millrace: Millrace;
  let library: Consumer;
  const inNode: Handling[] = [];
  const workers: CliProcess[] = [];

  const pythonWorker = (dir: string) => {
    const worker = new CliProcess(
      [
        PYTHON_WORKER,
        '--url',
        url,
        '--consumer',
        CONSUMER,
        '--sequence',
        'category:order',
        '--partitions',
        '6',
        '--max',
        '50',
        '--session-timeout-ms',
        String(SESSION_TIMEOUT_MS),
      ],
      { cwd: dir, command: ['python3'] },
    );
    workers.push(worker);
    return worker;
  };

  const handled = () => [...workers.flatMap(handlingsOf), ...inNode];

  const publish = (from: number, count: number) =>
    publishRound(millrace, 'order', STREAMS, from, count);
  const allHandled = (ids: readonly string[], what: string) =>
    allHandledBy(handled, ids, what, 60_000);

  beforeAll(async () => {
    assertBuilt();
    assertPython();
    const dir = tempDir();
    const started = await startServer(dir, [
      '--database-url',
      TEST_DATABASE_URL,
      '--schema',
      schema,
    ]);
    server = started.server;
    url = started.info.url;
    millrace = await Millrace.open({
      provider: postgres({ connectionString: TEST_DATABASE_URL, schema }),
    });
    library = millrace.consumer({
      name: CONSUMER,
      sequence: { category: 'order' },
      partitions: 6,
      handler: (event) =>
        void inNode.push({
          id: event.id,
          stream: event.stream,
          version: event.version,
          at: (performance.timeOrigin + performance.now()) / 1000,
        }),
    });
    await library.start();
  });

  afterAll(async () => {
    for (const worker of workers) await worker.stop('SIGKILL');
    await library?.stop();
    await millrace?.close();
    await server?.stop();
    await dropSchema(schema);
    removeTempDirs();
  });

  it('share the work, each stream in order, and ride out a killed and a frozen worker', async () => {
    const dir = tempDir();
    const first = pythonWorker(dir);
    const second = pythonWorker(dir);
    await first.waitForOutput('"started"');
    await second.waitForOutput('"started"');
    const ids = await publish(0, 2000);
    await allHandled(ids, 'the first 2,000 events handled');
    // All three members took part.
    expect(handlingsOf(first).length).toBeGreaterThan(0);
    expect(handlingsOf(second).length).toBeGreaterThan(0);
    expect(inNode.length).toBeGreaterThan(0);
    // First handlings of each stream come in version order, whoever handled them.
    firstHandlingsInOrder(handled());

    // kill -9 one worker while events flow: what it held is handled by the others.
    const more = publish(2000, 1000);
    await waitFor(() => handled().length > 2100, 'the next events starting', 30_000);
    await first.stop('SIGKILL');
    await allHandled(await more, 'every event after a worker was killed');

    // Freeze the other past its session timeout: thawed, it finds its member ended.
    process.kill(second.child.pid as number, 'SIGSTOP');
    const whileFrozen = await publish(3000, 200);
    await allHandled(whileFrozen, 'the events published while a worker was frozen');
    process.kill(second.child.pid as number, 'SIGCONT');
    const ended = await second.exited;
    expect(ended.stderr).toContain('member_expired');
  });
});
