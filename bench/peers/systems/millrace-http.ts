/**
 * millrace's HTTP gateway, as the peer benchmark sees it: a `millrace start`
 * server over the shared PostgreSQL (a process of its own, started for the
 * run), jobs published over HTTP (`POST /v1/events`, batches of the
 * scenario's bulk size), and each worker process a member over HTTP: it
 * fetches up to 500 deliveries at a time (long-polling 1 s), runs at most
 * `concurrency` handlers at once, and commits each fetch's results in one
 * call while the next fetch is out. Jobs and the consumer are the same as
 * millrace-postgres's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DATABASE_URL } from '../../backends.js';
import { httpJson } from '../../http-json.js';
import type { Job, JobHandler, PeerSystem, Place, SystemKind } from '../system.js';
import { createSchemaPlace, destroySchemaPlace } from './schema-place.js';

const STREAMS = 10_000;
const FETCH = 500;
const MAX_IN_FLIGHT = 1000;
const CLI = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const servers = new Map<string, ChildProcess>();

interface Delivery {
  readonly id: string;
  readonly event: { readonly data: Job };
}

const jobEvent = (job: Job) => ({
  stream: `job-${job.n % STREAMS}`,
  subject: 'job.created',
  data: { ...job },
});

/** Starts `millrace start` on the place's schema; resolves with its URL once it listens. */
function startServer(schema: string): Promise<string> {
  const args = ['--import', 'tsx', CLI, 'start', '--port', '0'];
  args.push('--database-url', DATABASE_URL, '--schema', schema);
  const server = spawn(process.execPath, args, {
    env: { ...process.env, MILLRACE_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const url = /millrace is listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url === undefined) return;
      servers.set(url, server);
      server.stdout.resume();
      resolve(url);
    });
    server.once('exit', (code) => reject(new Error(`millrace start exited (${code}):\n${output}`)));
  });
}

/** Runs `handler` over the deliveries, `concurrency` at a time. */
async function runAll(
  deliveries: readonly Delivery[],
  concurrency: number,
  handler: JobHandler,
): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++] as Delivery;
      await handler(delivery.event.data);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, deliveries.length) }, runner));
}

function openOn(url: string): PeerSystem {
  const call = <T>(method: string, path: string, body?: unknown, token?: string) =>
    httpJson<T>(url, method, path, body, token);
  return {
    async enqueueBulk(jobs) {
      await call('POST', '/v1/events', { events: jobs.map(jobEvent) });
    },
    async enqueue(job) {
      await call('POST', '/v1/events', jobEvent(job));
    },
    async work(concurrency, handler) {
      const { memberId, token } = await call<{ memberId: string; token: string }>(
        'POST',
        '/v1/consumers/bench/members',
        { sequence: 'category:job', maxInFlight: MAX_IN_FLIGHT, worker: `peers:${process.pid}` },
      );
      const member = `/v1/members/${memberId}`;
      let stopping = false;
      let commits: Promise<unknown> = Promise.resolve();
      const loop = (async () => {
        while (!stopping) {
          const { deliveries } = await call<{ deliveries: Delivery[] }>(
            'POST',
            `${member}/fetch`,
            { max: FETCH, wait: 1000 },
            token,
          );
          if (deliveries.length === 0) continue;
          await runAll(deliveries, concurrency, handler);
          const ok = deliveries.map((d) => d.id);
          commits = commits.then(() => call('POST', `${member}/commit`, { ok }, token));
        }
      })();
      return async () => {
        stopping = true;
        await loop;
        await commits;
        await call('DELETE', member, undefined, token);
      };
    },
    close: () => Promise.resolve(),
  };
}

export const millraceHttp: SystemKind = {
  name: 'millrace-http',
  embedded: false,
  configuration: `millrace's HTTP gateway: a \`millrace start\` server on the shared PostgreSQL (a process of its own, a fresh schema per run), jobs published with \`POST /v1/events\`, each worker process a member over HTTP (kept-alive connections) that fetches up to ${FETCH} deliveries (long-polling 1 s, at most ${MAX_IN_FLIGHT} in flight), runs the scenario's concurrency of handlers at once and commits each fetch in one call; the consumer as millrace-postgres's.`,
  async create() {
    // The server migrates the schema as it starts.
    let url = '';
    const place = await createSchemaPlace('peer_mh', async (schema) => {
      url = await startServer(schema);
    });
    return { ...place, url };
  },
  open: (place: Place) => Promise.resolve(openOn(place.url as string)),
  async destroy(place) {
    const server = servers.get(place.url as string);
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    servers.delete(place.url as string);
    await destroySchemaPlace(place);
  },
};
