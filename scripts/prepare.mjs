#!/usr/bin/env node
// `npm install` in a clone builds dist/ (and `npm pack` before packing). When
// the build tools are not installed yet, as when npx links a fresh clone
// before its dependencies are installed, it skips the build and says so,
// instead of failing with a bare "tsc: not found"; bin/millrace.js then tells
// the user to run npm install.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url);
if (!existsSync(tsc)) {
  process.stderr.write('millrace: build tools not installed yet; run npm install to build\n');
} else {
  execSync('npm run build', { stdio: 'inherit' });
}
