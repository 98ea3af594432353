/**
 * `millrace start` on the embedded database says what it does while it
 * starts, and answers once it has: on a new data directory (made from the
 * prepared image the build ships) and on the same one again. How fast is
 * the benchmark's business (npm run bench:start), never a test's.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertBuilt, removeTempDirs, startServer, tempDir } from '../support/cli.js';

beforeAll(() => assertBuilt());
afterAll(() => removeTempDirs());

function lineIndex(output: string, text: string): number {
  return output.split('\n').findIndex((line) => line.includes(text));
}

it('tells each step of an embedded start, then answers /v1/health, fresh and again', async () => {
  const cwd = tempDir();
  const first = await startServer(cwd);
  let health: Response;
  try {
    health = await fetch(`${first.info.url}/v1/health`);
    expect(health.status).toBe(200);
    const published = await fetch(`${first.info.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stream: 'order-1', subject: 'order.created', data: { total: 5 } }),
    });
    expect(published.status).toBe(201);
  } finally {
    await first.server.stop();
  }
  const creating = lineIndex(
    first.server.stdout,
    'creating the data directory from the prepared image',
  );
  const listening = lineIndex(first.server.stdout, 'millrace is listening on');
  expect(creating, first.server.stdout).toBeGreaterThanOrEqual(0);
  expect(listening).toBeGreaterThan(creating);
  expect(first.server.stdout).not.toContain('initdb');
  expect(first.server.stdout).not.toContain('migrating');

  const again = await startServer(cwd, ['--json']);
  try {
    health = await fetch(`${again.info.url}/v1/health`);
    expect(health.status).toBe(200);
    const read = (await (await fetch(`${again.info.url}/v1/events`)).json()) as {
      events: { data: unknown }[];
    };
    expect(read.events.map((event) => event.data)).toEqual([{ total: 5 }]);
  } finally {
    await again.server.stop();
  }
  const messages = again.server.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
  expect(messages[0]).toBe('opening the data directory');
  expect(messages).not.toContain('migrating');
});
