/**
 * Fresh in-memory PGlite databases in a fraction of a second: creating one
 * runs initdb inside WebAssembly (2 to 5 s here), so the first one's
 * freshly initialised data directory is kept as a tarball in the system's
 * temporary directory, keyed by PGlite's version, and later ones load it.
 * Written to a temporary name and renamed, so a reader never sees half of
 * one; one that cannot be read or loaded is made again.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';

const PACKAGE = new URL('../../../node_modules/@electric-sql/pglite/package.json', import.meta.url);

async function templatePath(): Promise<string | undefined> {
  try {
    const { version } = JSON.parse(await readFile(PACKAGE, 'utf8')) as { version: string };
    return join(tmpdir(), `millrace-conformance-pglite-${version}.tar.gz`);
  } catch {
    return undefined; // Installed elsewhere: no template, every database from scratch.
  }
}

export async function freshPglite(): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const path = await templatePath();
  if (path !== undefined) {
    const template = await readFile(path).catch(() => undefined);
    if (template !== undefined) {
      try {
        return await PGlite.create({ loadDataDir: new Blob([template]) });
      } catch {
        // A damaged template: make it again below.
      }
    }
  }
  const db = await PGlite.create();
  if (path !== undefined) {
    const dump = await db.dumpDataDir('gzip');
    const partial = `${path}.${process.pid}`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, path);
  }
  return db;
}
