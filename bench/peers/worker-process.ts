/**
 * One worker process of the peer benchmark: opens a system on the place the
 * parent created, starts its workers when told to, and reports every job it
 * handles (number, enqueue-to-handler latency) back over IPC in small
 * batches. Started by workers.ts with `node --import tsx`.
 */
import type { HandlerKind } from './handlers.js';
import { makeHandler } from './handlers.js';
import type { Job, Place } from './system.js';
import { systemNamed } from './systems.js';
import { latencyOf } from './tally.js';

export interface WorkerArguments {
  readonly system: string;
  readonly place: Place;
  readonly concurrency: number;
  readonly handler: HandlerKind;
}

/**
 * `die`: from now on every job this process's workers start hangs unfinished
 * (as work in hand does when a process is killed); once one has, what was
 * handled is reported and the process kills itself (SIGKILL), so the run
 * knows exactly what it finished and the system is left with work in hand.
 */
export type ToWorker = { type: 'go' } | { type: 'stop' } | { type: 'die' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'working' }
  | { type: 'handled'; ns: number[]; latencies: (number | null)[] }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

const send = (message: FromWorker) => process.send?.(message);
const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArguments;

let ns: number[] = [];
let latencies: (number | null)[] = [];
function flush(sent?: () => void): void {
  if (ns.length === 0) {
    sent?.();
    return;
  }
  const message: FromWorker = { type: 'handled', ns, latencies };
  if (sent) process.send?.(message, undefined, {}, () => sent());
  else send(message);
  ns = [];
  latencies = [];
}

/** `dying` from a `die` message until the first job that hangs, which ends the process. */
let fate: 'working' | 'dying' | 'ending' = 'working';
/** A job started after `die`: it never finishes; the first one ends the process. */
function hang(): Promise<void> {
  if (fate === 'dying') {
    fate = 'ending';
    clearInterval(flusher);
    flush(() => process.kill(process.pid, 'SIGKILL'));
  }
  return new Promise<void>(() => undefined);
}
const flusher = setInterval(flush, 20);
// The parent gone (it failed, or was killed): nobody is counting any more.
process.on('disconnect', () => process.exit(1));

try {
  const system = await systemNamed(args.system).open(args.place);
  const handle = makeHandler(args.handler, (job) => {
    ns.push(job.n);
    latencies.push(latencyOf(job) ?? null);
    if (ns.length >= 2000) flush();
  });
  const handler = (job: Job) => (fate === 'working' ? handle(job) : hang());
  let stop: (() => Promise<void>) | undefined;
  process.on('message', (message: ToWorker) => {
    void (async () => {
      try {
        if (message.type === 'die') {
          fate = 'dying';
        } else if (message.type === 'go') {
          stop = await system.work(args.concurrency, handler);
          send({ type: 'working' });
        } else {
          await stop?.();
          await system.close();
          flush();
          clearInterval(flusher);
          send({ type: 'stopped' });
          process.exit(0);
        }
      } catch (error) {
        send({ type: 'failed', message: (error as Error).stack ?? String(error) });
        process.exit(1);
      }
    })();
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', message: (error as Error).stack ?? String(error) });
  process.exit(1);
}
