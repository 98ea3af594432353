/**
 * Compiles src/providers/postgres/sql/*.sql into the generated module before
 * any tier runs, so a test never runs against SQL older than the .sql files.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-sql-module.mjs', import.meta.url));

export default function setup(): void {
  execFileSync(process.execPath, [SCRIPT], { stdio: 'inherit' });
}
