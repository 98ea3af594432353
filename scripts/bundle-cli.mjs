#!/usr/bin/env node
// Bundles the command (dist/cli/main.js and what it imports, dependencies
// included) into dist/cli.js, with the parts loaded on demand (the server,
// each provider) in dist/cli-chunks/. Node then loads a few files instead of
// several hundred modules: the embedded server starts about 0.15 s sooner.
// The database and broker clients stay outside: PGlite finds its WebAssembly
// beside its own module, and pg and the Kafka client load only when used.
// The library (dist/index.js) is not bundled: applications bundle it their way.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: the last build's would stay beside this one's.
rmSync('dist/cli-chunks', { recursive: true, force: true });

await build({
  entryPoints: { cli: 'dist/cli/main.js' },
  outdir: 'dist',
  chunkNames: 'cli-chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@electric-sql/pglite', '@electric-sql/pglite/*', 'pg', '@platformatic/kafka'],
  // Dependencies written as CommonJS call require(), which an ES module lacks.
  banner: {
    js: "import { createRequire as millraceCreateRequire } from 'node:module';\nconst require = millraceCreateRequire(import.meta.url);",
  },
  legalComments: 'linked',
  logLevel: 'warning',
});
