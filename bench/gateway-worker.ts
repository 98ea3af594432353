/**
 * One worker process of the gateway benchmark (bench/gateway.ts): starts a
 * member over HTTP, fetches and commits as fast as it can, and tells the
 * parent over IPC how many it handled and, for events that carry their
 * publish time, how long each took to arrive.
 *
 *   node --import tsx bench/gateway-worker.ts <url> <consumer> <fetch size> [partitions to wait for]
 */
interface Delivery {
  readonly id: string;
  readonly event: { readonly data: { readonly t?: number } };
}

const [url, consumer, size, owned] = process.argv.slice(2) as [string, string, string, string?];
const max = Number(size);

async function call<T>(path: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['millrace-member-token'] = token;
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

let stopping = false;
let commits: Promise<void> = Promise.resolve();
process.on('message', (message) => {
  if (message === 'stop') stopping = true;
});

const { memberId, token } = await call<{ memberId: string; token: string }>(
  `/v1/consumers/${consumer}/members`,
  {
    sequence: 'category:order',
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
  const latencies = deliveries.flatMap((d) =>
    d.event.data.t === undefined ? [] : [now - d.event.data.t],
  );
  // The commit goes out while the next fetch waits: a worker need not wait for its answer.
  commits = commits.then(() =>
    call(
      `/v1/members/${memberId}/commit`,
      { results: deliveries.map((d) => ({ id: d.id, outcome: 'ok' })) },
      token,
    ).then(() => undefined),
  );
  process.send?.({ handled: deliveries.length, latencies });
}
await commits;
await fetch(`${url}/v1/members/${memberId}`, {
  method: 'DELETE',
  headers: { 'millrace-member-token': token },
});
process.exit(0);
