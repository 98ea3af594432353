/**
 * Any server serves any member: two `millrace start` servers over one
 * PostgreSQL database, and two Python workers (examples/python/worker.py)
 * that send each call to the servers in turn, as a round-robin balancer
 * would. A call that lands on the server not hosting its member is passed on
 * to the one that does. Then one server is killed (`kill -9`) mid-run: the
 * workers keep their members (the other server takes them over), and every
 * event is handled, first handlings of each stream in version order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Millrace, postgres } from '../../src/index.js';
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

const STREAMS = 40;
const CONSUMER = 'balanced';

describe('two servers, workers calling both in turn', () => {
  const schema = uniqueSchema('balanced');
  const servers: CliProcess[] = [];
  const urls: string[] = [];
  const workers: CliProcess[] = [];
  let millrace: Millrace;

  const handled = () =>
    workers.flatMap((worker) => jsonLines(worker.stdout) as unknown as Handling[]);

  const publish = (from: number, count: number) =>
    publishRound(millrace, 'task', STREAMS, from, count);
  const allHandled = (ids: readonly string[], what: string) =>
    allHandledBy(handled, ids, what, 90_000);

  beforeAll(async () => {
    assertBuilt();
    assertPython();
    millrace = await Millrace.open({
      provider: postgres({ connectionString: TEST_DATABASE_URL, schema }),
    });
    for (let i = 0; i < 2; i++) {
      const started = await startServer(tempDir(), [
        '--database-url',
        TEST_DATABASE_URL,
        '--schema',
        schema,
      ]);
      servers.push(started.server);
      urls.push(started.info.url);
    }
  });

  afterAll(async () => {
    for (const worker of workers) await worker.stop('SIGKILL');
    for (const server of servers) await server.stop('SIGKILL');
    await millrace?.close();
    await dropSchema(schema);
    removeTempDirs();
  });

  it('serves each member from either server, and loses none when one is killed', async () => {
    const dir = tempDir();
    for (let i = 0; i < 2; i++) {
      const args = [PYTHON_WORKER, '--consumer', CONSUMER, '--sequence', 'category:task'];
      args.push('--partitions', '6', '--max', '50', '--session-timeout-ms', '5000');
      // The second worker starts on the other server: each server hosts one member.
      for (const url of i === 0 ? urls : [...urls].reverse()) args.push('--url', url);
      workers.push(new CliProcess(args, { cwd: dir, command: ['python3'] }));
    }
    for (const worker of workers) await worker.waitForOutput('"started"');
    const started = workers.map((worker) => {
      const line = jsonLines(worker.stderr).find((entry) => 'started' in entry);
      return line?.started as string;
    });

    const ids = await publish(0, 2000);
    await allHandled(ids, 'the first 2,000 events handled through both servers');
    for (const worker of workers) expect(jsonLines(worker.stdout).length).toBeGreaterThan(0);

    // Kill the server hosting the first worker's member while events flow.
    const more = publish(2000, 2000);
    await waitFor(() => handled().length > 2300, 'the next events starting', 30_000);
    await (servers[0] as CliProcess).stop('SIGKILL');
    await allHandled(await more, 'every event after a server was killed');

    // The surviving server took the first worker's member over, under a new identity among
    // the consumer's members; the second worker's member never moved.
    const status = await fetch(`${urls[1]}/v1/consumers/${CONSUMER}`);
    const members = ((await status.json()) as { members: { id: string }[] }).members.map(
      (m) => m.id,
    );
    expect(members).toHaveLength(2);
    expect(members).toContain(started[1]);
    const takenOver = members.find((id) => id !== started[1]);
    expect(takenOver).toMatch(new RegExp(`^${started[0]}\\.[0-9a-f]{6}$`));

    // Neither worker saw its member end: each still runs under the id it started with.
    for (const [i, worker] of workers.entries()) {
      expect(worker.child.exitCode, worker.stderr).toBeNull();
      const starts = jsonLines(worker.stderr).filter((entry) => 'started' in entry);
      expect(starts.map((entry) => entry.started)).toEqual([started[i]]);
      expect(worker.stderr).not.toMatch(/member_(expired|stopped|closed)|Traceback/);
    }

    // First handlings of each stream come in version order, across the kill.
    const firsts = firstHandlingsInOrder(handled());
    expect(firsts.size).toBe(4000);
  });
});
