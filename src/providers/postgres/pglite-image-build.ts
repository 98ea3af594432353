/**
 * Makes the prepared data directory image (see pglite-image.ts): initdb and
 * every migration in a scratch directory, closed cleanly so PostgreSQL
 * starts from it without recovery, then packed. Run by the build, never at
 * run time.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { migrate } from './migrate.js';
import { migrations } from './sql/generated.js';
import { pgliteVersion, type PgliteImage, type PgliteImageManifest } from './pglite-image.js';
import { PgliteDatabase } from './pglite-database.js';
import { sqlNames } from './sql.js';
import { packTar, type TarEntry } from './ustar.js';

/** Every directory and file under `root`, parents first, in a stable order. */
function* walk(root: string, prefix = ''): Generator<TarEntry> {
  const entries = readdirSync(join(root, prefix), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      yield { path, type: 'directory' };
      yield* walk(root, path);
    } else if (entry.isFile()) {
      yield { path, type: 'file', data: readFileSync(join(root, path)) };
    } else {
      throw new Error(`pglite image: ${path} is neither a file nor a directory`);
    }
  }
}

function sourceOf(schema: string): string {
  const hash = createHash('sha256').update(`${pgliteVersion()}\n${schema}\n`);
  for (const migration of migrations) hash.update(`${migration.id}\n${migration.text}\n`);
  return hash.digest('hex');
}

/** The image is there and was made from what this build would make it from. */
export function imageIsCurrent(image: PgliteImage, schema = 'millrace'): boolean {
  if (!existsSync(image.tarball) || !existsSync(image.manifest)) return false;
  const manifest = JSON.parse(readFileSync(image.manifest, 'utf8')) as Partial<PgliteImageManifest>;
  return manifest.source === sourceOf(schema);
}

export async function buildPgliteImage(
  image: PgliteImage,
  schema = 'millrace',
): Promise<PgliteImageManifest> {
  const scratch = mkdtempSync(join(tmpdir(), 'millrace-image-'));
  try {
    const dataDir = join(scratch, 'pgdata');
    const db = await PgliteDatabase.open({ dataDir });
    let applied: number;
    try {
      applied = (await migrate(db, sqlNames(schema))).current;
    } finally {
      await db.close();
    }
    // Three near-copies of the template databases sit megabytes apart: a
    // 16 MB window finds them (1.6 MB where gzip makes 4.7 MB).
    const packed = brotliCompressSync(packTar(walk(dataDir)), {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 7,
        [constants.BROTLI_PARAM_LGWIN]: 24,
      },
    });
    const manifest: PgliteImageManifest = {
      pglite: pgliteVersion(),
      schema,
      migrations: applied,
      source: sourceOf(schema),
    };
    writeFileSync(image.tarball, packed);
    writeFileSync(image.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
