/**
 * The part of the ustar format a PGlite data directory needs: directories and
 * regular files, paths relative to the directory. Node has no tar of its own,
 * and the prepared data directory image is only ever read by this code.
 */
export interface TarEntry {
  /** Relative, `/`-separated; a directory's has no trailing slash. */
  readonly path: string;
  readonly type: 'file' | 'directory';
  /** A file's bytes. */
  readonly data?: Uint8Array;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  let name = entry.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (cut <= 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) {
      throw new Error(`tar: path too long: ${entry.path}`);
    }
  }
  block.write(name, 0);
  block.write(octal(entry.type === 'directory' ? 0o700 : 0o600, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  block.write(octal(0, 12), 136);
  block.write(' '.repeat(8), 148);
  block.write(entry.type === 'directory' ? '5' : '0', 156);
  block.write('ustar\0' + '00', 257);
  block.write(prefix, 345);
  block.write(octal(checksum(block), 7), 148);
  return block;
}

function checksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return sum;
}

export function packTar(entries: Iterable<TarEntry>): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? (entry.data ?? new Uint8Array()) : new Uint8Array();
    parts.push(header(entry, data.length), Buffer.from(data));
    const padding = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function number(block: Buffer, start: number, length: number): number {
  const value = parseInt(text(block, start, length).trim() || '0', 8);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error('tar: bad number field');
  return value;
}

/** Entries in order; throws on anything but plain directories and files, or a path leaving the root. */
export function* unpackTar(tar: Buffer): Generator<TarEntry> {
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) return;
    if (number(block, 148, 8) !== checksum(block)) throw new Error('tar: bad header checksum');
    const prefix = text(block, 345, 155);
    const raw = prefix === '' ? text(block, 0, 100) : `${prefix}/${text(block, 0, 100)}`;
    const path = raw.replace(/^\/+|\/+$/g, '');
    if (path.split('/').some((part) => part === '..' || part === '')) {
      throw new Error(`tar: unsafe path ${raw}`);
    }
    const size = number(block, 124, 12);
    const type = text(block, 156, 1);
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new Error('tar: truncated');
    if (type === '5') yield { path, type: 'directory' };
    else if (type === '0' || type === '') {
      yield { path, type: 'file', data: tar.subarray(dataStart, dataStart + size) };
    } else throw new Error(`tar: unsupported entry type ${type} for ${path}`);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new Error('tar: no end marker');
}
