/**
 * The `millrace` command end to end: the built CLI in real processes, an
 * embedded server in a temporary directory, and a real PostgreSQL.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CliProcess,
  assertBuilt,
  readServerJson,
  removeTempDirs,
  runCli,
  startServer,
  tempDir,
  type ServerInfo,
} from '../support/cli.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/database.js';
import { waitFor } from '../support/wait.js';

interface PublishedLine {
  id: string;
  stream: string;
  position: string;
  version: number;
  time: string;
}

interface ReadJson {
  events: { stream: string; subject: string; data: unknown; position: string }[];
  next: string;
  hasMore: boolean;
}

interface ConsumersJson {
  consumers: {
    name: string;
    sequence: string;
    subjects: string[];
    partitions: number;
    positions: { partition: number; position: string; lag: number }[];
    lag: number;
  }[];
}

function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

function expectOneLineError(result: { code: number | null; stderr: string }, code: number) {
  expect(result.code).toBe(code);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^millrace: /);
}

beforeAll(() => assertBuilt());
afterAll(() => removeTempDirs());

describe('millrace --help and bad arguments', () => {
  const cwd = tempDir();

  it.each([
    'start',
    'migrate',
    'publish',
    'read',
    'tail',
    'consumers',
    'scheduled',
    'dead-letters',
    'reset',
    'prune',
    'keys',
  ])('%s --help prints usage and exits 0', async (command) => {
    const result = await runCli([command, '--help'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: millrace ${command}`);
    expect(result.stderr).toBe('');
  });

  it('--help lists every command', async () => {
    const result = await runCli(['--help'], { cwd });
    expect(result.code).toBe(0);
    for (const command of ['start', 'migrate', 'publish', 'read', 'tail', 'consumers']) {
      expect(result.stdout).toContain(command);
    }
  });

  it.each([
    [[]],
    [['no-such-command']],
    [['no-such-command', '--help']],
    [['no-such-command', 'read', '--json']],
    [['read', '--no-such-option']],
    [['read', '--limit', 'abc']],
    [['read', '--limit', '0']],
    [['read', '--category', 'order', '--stream', 'order-1']],
    [['read', '--category', "order'; DROP TABLE x;--"]],
    [['read', '--subjects', 'order.>.x']],
    [['read', '--after', '-1']],
    [['tail', '--from', 'yesterday']],
    [['publish', 'order-1', 'order.created', '{not json']],
    [['publish', 'order-1', 'order.created']],
    [['publish', 'order-1', 'order.created', '{}', '--metadata', '[1]']],
    [['publish', 'order-1', 'order.created', '{}', '--expected-version', 'x']],
    [['start', '--port', '70000']],
    [['start', '--schema', 'Not A Schema']],
    [['consumers', '--url', 'not a url']],
  ])('%j exits 2 with one line on stderr', async (args) => {
    const result = await runCli(args, { cwd });
    expectOneLineError(result, 2);
    expect(result.stdout).toBe('');
  });
});

describe('millrace start (embedded PGlite)', () => {
  const cwd = tempDir();
  let server: CliProcess;
  let info: ServerInfo;

  beforeAll(async () => {
    ({ server, info } = await startServer(cwd));
  });

  // Optional: a beforeAll that failed left no server to stop.
  afterAll(async () => {
    await (server as CliProcess | undefined)?.stop();
  });

  it('records itself in .millrace/server.json and prints how to use it', () => {
    expect(info.provider).toBe('pglite');
    expect(info.pid).toBe(server.child.pid);
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.stdout).toContain(`listening on ${info.url}`);
    expect(server.stdout).toContain('millrace publish');
    expect(server.stdout).toContain('npx millrace tail');
  });

  it('publish finds the server with no flags and prints the position', async () => {
    const result = await runCli(['publish', 'order-1', 'order.created', '{"total":5}'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^published order-1@0 at position \d+ \(id [0-9a-f-]+\)\n$/);
  });

  it('publish --json prints the published event, with metadata and expectedVersion', async () => {
    const result = await runCli(
      [
        'publish',
        'order-1',
        'order.paid',
        '{"amount":5}',
        '--metadata',
        '{"correlationId":"c-1"}',
        '--expected-version',
        '0',
        '--json',
      ],
      { cwd },
    );
    expect(result.code).toBe(0);
    const [published] = jsonLines<PublishedLine>(result.stdout);
    expect(published).toMatchObject({ stream: 'order-1', version: 1 });
    expect(published?.position).toMatch(/^\d+$/);
  });

  it('a lost expectedVersion race is a runtime failure: exit 1, one line', async () => {
    const result = await runCli(
      ['publish', 'order-1', 'order.paid', '{}', '--expected-version', '0'],
      { cwd },
    );
    expectOneLineError(result, 1);
  });

  it('bad input rejected by the server exits 2 and writes nothing', async () => {
    const before = await runCli(['read', '--json', '--limit', '10000'], { cwd });
    const result = await runCli(['publish', "order'; DROP TABLE x;--", 'order.created', '{}'], {
      cwd,
    });
    expectOneLineError(result, 2);
    expect(result.stderr).toContain('invalid stream');
    const after = await runCli(['read', '--json', '--limit', '10000'], { cwd });
    // The events, not the page's `next`: that follows the log's horizon, which any
    // transaction moves (the server's own presence, every 2 s).
    const events = (stdout: string) => (JSON.parse(stdout) as { events: unknown[] }).events;
    expect(events(after.stdout)).toEqual(events(before.stdout));
  });

  it('publish reads JSON lines from stdin and publishes them in batches', async () => {
    const lines = Array.from({ length: 2500 }, (_, i) =>
      JSON.stringify({ stream: `cart-${i % 7}`, subject: 'cart.item_added', data: { i } }),
    );
    const result = await runCli(['publish', '--json'], { cwd, input: `${lines.join('\n')}\n` });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const published = jsonLines<PublishedLine>(result.stdout);
    expect(published).toHaveLength(2500);
    const positions = published.map((p) => BigInt(p.position));
    expect(positions.every((p, i) => i === 0 || p > (positions[i - 1] as bigint))).toBe(true);

    const human = await runCli(['publish', '-'], {
      cwd,
      input: '{"stream":"cart-100","subject":"cart.checked_out","data":null}\n',
    });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^published 1 events at positions \d+ to \d+\n$/);
  });

  it('a bad stdin line exits 2 with the line number', async () => {
    const result = await runCli(['publish'], { cwd, input: 'not json\n' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('stdin line 1');
  });

  it('read --json prints the page; filters and --after work', async () => {
    const all = await runCli(['read', '--json', '--category', 'cart', '--limit', '3'], { cwd });
    expect(all.code).toBe(0);
    const page = JSON.parse(all.stdout) as ReadJson;
    expect(page.events).toHaveLength(3);
    expect(page.hasMore).toBe(true);

    const next = await runCli(
      ['read', '--json', '--category', 'cart', '--limit', '3', '--after', page.next],
      { cwd },
    );
    const second = JSON.parse(next.stdout) as ReadJson;
    expect(BigInt(second.events[0]?.position ?? '0')).toBeGreaterThan(BigInt(page.next));

    const stream = await runCli(['read', '--json', '--stream', 'order-1'], { cwd });
    const orders = JSON.parse(stream.stdout) as ReadJson;
    expect(orders.events.map((e) => e.subject)).toEqual(['order.created', 'order.paid']);

    const subjects = await runCli(['read', '--json', '--subjects', 'cart.checked_out'], { cwd });
    expect((JSON.parse(subjects.stdout) as ReadJson).events.map((e) => e.stream)).toEqual([
      'cart-100',
    ]);

    const human = await runCli(['read', '--stream', 'order-1'], { cwd });
    expect(human.stdout.trim().split('\n')).toHaveLength(2);
    expect(human.stdout).toMatch(/order-1@0 {2}order\.created {2}\{"total":5\}/);
  });

  it('tail prints each new event as it arrives and stops on Ctrl-C', async () => {
    const tail = new CliProcess(['tail', '--category', 'order'], { cwd });
    try {
      await tail.waitForOutput('tailing category:order');
      const published = await runCli(['publish', 'order-42', 'order.created', '{"total":42}'], {
        cwd,
      });
      expect(published.code).toBe(0);
      await tail.waitForOutput(/order-42@0 {2}order\.created {2}\{"total":42\}/);
      await runCli(['publish', 'cart-42', 'cart.item_added', '{}'], { cwd });
      await runCli(['publish', 'order-42', 'order.paid', '{}'], { cwd });
      await tail.waitForOutput('order-42@1');
      expect(tail.stdout).not.toContain('cart-42');
    } finally {
      const result = await tail.stop('SIGINT');
      expect(result.code).toBe(0);
    }
  });

  it('tail --from beginning --json replays, then follows', async () => {
    const tail = new CliProcess(['tail', '--stream', 'order-1', '--from', 'beginning', '--json'], {
      cwd,
    });
    try {
      await waitFor(() => jsonLines(tail.stdout).length === 2, 'the two order-1 events');
      await runCli(['publish', 'order-1', 'order.shipped', '{}'], { cwd });
      await waitFor(() => jsonLines(tail.stdout).length === 3, 'the new order-1 event');
      const subjects = jsonLines<{ subject: string }>(tail.stdout).map((e) => e.subject);
      expect(subjects).toEqual(['order.created', 'order.paid', 'order.shipped']);
    } finally {
      await tail.stop('SIGINT');
    }
  });

  it('consumers --json lists none yet; an unknown consumer exits 1', async () => {
    const result = await runCli(['consumers', '--json'], { cwd });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ consumers: [] });
    expectOneLineError(await runCli(['consumers', 'nobody'], { cwd }), 1);
  });

  it('migrate says the running server already migrated the data directory', async () => {
    const result = await runCli(['migrate'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`the server at ${info.url}`);
  });

  it('a second server on the same data directory fails clearly', async () => {
    const result = await runCli(['start', '--port', '0'], { cwd });
    expectOneLineError(result, 1);
    expect(result.stderr).toContain('already running');
  });

  it('--url reaches the server explicitly; an unreachable one exits 1', async () => {
    const other = tempDir();
    const result = await runCli(['read', '--json', '--url', info.url, '--stream', 'order-1'], {
      cwd: other,
    });
    expect((JSON.parse(result.stdout) as ReadJson).events.length).toBeGreaterThan(0);
    const down = await runCli(['read', '--url', 'http://127.0.0.1:1'], { cwd: other });
    expectOneLineError(down, 1);
    expect(down.stderr).toContain('cannot reach');
  });

  it('SIGTERM stops the server with exit 0 and removes server.json, even mid long poll', async () => {
    const tail = new CliProcess(['tail'], { cwd });
    await tail.waitForOutput('tailing log');
    const started = Date.now();
    const result = await server.stop('SIGTERM');
    // Waiting out the tail's long poll would take 25 s (tail.ts): well past this bound on any machine.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.code).toBe(0);
    // The tail outlives the server, waiting for it to come back, until it is stopped.
    await tail.waitForOutput('retrying');
    expect((await tail.stop('SIGINT')).code).toBe(0);
    expect(result.stdout).toContain('stopped');
    expect(readServerJson(cwd)).toBeUndefined();
    expect(existsSync(join(cwd, '.millrace', 'pgdata.lock'))).toBe(false);
  });

  it('with the server gone, commands open the data directory directly', async () => {
    const result = await runCli(['read', '--json', '--stream', 'order-1'], { cwd });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as ReadJson).events).toHaveLength(3);
    const migrate = await runCli(['migrate', '--json'], { cwd });
    expect(JSON.parse(migrate.stdout)).toMatchObject({ provider: 'pglite', applied: [] });
  });
});

describe('millrace start --demo', () => {
  const cwd = tempDir();
  let server: CliProcess;

  beforeAll(async () => {
    ({ server } = await startServer(cwd, ['--demo']));
  });

  afterAll(async () => {
    await (server as CliProcess | undefined)?.stop();
  });

  it('publishes sample orders and runs two consumers that show up with their lag', async () => {
    await server.waitForOutput(/handled .*consumer=update-sales-report/);
    let listed: ConsumersJson = { consumers: [] };
    await waitFor(async () => {
      const result = await runCli(['consumers', '--json'], { cwd });
      listed = JSON.parse(result.stdout) as ConsumersJson;
      return listed.consumers.length === 2;
    }, 'both demo consumers');
    const byName = new Map(listed.consumers.map((c) => [c.name, c]));
    expect(byName.get('send-confirmation-email')).toMatchObject({
      sequence: 'category:order',
      subjects: ['order.created'],
    });
    expect(byName.get('update-sales-report')?.subjects).toEqual(['order.>']);
    for (const consumer of listed.consumers) {
      expect(consumer.positions).toHaveLength(consumer.partitions);
      expect(typeof consumer.lag).toBe('number');
      expect(consumer.lag).toBe(consumer.positions.reduce((sum, p) => sum + p.lag, 0));
    }
    const one = await runCli(['consumers', 'update-sales-report'], { cwd });
    expect(one.stdout).toMatch(/^update-sales-report {2}category:order {2}subjects order\.>/);
    expect(one.stdout).toMatch(/^ {2}leader \S+ \(pid \d+ on \S+, term \d+, since /m);
    expect(one.stdout).toMatch(
      /^ {2}member \S+ {2}pid \d+ on \S+ {2}heartbeat \S+ {2}owns [\d,-]+$/m,
    );
    expect(one.stdout).toMatch(
      /^ {2}partition +0 {2}position +\d+ {2}lag +\d+ {2}owner \S+ {2}committed \S+ in generation \d+$/m,
    );
  });

  it('stops the consumers and the server on SIGINT with exit 0', async () => {
    const result = await server.stop('SIGINT');
    expect(result.code).toBe(0);
    expect(readServerJson(cwd)).toBeUndefined();
  });
});

describe('millrace with --database-url (PostgreSQL)', () => {
  const cwd = tempDir();
  const schema = uniqueSchema('cli');
  const target = ['--database-url', TEST_DATABASE_URL, '--schema', schema];

  afterAll(async () => {
    await dropSchema(schema);
  });

  it('migrate creates the schema and reports it', async () => {
    const result = await runCli(['migrate', ...target], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`postgres schema ${schema}: applied 0001_log`);
    const again = await runCli(['migrate', '--json', ...target], { cwd });
    expect(JSON.parse(again.stdout)).toMatchObject({ provider: 'postgres', schema, applied: [] });
  });

  it('publish and read go straight to the database', async () => {
    const one = await runCli(['publish', 'invoice-1', 'invoice.issued', '{"n":1}', ...target], {
      cwd,
    });
    expect(one.code).toBe(0);
    const batch = await runCli(['publish', '--json', ...target], {
      cwd,
      input:
        '{"stream":"invoice-2","subject":"invoice.issued","data":{"n":2}}\n' +
        '{"stream":"invoice-1","subject":"invoice.paid","data":{"n":3}}\n',
    });
    expect(jsonLines<PublishedLine>(batch.stdout).map((p) => p.version)).toEqual([0, 1]);

    const read = await runCli(['read', '--json', ...target], { cwd });
    expect(read.code).toBe(0);
    const page = JSON.parse(read.stdout) as ReadJson;
    expect(page.events.map((e) => [e.stream, e.subject, e.data])).toEqual([
      ['invoice-1', 'invoice.issued', { n: 1 }],
      ['invoice-2', 'invoice.issued', { n: 2 }],
      ['invoice-1', 'invoice.paid', { n: 3 }],
    ]);
    // Nothing was written to the embedded default in this directory.
    expect(existsSync(join(cwd, '.millrace'))).toBe(false);
  });

  it('DATABASE_URL works like --database-url', async () => {
    const result = await runCli(['read', '--json', '--schema', schema, '--stream', 'invoice-2'], {
      cwd,
      env: { DATABASE_URL: TEST_DATABASE_URL },
    });
    expect((JSON.parse(result.stdout) as ReadJson).events).toHaveLength(1);
  });

  it('an unreachable database exits 1 with one line', async () => {
    const result = await runCli(
      ['read', '--database-url', 'postgres://postgres@127.0.0.1:1/none', '--schema', schema],
      { cwd },
    );
    expectOneLineError(result, 1);
  });
});
