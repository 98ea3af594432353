/**
 * One worker process of the gateway benchmark (bench/gateway.ts): once the
 * parent says `go` (so process start-up is not timed), starts a member over
 * HTTP, fetches and commits as fast as it can, and tells the parent over IPC
 * how many it handled and, for events that carry their publish time, how
 * long each took to arrive; when stopped, the CPU time it spent since the
 * go. Calls go over kept-alive connections.
 *
 *   node --import tsx bench/gateway-worker.ts <url> <consumer> <category> <fetch size> [partitions to wait for]
 */
interface Delivery {
  readonly id: string;
  readonly event: { readonly data: { readonly t?: number } };
}

import { httpJson } from './http-json.js';

const [url, consumer, category, size, owned] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string?,
];
const max = Number(size);

const call = <T>(path: string, body: unknown, token?: string, method = 'POST') =>
  httpJson<T>(url, method, path, body, token);

let stopping = false;
let commits: Promise<void> = Promise.resolve();
const go = new Promise<void>((resolve) => {
  process.on('message', (message) => {
    if (message === 'go') resolve();
    if (message === 'stop') stopping = true;
  });
});
process.send?.({ ready: true });
await go;
const cpuAtGo = process.cpuUsage();

// Reports go out every 20 ms, not per fetch: the parent is the server, whose time is measured.
let handled = 0;
let seen: number[] = [];
const reporter = setInterval(flush, 20);
function flush(): void {
  if (handled === 0) return;
  process.send?.({ handled, latencies: seen });
  handled = 0;
  seen = [];
}
function report(count: number, latencies: number[]): void {
  handled += count;
  seen.push(...latencies);
}

const { memberId, token } = await call<{ memberId: string; token: string }>(
  `/v1/consumers/${consumer}/members`,
  {
    sequence: `category:${category}`,
    partitions: 8,
    maxInFlight: max * 2,
    // Drains read the backlog; the latency worker only what is published once it runs.
    startFrom: owned === undefined ? 'beginning' : 'end',
    worker: `bench:${process.pid}`,
  },
);
// A lone worker measuring latency waits until it owns every partition, so no event waits for a grant.
while (owned !== undefined) {
  const beat = await call<{ partitions: number[] }>(`/v1/members/${memberId}/heartbeat`, {}, token);
  if (beat.partitions.length >= Number(owned)) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
process.send?.({ started: true });
while (!stopping) {
  const { deliveries } = await call<{ deliveries: Delivery[] }>(
    `/v1/members/${memberId}/fetch`,
    { max, wait: 1000 },
    token,
  );
  if (deliveries.length === 0) continue;
  const now = Date.now();
  const ok: string[] = [];
  const latencies: number[] = [];
  for (const { id, event } of deliveries) {
    ok.push(id);
    if (event.data.t !== undefined) latencies.push(now - event.data.t);
  }
  // The commit goes out while the next fetch waits: a worker need not wait for its answer.
  commits = commits.then(() =>
    call(`/v1/members/${memberId}/commit`, { ok }, token).then(() => undefined),
  );
  report(deliveries.length, latencies);
}
await commits;
clearInterval(reporter);
flush();
const cpu = process.cpuUsage(cpuAtGo);
process.send?.({ cpuMs: (cpu.user + cpu.system) / 1000 });
await call(`/v1/members/${memberId}`, undefined, token, 'DELETE');
process.exit(0);
