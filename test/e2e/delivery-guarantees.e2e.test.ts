/**
 * The delivery guarantees, proven by crashing: a consumer process kills
 * itself (-9) at every step of handling one event (before handling, between
 * its two writes, after its writes, after the handler returned, after the
 * position commit), then a fresh process takes over. Each handling writes two
 * effect rows; afterwards at-least-once has every event's effects at least
 * once, at-most-once never twice, and effectively-once exactly once.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Millrace, postgres } from '../../src/index.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/database.js';
import { waitFor } from '../support/wait.js';

const SCRIPT = fileURLToPath(new URL('../support/crash-member.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STEPS = ['before-handling', 'during', 'after-writes', 'after-handled', 'after-commit'];
const EVENTS = 5;
const CRASH_EVENT = 2;

let admin: pg.Pool;
const schemas: string[] = [];

beforeAll(() => {
  admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
});
afterAll(async () => {
  await admin.end();
  for (const schema of schemas) await dropSchema(schema);
});

/** Runs a crash member to its end: its own -9 (crashing) or our SIGTERM once caught up. */
async function runMember(
  schema: string,
  delivery: string,
  crash: string | undefined,
  caughtUp: () => Promise<boolean>,
): Promise<NodeJS.Signals | null> {
  const args = ['--database-url', TEST_DATABASE_URL, '--schema', schema, '--delivery', delivery];
  if (crash) args.push('--crash-at', crash, '--crash-event', String(CRASH_EVENT));
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );
  if (crash === undefined) {
    await waitFor(caughtUp, `the member to catch up\n${stderr}`, 30_000);
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const signal = await exited;
  clearTimeout(timer);
  return signal;
}

async function effectsPerEvent(schema: string, ids: readonly string[]) {
  const { rows } = await admin.query<{ event_id: string; part: string; count: string }>(
    `SELECT event_id, part, count(*)::text AS count FROM "${schema}".effects GROUP BY 1, 2`,
  );
  return ids.map((id) => ({
    a: Number(rows.find((r) => r.event_id === id && r.part === 'a')?.count ?? 0),
    b: Number(rows.find((r) => r.event_id === id && r.part === 'b')?.count ?? 0),
  }));
}

async function scenario(delivery: string, step: string) {
  const schema = uniqueSchema('guarantee');
  schemas.push(schema);
  const millrace = await Millrace.open({
    provider: postgres({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 2 }),
    deliverDelayed: false,
  });
  try {
    await admin.query(`CREATE TABLE "${schema}".effects (event_id uuid, part text)`);
    const published = await millrace.publishBatch(
      Array.from({ length: EVENTS }, (_, n) => ({
        stream: 'item-1',
        subject: 'item.made',
        data: { n },
      })),
    );
    const caughtUp = async () => {
      const status = await millrace.consumerStatus('guarantee').catch(() => undefined);
      return status?.lag === 0;
    };
    const crashed = await runMember(schema, delivery, step, caughtUp);
    expect(crashed, `${delivery} ${step}: the member killed itself`).toBe('SIGKILL');
    await runMember(schema, delivery, undefined, caughtUp);
    return effectsPerEvent(
      schema,
      published.map((p) => p.id),
    );
  } finally {
    await millrace.close();
  }
}

describe('delivery guarantees under kill -9 at every step', () => {
  it.each(STEPS)('at-least-once, crashing %s: every event handled, maybe twice', async (step) => {
    const effects = await scenario('at-least-once', step);
    for (const [n, e] of effects.entries()) {
      expect(e.a, `event ${n}`).toBeGreaterThanOrEqual(1);
      expect(e.b, `event ${n}`).toBeGreaterThanOrEqual(1);
    }
  });

  it.each(STEPS)('at-most-once, crashing %s: nothing handled twice', async (step) => {
    const effects = await scenario('at-most-once', step);
    for (const [n, e] of effects.entries()) {
      expect(e.a, `event ${n}`).toBeLessThanOrEqual(1);
      expect(e.b, `event ${n}`).toBeLessThanOrEqual(1);
    }
    // The events before the crash were handled, once.
    for (const e of effects.slice(0, CRASH_EVENT)) expect(e).toEqual({ a: 1, b: 1 });
  });

  it.each(STEPS)('effectively-once, crashing %s: every effect exactly once', async (step) => {
    const effects = await scenario('effectively-once', step);
    expect(effects).toEqual(Array.from({ length: EVENTS }, () => ({ a: 1, b: 1 })));
  });
});
