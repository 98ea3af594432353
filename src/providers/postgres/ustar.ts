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

/** What a TarParser finds, in archive order. */
export interface TarSink {
  directory(path: string): void;
  /** A file begins; its bytes follow in `data` calls, then `fileEnd`. */
  file(path: string, size: number): void;
  data(bytes: Buffer): void;
  fileEnd(): void;
}

interface HeaderEntry {
  readonly path: string;
  readonly type: 'file' | 'directory';
  readonly size: number;
}

/** A header block, or undefined for the end marker's zero block. */
function parseHeader(block: Buffer): HeaderEntry | undefined {
  if (block.every((byte) => byte === 0)) return undefined;
  if (number(block, 148, 8) !== checksum(block)) throw new Error('tar: bad header checksum');
  const prefix = text(block, 345, 155);
  const raw = prefix === '' ? text(block, 0, 100) : `${prefix}/${text(block, 0, 100)}`;
  const path = raw.replace(/^\/+|\/+$/g, '');
  if (path.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`tar: unsafe path ${raw}`);
  }
  const type = text(block, 156, 1);
  if (type === '5') return { path, type: 'directory', size: 0 };
  if (type === '0' || type === '') return { path, type: 'file', size: number(block, 124, 12) };
  throw new Error(`tar: unsupported entry type ${type} for ${path}`);
}

/**
 * Reads an archive as it arrives, chunk by chunk, so no more than a block of
 * it is held: the image unpacks to 40 MB, which a whole-archive read kept in
 * the process after the start. Throws on anything but plain directories and
 * files, or a path leaving the root.
 */
export class TarParser {
  private held = Buffer.alloc(0);
  /** File bytes still to pass on, then padding to skip. */
  private fileLeft = 0;
  private paddingLeft = 0;
  private ended = false;

  constructor(private readonly sink: TarSink) {}

  push(chunk: Buffer): void {
    let rest = chunk;
    while (rest.length > 0 && !this.ended) {
      if (this.fileLeft > 0) {
        const bytes = rest.subarray(0, this.fileLeft);
        this.sink.data(bytes);
        this.fileLeft -= bytes.length;
        rest = rest.subarray(bytes.length);
        if (this.fileLeft === 0) this.sink.fileEnd();
      } else if (this.paddingLeft > 0) {
        const skipped = Math.min(this.paddingLeft, rest.length);
        this.paddingLeft -= skipped;
        rest = rest.subarray(skipped);
      } else {
        const wanted = BLOCK - this.held.length;
        this.held = Buffer.concat([this.held, rest.subarray(0, wanted)]);
        rest = rest.subarray(wanted);
        if (this.held.length === BLOCK) this.header(this.held);
      }
    }
  }

  /** The archive is complete: throws if it stopped short of its end marker. */
  finish(): void {
    if (!this.ended) throw new Error(this.fileLeft > 0 ? 'tar: truncated' : 'tar: no end marker');
  }

  private header(block: Buffer): void {
    this.held = Buffer.alloc(0);
    const entry = parseHeader(block);
    if (entry === undefined) {
      this.ended = true;
    } else if (entry.type === 'directory') {
      this.sink.directory(entry.path);
    } else {
      this.sink.file(entry.path, entry.size);
      this.fileLeft = entry.size;
      this.paddingLeft = (BLOCK - (entry.size % BLOCK)) % BLOCK;
      if (entry.size === 0) this.sink.fileEnd();
    }
  }
}
