/**
 * The curl walkthrough of docs/gateway.md, run as written (bash, curl, jq)
 * against a fresh `millrace start`: the docs cannot drift from the API.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  removeTempDirs,
  startServer,
  tempDir,
  type CliProcess,
} from '../support/cli.js';

const run = promisify(execFile);
const DOC = fileURLToPath(new URL('../../docs/gateway.md', import.meta.url));

/** The bash block that follows the walkthrough marker. */
function walkthrough(): string {
  const text = readFileSync(DOC, 'utf8');
  const marker = text.indexOf('<!-- walkthrough -->');
  const block = /```bash\n([\s\S]*?)```/.exec(text.slice(marker));
  if (marker < 0 || block?.[1] === undefined) {
    throw new Error('docs/gateway.md has no walkthrough block');
  }
  return block[1];
}

describe('the curl walkthrough of docs/gateway.md', () => {
  let server: CliProcess | undefined;

  afterAll(async () => {
    await server?.stop();
    removeTempDirs();
  });

  it('prints what the docs say it prints', async () => {
    assertBuilt();
    for (const tool of ['curl', 'jq']) {
      await run(tool, ['--version']).catch((error: Error) => {
        throw new Error(
          `${tool} is needed for the walkthrough (apt-get install -y ${tool}): ${error.message}`,
        );
      });
    }
    const started = await startServer(tempDir());
    server = started.server;
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', walkthrough()], {
      env: { ...process.env, MILLRACE_URL: started.info.url },
    });
    expect(stdout.trim().split('\n')).toEqual(['{"to":"a@example.com"}', '"applied"', 'true']);
  });
});
