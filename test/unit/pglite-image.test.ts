import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isNewDataDir,
  pgliteVersion,
  unpackImage,
  usableImage,
  type PgliteImage,
} from '../../src/providers/postgres/pglite-image.js';
import { packTar, TarParser, type TarEntry } from '../../src/providers/postgres/ustar.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-image-'));
  dirs.push(dir);
  return dir;
}

const bytes = (text: string) => new TextEncoder().encode(text);

const ENTRIES: TarEntry[] = [
  { path: 'PG_VERSION', type: 'file', data: bytes('18\n') },
  { path: 'base', type: 'directory' },
  { path: 'base/1', type: 'directory' },
  { path: 'base/1/1259', type: 'file', data: new Uint8Array(8192 + 7).fill(0xab) },
  { path: 'base/1/empty', type: 'file', data: new Uint8Array() },
  { path: `deep/${'d'.repeat(90)}/${'f'.repeat(60)}`, type: 'file', data: bytes('long') },
];

const hex = (entry: TarEntry) => ({
  ...entry,
  data: entry.data && Buffer.from(entry.data).toString('hex'),
});

/** What a parser fed `tar` in chunks of `chunkSize` reports, as entries. */
function readTar(tar: Buffer, chunkSize = tar.length): TarEntry[] {
  const entries: { path: string; type: 'file' | 'directory'; chunks?: Buffer[] }[] = [];
  let open = 0;
  const parser = new TarParser({
    directory: (path) => entries.push({ path, type: 'directory' }),
    file: (path) => {
      open++;
      entries.push({ path, type: 'file', chunks: [] });
    },
    data: (bytes) => entries.at(-1)?.chunks?.push(Buffer.from(bytes)),
    fileEnd: () => open--,
  });
  for (let at = 0; at < tar.length; at += chunkSize) parser.push(tar.subarray(at, at + chunkSize));
  parser.finish();
  expect(open).toBe(0);
  return entries.map(({ path, type, chunks }) =>
    type === 'file' ? { path, type, data: Buffer.concat(chunks ?? []) } : { path, type },
  );
}

describe('ustar', () => {
  it.each([undefined, 1, 7, 511, 512, 4096])(
    'reads back the directories and files it wrote, in order, long paths included (chunks of %s)',
    (chunkSize) => {
      expect(readTar(packTar(ENTRIES), chunkSize).map(hex)).toEqual(ENTRIES.map(hex));
    },
  );

  it('refuses a damaged header, a truncated archive and one without an end', () => {
    const tar = packTar(ENTRIES);
    const damaged = Buffer.from(tar);
    damaged[3] = 0x41;
    expect(() => readTar(damaged)).toThrow(/checksum/);
    // base/1/1259's header starts at 2048, its 8 KiB at 2560.
    expect(() => readTar(tar.subarray(0, 2560 + 100))).toThrow(/truncated/);
    expect(() => readTar(tar.subarray(0, tar.length - 1024))).toThrow(/end marker/);
  });

  it('refuses paths that would leave the directory', () => {
    for (const path of ['../evil', 'base/../../evil', 'a//b']) {
      expect(() => readTar(packTar([{ path, type: 'directory' }])), path).toThrow(/unsafe path/);
    }
  });
});

function writeImage(dir: string, entries: TarEntry[], manifest: object): PgliteImage {
  const image = { tarball: join(dir, 'image.tar.br'), manifest: join(dir, 'image.json') };
  writeFileSync(image.tarball, brotliCompressSync(packTar(entries)));
  writeFileSync(image.manifest, JSON.stringify(manifest));
  return image;
}

describe('the prepared data directory image', () => {
  const manifest = { pglite: pgliteVersion(), schema: 'millrace', migrations: 6 };

  it('is used for its own schema on a PGlite release that reads its data directories', () => {
    const dir = scratch();
    const [major, minor] = pgliteVersion().split('.');
    expect(usableImage(writeImage(dir, ENTRIES, manifest), 'millrace')).toEqual(manifest);
    const patched = { ...manifest, pglite: `${major}.${minor}.999` };
    expect(usableImage(writeImage(dir, ENTRIES, patched), 'millrace')).toEqual(patched);
    const nextMinor = { ...manifest, pglite: `${major}.${Number(minor) + 1}.0` };
    expect(usableImage(writeImage(dir, ENTRIES, nextMinor), 'millrace')).toBeUndefined();
    expect(usableImage(writeImage(dir, ENTRIES, manifest), 'other')).toBeUndefined();
  });

  it('is not there when either file is missing', () => {
    const dir = scratch();
    const image = writeImage(dir, ENTRIES, manifest);
    rmSync(image.tarball);
    expect(usableImage(image, 'millrace')).toBeUndefined();
    expect(usableImage({ ...image, manifest: join(dir, 'none.json') }, 'millrace')).toBe(undefined);
  });

  it('unpacks into a new directory, private to its owner, leaving nothing beside it', async () => {
    const dir = scratch();
    const image = writeImage(dir, ENTRIES, manifest);
    const dataDir = join(dir, 'data', 'pgdata');
    expect(isNewDataDir(dataDir)).toBe(true);
    await unpackImage(image, dataDir);
    expect(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8')).toBe('18\n');
    expect(readFileSync(join(dataDir, 'base', '1', '1259'))).toHaveLength(8192 + 7);
    expect(readFileSync(join(dataDir, 'base', '1', 'empty'))).toHaveLength(0);
    expect(readdirSync(join(dir, 'data'))).toEqual(['pgdata']);
    expect(isNewDataDir(dataDir)).toBe(false);
    if (process.platform !== 'win32') {
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, 'PG_VERSION')).mode & 0o777).toBe(0o600);
    }
  });

  it('unpacks into an empty directory the user made', async () => {
    const dir = scratch();
    const dataDir = join(dir, 'pgdata');
    mkdirSync(dataDir);
    expect(isNewDataDir(dataDir)).toBe(true);
    await unpackImage(writeImage(dir, ENTRIES, manifest), dataDir);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
  });

  it('leaves neither a data directory nor a half one behind when the image is damaged', async () => {
    const dir = scratch();
    const image = writeImage(dir, ENTRIES, manifest);
    const tar = packTar(ENTRIES);
    writeFileSync(image.tarball, brotliCompressSync(tar.subarray(0, tar.length - 1024)));
    const dataDir = join(dir, 'pgdata');
    await expect(unpackImage(image, dataDir)).rejects.toThrow(/end marker/);
    expect(readdirSync(dir).sort()).toEqual(['image.json', 'image.tar.br']);
    writeFileSync(image.tarball, 'not brotli');
    await expect(unpackImage(image, dataDir)).rejects.toThrow();
    expect(readdirSync(dir).sort()).toEqual(['image.json', 'image.tar.br']);
  });
});
