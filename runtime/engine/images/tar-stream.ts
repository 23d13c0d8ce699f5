import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { GlassError } from '../errors.js';

/**
 * The outer tar of an image archive (`docker save`, an OCI layout in a tar),
 * read and written in TypeScript. It is a container of a few named files
 * (manifest.json, configs, layer tars), not a filesystem to recreate: glass
 * never lets the archive choose a path on the host. Reading keeps each
 * regular file under a numbered name in a scratch directory and records
 * symlinks and hard links as data, so a hostile name ("../../etc/x",
 * "/etc/shadow", a symlink to a host file) cannot write or read outside it.
 * The layer tars inside are real filesystems; those are unpacked by
 * runtime/kernel/archive.ts, which checks every member.
 *
 * A tar is a sequence of 512-byte header blocks, each followed by the file's
 * bytes padded to 512; two zero blocks end it. POSIX (pax) and GNU extensions
 * carry names longer than 100 bytes in an extra entry before the real one.
 */

const BLOCK = 512;

/** What the archive holds under one name. */
export type TarEntry =
  | { kind: 'file'; path: string; size: number }
  | { kind: 'dir' }
  | { kind: 'symlink'; target: string }
  | { kind: 'hardlink'; target: string };

export class ArchiveError extends GlassError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

// ---- writing ---------------------------------------------------------------

/** Writes a ustar archive to a stream, waiting for the stream to drain. */
export class TarWriter {
  constructor(
    private readonly out: Writable,
    private readonly mtime: Date = new Date(0),
  ) {}

  dir(name: string): Promise<void> {
    return this.write(header(name.endsWith('/') ? name : `${name}/`, 0, '5', 0o755, this.mtime));
  }

  async file(name: string, data: Uint8Array): Promise<void> {
    await this.write(header(name, data.length, '0', 0o644, this.mtime));
    await this.write(data);
    await this.pad(data.length);
  }

  /**
   * A file copied from disk (a path, or a file already open); `size` must be
   * its exact length (the header is written first).
   */
  async fileFrom(name: string, file: string | FileHandle, size: number): Promise<void> {
    await this.write(header(name, size, '0', 0o644, this.mtime));
    let copied = 0;
    const input = typeof file === 'string' ? createReadStream(file) : file.createReadStream({ start: 0, autoClose: false });
    for await (const chunk of input) {
      copied += (chunk as Buffer).length;
      if (copied > size) break;
      await this.write(chunk as Buffer);
    }
    if (copied !== size) throw new Error(`${name} changed size while it was being archived (${size} → ${copied} bytes)`);
    await this.pad(size);
  }

  symlink(name: string, target: string): Promise<void> {
    return this.write(header(name, 0, '2', 0o777, this.mtime, target));
  }

  /** The two zero blocks that end every tar. */
  finish(): Promise<void> {
    return this.write(Buffer.alloc(2 * BLOCK));
  }

  private pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    return rest === 0 ? Promise.resolve() : this.write(Buffer.alloc(BLOCK - rest));
  }

  private write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.out.destroyed) return reject(Object.assign(new Error('output closed'), { code: 'EPIPE' }));
      this.out.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }
}

function header(name: string, size: number, type: string, mode: number, mtime: Date, link = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100 || Buffer.byteLength(link) > 100) throw new Error(`tar name too long: ${name}`);
  nameBytes.copy(h, 0);
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  if (size < 0o77777777777) octal(h, 124, 12, size);
  else {
    // Larger than 8 GiB: GNU's base-256 form, high bit set.
    h[124] = 0x80;
    h.writeBigUInt64BE(BigInt(size), 124 + 4);
  }
  octal(h, 136, 12, Math.floor(mtime.getTime() / 1000));
  h.fill(0x20, 148, 156); // checksum field counts as spaces
  h.write(type, 156, 'latin1');
  Buffer.from(link, 'utf8').copy(h, 157);
  h.write('ustar\x0000', 257, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\x00 `, 148, 'latin1');
  return h;
}

function octal(h: Buffer, at: number, len: number, value: number): void {
  h.write(`${value.toString(8).padStart(len - 1, '0')}\x00`, at, 'latin1');
}

// ---- reading ---------------------------------------------------------------

/** Pulls exact byte counts out of a stream of chunks. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly it: AsyncIterator<Buffer | string>;

  constructor(input: AsyncIterable<Buffer | string>) {
    this.it = input[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or fewer only at the end of the input. */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n && !this.done) await this.more();
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  /** Pass `n` bytes to `sink` chunk by chunk; returns how many there were. */
  async pipe(n: number, sink: (chunk: Buffer) => Promise<void>): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) {
        if (this.done) break;
        await this.more();
        continue;
      }
      const chunk = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(chunk.length);
      left -= chunk.length;
      await sink(chunk);
    }
    return n - left;
  }

  private async more(): Promise<void> {
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return;
    }
    const chunk = Buffer.from(r.value);
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
  }
}

function readString(h: Buffer, at: number, len: number): string {
  const field = h.subarray(at, at + len);
  const nul = field.indexOf(0);
  return (nul < 0 ? field : field.subarray(0, nul)).toString('utf8');
}

function readNumber(h: Buffer, at: number, len: number): number {
  const field = h.subarray(at, at + len);
  if (field[0]! & 0x80) {
    // base-256 (GNU): big-endian, high bit of the first byte is the marker
    let v = 0n;
    for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(i === 0 ? field[i]! & 0x7f : field[i]!);
    return Number(v);
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArchiveError(`not a tar archive (a header holds ${JSON.stringify(text)} where a number belongs)`);
  return parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = readNumber(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === stored;
}

/** pax extended header records: "<len> key=value\n". */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(data.subarray(i, space).toString('latin1'), 10);
    if (!(len > 0) || i + len > data.length) throw new ArchiveError('not a readable tar archive (a damaged pax header)');
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/** A member name as a clean relative path: no "./" prefix, no trailing or doubled "/". */
export function cleanName(name: string): string {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts.join('/');
}

/** Metadata entries (pax, GNU long names) are small; more than this is not a real archive. */
const META_LIMIT = 1 << 20;

/**
 * Read a tar from `input`: every regular file's bytes go to `dir/<n>`, and
 * the returned map says what each (cleaned) name is. Fails with a one-line
 * ArchiveError if the input is not a tar or ends early.
 */
export async function readTar(input: AsyncIterable<Buffer | string>, dir: string): Promise<Map<string, TarEntry>> {
  const r = new ByteReader(input);
  const entries = new Map<string, TarEntry>();
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let files = 0;
  let first = true;
  for (;;) {
    const h = await r.read(BLOCK);
    if (h.length === 0 && !first) return entries; // ended without the zero blocks, on a boundary: Go's reader accepts that too
    if (h.length < BLOCK) throw new ArchiveError(first ? 'not a tar archive (it is too short)' : 'the archive is truncated (it ends inside a header)');
    if (h.every((b) => b === 0)) return entries;
    if (!checksumOk(h)) {
      throw new ArchiveError(first ? 'not a tar archive (its first block is no tar header)' : 'the archive is damaged (a tar header fails its checksum)');
    }
    first = false;
    const type = String.fromCharCode(h[156]!) === '\0' ? '0' : String.fromCharCode(h[156]!);
    const magic = h.subarray(257, 263).toString('latin1');
    const prefix = magic === 'ustar\0' ? readString(h, 345, 155) : '';
    let name = pax.path ?? longName ?? (prefix ? `${prefix}/${readString(h, 0, 100)}` : readString(h, 0, 100));
    const link = pax.linkpath ?? longLink ?? readString(h, 157, 100);
    const size = pax.size !== undefined ? Number(pax.size) : readNumber(h, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new ArchiveError('the archive is damaged (a member has an impossible size)');
    const padded = Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      if (size > META_LIMIT) throw new ArchiveError('the archive is damaged (an oversized extended header)');
      const data = await r.read(padded);
      if (data.length < padded) throw new ArchiveError('the archive is truncated (it ends inside an extended header)');
      const body = data.subarray(0, size);
      if (type === 'x') pax = parsePax(body);
      else if (type === 'L') longName = readString(body, 0, body.length);
      else if (type === 'K') longLink = readString(body, 0, body.length);
      continue; // 'g' (global pax) carries nothing glass needs
    }
    pax = {};
    longName = longLink = undefined;
    name = cleanName(name);

    if (type === '0' || type === '7') {
      const path = join(dir, String(files++));
      const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
      let failed: Error | undefined;
      out.on('error', (e) => (failed ??= e)); // a write after destroy() must not become an unhandled 'error'
      try {
        const got = await r.pipe(size, (chunk) => writeChunk(out, chunk));
        if (got < size) throw new ArchiveError(`the archive is truncated (it ends inside ${name || 'a member'})`);
        if (failed) throw failed;
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      } catch (e) {
        out.destroy();
        throw e;
      }
      const skip = await r.read(padded - size);
      if (skip.length < padded - size) throw new ArchiveError(`the archive is truncated (it ends after ${name})`);
      if (name) entries.set(name, { kind: 'file', path, size });
      continue;
    }
    // Everything else has no body worth keeping (devices, fifos: skipped).
    const skipped = await r.pipe(padded, async () => {});
    if (skipped < padded) throw new ArchiveError(`the archive is truncated (it ends inside ${name || 'a member'})`);
    if (!name) continue;
    if (type === '5') entries.set(name, { kind: 'dir' });
    else if (type === '2') entries.set(name, { kind: 'symlink', target: link });
    else if (type === '1') entries.set(name, { kind: 'hardlink', target: cleanName(link) });
  }
}

function writeChunk(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.destroyed || out.errored) return reject(out.errored ?? new Error('output closed'));
    const ok = out.write(chunk, (err) => err && reject(err));
    if (ok) return resolve();
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}

/**
 * Find a regular file in the archive by name, following the archive's own
 * symlinks and hard links the way a loader resolves them after extraction:
 * relative to the link's directory, an absolute target from the archive's
 * root (never the host's), at most 40 links. Undefined when it is missing
 * or not a regular file.
 */
export function findFile(entries: Map<string, TarEntry>, name: string): { path: string; size: number; name: string } | undefined {
  let current = cleanName(name);
  for (let hops = 0; hops <= 40; hops++) {
    // A directory on the way may itself be a symlink ("blobs" -> "x/blobs").
    const resolved = resolveDirs(entries, current);
    if (resolved === undefined) return undefined;
    current = resolved;
    const e = entries.get(current);
    if (!e) return undefined;
    if (e.kind === 'file') return { path: e.path, size: e.size, name: current };
    if (e.kind === 'dir') return undefined;
    if (e.kind === 'hardlink') current = e.target;
    else current = e.target.startsWith('/') ? cleanName(e.target) : cleanName(`${dirOf(current)}/${e.target}`);
  }
  return undefined;
}

function dirOf(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

function resolveDirs(entries: Map<string, TarEntry>, name: string): string | undefined {
  const parts = name.split('/');
  let out: string[] = [];
  for (let i = 0, hops = 0; i < parts.length - 1; i++) {
    out.push(parts[i]!);
    const e = entries.get(out.join('/'));
    if (e?.kind === 'symlink') {
      if (++hops > 40) return undefined;
      const base = e.target.startsWith('/') ? '' : out.slice(0, -1).join('/');
      out = cleanName(`${base}/${e.target}`).split('/').filter(Boolean);
    }
  }
  return [...out, parts.at(-1)!].filter(Boolean).join('/');
}

/** Read a small file of the archive (a JSON document), refusing anything over `limit` bytes. */
export async function readSmall(file: { path: string; size: number; name: string }, limit = 16 << 20): Promise<Buffer> {
  if (file.size > limit) throw new ArchiveError(`${file.name} in the archive is ${file.size} bytes, too large for what it should be`);
  return fs.readFile(file.path);
}
