#!/usr/bin/env node
// Puts the prepared PGlite data directory image in dist/ (dist/pglite-image.*),
// where the compiled provider and the command's bundle find it, so a new embedded data
// directory starts from it instead of initdb. Runs after tsc; the image is
// made by the compiled code itself, so it holds exactly what it migrates.
import { performance } from 'node:perf_hooks';
import { BUNDLED_IMAGE } from '../dist/providers/postgres/pglite-image.js';
import { buildPgliteImage, imageIsCurrent } from '../dist/providers/postgres/pglite-image-build.js';

if (imageIsCurrent(BUNDLED_IMAGE)) {
  console.log('pglite image: up to date');
  process.exit(0);
}
const started = performance.now();
const manifest = await buildPgliteImage(BUNDLED_IMAGE);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `pglite image: schema ${manifest.schema} at migration ${manifest.migrations}, PGlite ${manifest.pglite} (${seconds} s)`,
);
