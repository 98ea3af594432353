/**
 * A prepared data directory: what initdb and every migration leave in a new
 * PGlite data directory, made once at build time (scripts/build-pglite-image.mjs)
 * and shipped in dist/. initdb takes seconds and runs in a second
 * WASM instance whose memory (hundreds of MB) stays until the collector finds
 * it; unpacking the image takes a fraction of a second and no instance.
 */
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { codeFile } from '../../shipped-files.js';
import { TarParser } from './ustar.js';

export interface PgliteImage {
  /** The data directory as a brotli-compressed tar. */
  readonly tarball: string;
  /** A JSON PgliteImageManifest. */
  readonly manifest: string;
}

export interface PgliteImageManifest {
  /** The PGlite release that made it. */
  readonly pglite: string;
  /** The millrace schema in it, migrated. */
  readonly schema: string;
  /** How many migrations it holds. */
  readonly migrations: number;
  /** What it was made from (PGlite's version, the schema, the migrations' text), to skip remaking it. */
  readonly source: string;
}

/** The image the build puts in dist/ (absent when running from source). */
export const BUNDLED_IMAGE: PgliteImage = {
  tarball: codeFile('pglite-image.tar.br'),
  manifest: codeFile('pglite-image.json'),
};

/** The installed PGlite's version. */
export function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const manifest = join(dirname(entry), '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/**
 * Releases that read each other's data directories: the same minor of a 0.x
 * release (semver's breaking digit), as an existing data directory relies on
 * across PGlite updates.
 */
function sameFormat(a: string, b: string): boolean {
  const line = (version: string) => version.split('.').slice(0, 2).join('.');
  return line(a) === line(b);
}

/** The image's manifest when it can start a data directory for `schema` on the installed PGlite. */
export function usableImage(image: PgliteImage, schema: string): PgliteImageManifest | undefined {
  if (!existsSync(image.manifest) || !existsSync(image.tarball)) return undefined;
  const manifest = JSON.parse(readFileSync(image.manifest, 'utf8')) as PgliteImageManifest;
  if (manifest.schema !== schema || !sameFormat(manifest.pglite, pgliteVersion())) return undefined;
  return manifest;
}

/** The whole tar, for an in-memory database (PGlite loads it itself). */
export function readImageTar(image: PgliteImage): Buffer {
  return brotliDecompressSync(readFileSync(image.tarball));
}

/** A data directory not made yet: missing, or an empty directory. */
export function isNewDataDir(dataDir: string): boolean {
  return !existsSync(dataDir) || readdirSync(dataDir).length === 0;
}

/**
 * Unpacks the image into `dataDir`, which must be new. The caller holds the
 * data directory's lock. Files go to a sibling first and move into place with
 * one rename, so a start cut short leaves no half data directory behind to be
 * taken for a real one.
 */
export async function unpackImage(image: PgliteImage, dataDir: string): Promise<void> {
  const staging = `${dataDir}.unpacking`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  const target = (path: string) => join(staging, ...path.split('/'));
  let fd: number | undefined;
  const parser = new TarParser({
    directory: (path) => mkdirSync(target(path), { recursive: true, mode: 0o700 }),
    file: (path) => {
      mkdirSync(dirname(target(path)), { recursive: true, mode: 0o700 });
      fd = openSync(target(path), 'w', 0o600);
    },
    data: (bytes) => writeSync(fd as number, bytes),
    fileEnd: () => {
      closeSync(fd as number);
      fd = undefined;
    },
  });
  try {
    // Chunks of 256 KiB rather than 16: half the JavaScript time for the 40 MB.
    const decompress = createBrotliDecompress({ chunkSize: 256 * 1024 });
    await pipeline(createReadStream(image.tarball), decompress, async (chunks) => {
      for await (const chunk of chunks as AsyncIterable<Buffer>) parser.push(chunk);
    });
    parser.finish();
    // An empty directory is in the way of the rename on some platforms.
    if (existsSync(dataDir)) rmdirSync(dataDir);
    renameSync(staging, dataDir);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
