/**
 * Any server serves any member: two `millrace start` servers over one
 * PostgreSQL database, and two Python workers (examples/python/worker.py)
 * that send each call to the servers in turn, as a round-robin balancer
 * would. A call that lands on the server not hosting its member is passed on
 * to the one that does. Then one server is killed (`kill -9`) mid-run: the
 * workers keep their members (the other server takes them over), and every
 * event is handled, first handlings of each stream in version order. Then
 * a third server is frozen (`SIGSTOP`) past its lease: the live one takes its
 * worker's member over, the worker keeps it while it tries the frozen server
 * again now and then, and thawed, the frozen one lets the member go.
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

  /** One more `millrace start` over the test's schema. */
  const serve = () =>
    startServer(tempDir(), ['--database-url', TEST_DATABASE_URL, '--schema', schema]);

  /** A worker calling these servers in turn; its member starts on the first. */
  function worker(serverUrls: readonly string[]): CliProcess {
    const args = [PYTHON_WORKER, '--consumer', CONSUMER, '--sequence', 'category:task'];
    args.push('--partitions', '6', '--max', '50', '--session-timeout-ms', '5000');
    for (const url of serverUrls) args.push('--url', url);
    const started = new CliProcess(args, { cwd: tempDir(), command: ['python3'] });
    workers.push(started);
    return started;
  }

  async function memberIdOf(started: CliProcess): Promise<string> {
    // The whole line: a pipe may hand over its text before its newline.
    await started.waitForOutput(/"started": "[^"]+"\}\n/);
    return jsonLines(started.stderr).find((entry) => 'started' in entry)?.started as string;
  }

  /** The calls the third worker gave up on `url` for (the server down or silent). */
  const unreachableCalls = (url: string) =>
    jsonLines((workers[2] as CliProcess).stderr).filter((entry) => entry.unreachable === url);

  /** The consumer's members, by their identity among its members (taken over: a suffix). */
  async function membersVia(url: string): Promise<string[]> {
    const status = await fetch(`${url}/v1/consumers/${CONSUMER}`);
    return ((await status.json()) as { members: { id: string }[] }).members.map((m) => m.id);
  }

  const takenOverFrom = (id: string) => new RegExp(`^${id}\\.[0-9a-f]{6}$`);

  /** Each worker still runs under the member it started with, never told it ended. */
  function expectMembersKept(ids: readonly string[]): void {
    for (const [i, running] of workers.entries()) {
      expect(running.child.exitCode, running.stderr).toBeNull();
      const starts = jsonLines(running.stderr).filter((entry) => 'started' in entry);
      expect(starts.map((entry) => entry.started)).toEqual([ids[i]]);
      expect(running.stderr).not.toMatch(/member_(expired|stopped|closed)|Traceback/);
    }
  }

  beforeAll(async () => {
    assertBuilt();
    assertPython();
    millrace = await Millrace.open({
      provider: postgres({ connectionString: TEST_DATABASE_URL, schema }),
    });
    for (let i = 0; i < 2; i++) {
      const started = await serve();
      servers.push(started.server);
      urls.push(started.info.url);
    }
  });

  afterAll(async () => {
    for (const w of workers)
      console.log(
        w.stderr
          .split('\n')
          .filter((l) => !l.includes('fenced'))
          .join('\n'),
      );
    for (const worker of workers) await worker.stop('SIGKILL');
    for (const server of servers) await server.stop('SIGKILL');
    await millrace?.close();
    await dropSchema(schema);
    removeTempDirs();
  });

  const started: string[] = [];

  it('serves each member from either server, and loses none when one is killed', async () => {
    // The second worker starts on the other server: each server hosts one member.
    started.push(await memberIdOf(worker(urls)), await memberIdOf(worker([...urls].reverse())));

    const ids = await publish(0, 2000);
    await allHandled(ids, 'the first 2,000 events handled through both servers');
    for (const running of workers) expect(jsonLines(running.stdout).length).toBeGreaterThan(0);

    // Kill the server hosting the first worker's member while events flow, and publish more
    // after: some wait for its member's partitions, however fast the first ones went.
    const more = publish(2000, 1000);
    await waitFor(() => handled().length > 2100, 'the next events starting', 30_000);
    await (servers[0] as CliProcess).stop('SIGKILL');
    const afterKill = publish(3000, 1000);

    // The surviving server takes the first worker's member over, under a new identity among
    // the consumer's members; the second worker's member never moves.
    await waitFor(
      async () =>
        (await membersVia(urls[1] as string)).some((id) =>
          takenOverFrom(started[0] as string).test(id),
        ),
      "the live server to take the killed server's member over",
      60_000,
    );
    await allHandled(
      [...(await more), ...(await afterKill)],
      'every event after a server was killed',
    );
    const members = await membersVia(urls[1] as string);
    expect(members).toHaveLength(2);
    expect(members).toContain(started[1]);
    expect(members.find((id) => id !== started[1])).toMatch(takenOverFrom(started[0] as string));
    expectMembersKept(started);

    // First handlings of each stream come in version order, across the kill.
    const firsts = firstHandlingsInOrder(handled());
    expect(firsts.size).toBe(4000);
  });

  it("serves a frozen server's member elsewhere, and the thawed server lets it go", async () => {
    const third = await serve();
    servers.push(third.server);
    const [frozenUrl, liveUrl] = [third.info.url, urls[1] as string];
    started.push(await memberIdOf(worker([frozenUrl, liveUrl])));
    const mine = started[2] as string;
    await allHandled(await publish(4000, 500), 'events handled with a third server');

    // Freeze the third server past its lease: the other takes its member over once the
    // worker calls it.
    process.kill(third.server.child.pid as number, 'SIGSTOP');
    const whileFrozen = await publish(4500, 1000);
    await waitFor(
      async () => (await membersVia(liveUrl)).some((id) => takenOverFrom(mine).test(id)),
      "the live server to take the frozen server's member over",
      60_000,
    );
    await allHandled(whileFrozen, 'the events published while a server was frozen');

    // Still frozen: the worker tries that server again after a rest, and gives up on it in
    // time to reach the live one before its member's session (5 s) lapses there.
    const triedBefore = unreachableCalls(frozenUrl).length;
    const afterTakeover = publish(5500, 500);
    await waitFor(
      () => unreachableCalls(frozenUrl).length > triedBefore,
      'the worker to try the frozen server again',
      60_000,
    );
    await allHandled(await afterTakeover, 'the events published after the takeover, frozen');
    process.kill(third.server.child.pid as number, 'SIGCONT');

    // Thawed, it hosts the member no more: its old identity leaves the consumer, and the
    // worker's calls to it are passed on to the member's new server.
    await waitFor(
      async () => !(await membersVia(frozenUrl)).includes(mine),
      'the thawed server to let the member go',
      30_000,
    );
    await allHandled(await publish(6000, 500), 'events handled after the thaw');
    expectMembersKept(started);
    expect(firstHandlingsInOrder(handled()).size).toBe(6500);
  });
});
