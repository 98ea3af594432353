/**
 * The workers of one run: in `processes` child processes (worker-process.ts),
 * or, for an embedded system, in this process beside the enqueuer, since
 * only one process can open its data directory. Either way every handled
 * job lands in the run's tally.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeHandler, type HandlerKind } from './handlers.js';
import type { PeerSystem, Place, SystemKind } from './system.js';
import { machineMs, latencyOf, type Tally } from './tally.js';
import type { FromWorker, ToWorker, WorkerArguments } from './worker-process.js';

export interface RunOptions {
  readonly processes: number;
  /** Handlers at once in each process. */
  readonly concurrency: number;
  readonly handler: HandlerKind;
  readonly tally: Tally;
}

export interface Run {
  /** Enqueues, from this process. */
  readonly enqueuer: PeerSystem;
  /** Starts every worker; resolves once all are working. */
  go(): Promise<void>;
  /**
   * Has worker process `index` kill itself with work in hand (see `die` in
   * worker-process.ts); resolves with the time its exit was seen (machineMs).
   */
  kill(index: number): Promise<number>;
  /** Stops the workers and closes the enqueuer. */
  stop(): Promise<void>;
}

const WORKER = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export async function openRun(kind: SystemKind, place: Place, options: RunOptions): Promise<Run> {
  if (kind.embedded) return openEmbedded(kind, place, options);
  const children = await Promise.all(
    Array.from({ length: options.processes }, () => spawnWorker(kind, place, options)),
  );
  const enqueuer = await kind.open(place);
  return {
    enqueuer,
    async go() {
      await Promise.all(children.map((child) => child.request({ type: 'go' }, 'working')));
    },
    async kill(index) {
      const child = children[index];
      if (!child) throw new Error(`no worker process ${index}`);
      return child.die();
    },
    async stop() {
      await Promise.all(children.map((child) => child.stop()));
      await enqueuer.close();
    },
  };
}

async function openEmbedded(kind: SystemKind, place: Place, options: RunOptions): Promise<Run> {
  if (options.processes !== 1) throw new Error(`${kind.name} runs in one process only`);
  const system = await kind.open(place);
  const handler = makeHandler(options.handler, (job) =>
    options.tally.record(job.n, latencyOf(job)),
  );
  let stopWorkers: (() => Promise<void>) | undefined;
  return {
    enqueuer: system,
    async go() {
      stopWorkers = await system.work(options.concurrency, handler);
    },
    kill() {
      return Promise.reject(new Error(`${kind.name} runs in this process: it cannot be killed`));
    },
    async stop() {
      await stopWorkers?.();
      await system.close();
    },
  };
}

interface WorkerChild {
  request(message: ToWorker, answer: FromWorker['type']): Promise<void>;
  die(): Promise<number>;
  stop(): Promise<void>;
}

async function spawnWorker(
  kind: SystemKind,
  place: Place,
  options: RunOptions,
): Promise<WorkerChild> {
  const args: WorkerArguments = {
    system: kind.name,
    place,
    concurrency: options.concurrency,
    handler: options.handler,
  };
  const child: ChildProcess = fork(WORKER, [JSON.stringify(args)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  child.on('message', (message: FromWorker) => {
    if (message.type === 'handled') {
      message.ns.forEach((n, i) => options.tally.record(n, message.latencies[i] ?? undefined));
    } else if (message.type === 'failed') {
      fail(new Error(`${kind.name} worker failed: ${message.message}`));
    } else {
      waiting.get(message.type)?.resolve();
      waiting.delete(message.type);
    }
  });
  let exitedAt = Number.NaN;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exitedAt = machineMs();
      resolve();
    }),
  );
  void exited.then(() => fail(new Error(`${kind.name} worker process exited`)));
  const expect = (answer: FromWorker['type']) =>
    new Promise<void>((resolve, reject) => {
      if (failure) reject(failure);
      else waiting.set(answer, { resolve, reject });
    });
  await expect('ready');
  return {
    async request(message, answer) {
      const answered = expect(answer);
      child.send(message);
      await answered;
    },
    async die() {
      child.send({ type: 'die' } satisfies ToWorker);
      await exited;
      return exitedAt;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' } satisfies ToWorker);
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
