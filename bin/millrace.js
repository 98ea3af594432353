#!/usr/bin/env node
// The command runs the CLI bundled in dist/cli.js (scripts/bundle-cli.mjs): a
// published package ships it, and in a clone `npm install` builds it (the
// `prepare` script). Without it,
// say what to do instead of printing a module-not-found stack.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(main)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(
    `millrace: not built yet (${fileURLToPath(main)} is missing); run npm install in ${root}, which builds it\n`,
  );
  process.exit(1);
}
await import(main.href);
