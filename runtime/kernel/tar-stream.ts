import { constants as fsConstants, createReadStream, promises as fs } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { detectCompression } from './archive.js';
import { decompressWithTool } from './decompress.js';
import { KernelError } from './errors.js';
import { report, type Tracer } from './step.js';

/**
 * A tar stream written entry by entry, for a build's COPY and ADD: each
 * entry's name, owner and mode are chosen by the builder (Docker's rules:
 * the files of the context belong to root, or to the --chown user), which
 * `tar` on the command line cannot do per file. The format is small enough
 * to write by hand, and worth seeing once:
 *
 *   every entry   a 512-byte header: name, mode, uid, gid, size, mtime (octal
 *                 text), a checksum of the header, a type ('0' file, '5'
 *                 directory, '2' symlink, '1' hard link...), the link target
 *   a file        then its bytes, padded with zeros to a multiple of 512
 *   the end       two blocks of 512 zeros
 *
 * A name longer than the header's 100 bytes (+155 of "prefix") goes in a
 * PAX extended header before the entry ("27 path=a/very/long/name\n"), as
 * GNU and busybox tar both read it.
 */

export type TarEntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  /** The name in the archive, relative, "/"-separated, no "./" or trailing "/". */
  name: string;
  kind: TarEntryKind;
  /** Permission bits (and setuid/setgid/sticky). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** A file: its size and where its bytes are on the host. */
  size?: number;
  hostPath?: string;
  /** The file's inode and device when it was listed: the file read must still be that one. */
  ino?: number;
  dev?: number;
  /** A symlink: its target; a hard link: the name of the earlier entry it is. */
  link?: string;
  /** A device node. */
  devMajor?: number;
  devMinor?: number;
}

const TYPE: Record<TarEntryKind, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

/** An octal field of `len` bytes: digits, then NUL. undefined when the number does not fit. */
function octal(n: number, len: number): string | undefined {
  const s = Math.max(0, Math.floor(n)).toString(8);
  return s.length > len - 1 ? undefined : s.padStart(len - 1, '0');
}

/** A PAX record "<len> key=value\n", whose length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Split a name into ustar's prefix (155) and name (100) at a "/", if it fits. */
function splitUstar(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { prefix, name: rest };
  }
  return undefined;
}

interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: string;
  link: string;
  devMajor?: number;
  devMinor?: number;
}

/** One 512-byte header block. Fields that do not fit are left for the PAX header (`pax` says which). */
function headerBlock(h: RawHeader): { block: Buffer; pax: Record<string, string> } {
  const b = Buffer.alloc(512);
  const pax: Record<string, string> = {};
  const put = (s: string, off: number, len: number) => b.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8');
  const split = splitUstar(h.name);
  if (split) {
    put(split.name, 0, 100);
    put(split.prefix, 345, 155);
  } else {
    pax.path = h.name;
    put(Buffer.from(h.name).subarray(0, 100).toString('utf8'), 0, 100);
  }
  const num = (key: string, n: number, off: number, len: number) => {
    const o = octal(n, len);
    if (o !== undefined) return put(o, off, len);
    if (key === 'uid' || key === 'gid') {
      // GNU's base-256: the high bit of the first byte set, the number big-endian (busybox reads this, not PAX owners).
      b[off] = 0x80;
      for (let i = len - 1, v = n; i > 0 && v > 0; i--, v = Math.floor(v / 256)) b[off + i] = v % 256;
      return;
    }
    pax[key] = String(n);
    put('0'.repeat(len - 1), off, len);
  };
  put(octal(h.mode & 0o7777, 8)!, 100, 8);
  num('uid', h.uid, 108, 8);
  num('gid', h.gid, 116, 8);
  num('size', h.size, 124, 12);
  num('mtime', h.mtime, 136, 12);
  b.write(h.type, 156, 1, 'latin1');
  if (Buffer.byteLength(h.link) > 100) pax.linkpath = h.link;
  else put(h.link, 157, 100);
  b.write('ustar\x0000', 257, 8, 'latin1');
  if (h.devMajor !== undefined) put(octal(h.devMajor, 8) ?? '0000000', 329, 8);
  if (h.devMinor !== undefined) put(octal(h.devMinor, 8) ?? '0000000', 337, 8);
  // The checksum: the sum of the header's bytes, its own field counted as spaces.
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return { block: b, pax };
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** The header block(s) of one entry: a PAX header first when a field does not fit ustar's. */
export function entryHeader(e: TarEntry): Buffer {
  const name = e.kind === 'dir' ? `${e.name}/` : e.name;
  const size = e.kind === 'file' ? (e.size ?? 0) : 0;
  const { block, pax } = headerBlock({
    name,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size,
    mtime: e.mtime,
    type: TYPE[e.kind],
    link: e.link ?? '',
    devMajor: e.kind === 'char' || e.kind === 'block' ? (e.devMajor ?? 0) : undefined,
    devMinor: e.kind === 'char' || e.kind === 'block' ? (e.devMinor ?? 0) : undefined,
  });
  const keys = Object.keys(pax);
  if (keys.length === 0) return block;
  const body = Buffer.from(keys.map((k) => paxRecord(k, pax[k])).join(''));
  const paxName = `PaxHeaders/${name.replace(/\/$/, '').split('/').pop()!.slice(0, 80)}`;
  const { block: paxBlock } = headerBlock({ name: paxName, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: e.mtime, type: 'x', link: '' });
  return Buffer.concat([paxBlock, body, pad(body.length), block]);
}

/**
 * The entries as one tar stream. A file's bytes are read from its host path
 * as the stream is consumed; a file whose size changed since it was listed
 * fails the stream (what tar says: "file changed as we read it").
 */
export function tarEntries(entries: TarEntry[]): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for (const e of entries) {
      yield entryHeader(e);
      if (e.kind !== 'file' || !e.size) continue;
      let read = 0;
      // O_NOFOLLOW: a file swapped for a symlink since it was listed is refused, not followed to another file.
      const fh = await fs.open(e.hostPath!, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
      const st = await fh.stat();
      if (!st.isFile() || (e.ino !== undefined && (st.ino !== e.ino || st.dev !== e.dev))) {
        await fh.close();
        throw new KernelError('INVALID_ARGUMENT', `${e.hostPath} changed since it was listed (it is no longer the same file); run the build again`);
      }
      for await (const chunk of fh.createReadStream({ end: e.size - 1 }) as AsyncIterable<Buffer>) {
        read += chunk.length;
        yield chunk;
      }
      if (read !== e.size) throw new KernelError('KERNEL', `${e.hostPath}: file changed as we read it (${read} bytes, expected ${e.size})`);
      yield pad(e.size);
    }
    yield Buffer.alloc(1024);
  }
  return Readable.from(generate(), { objectMode: false });
}

// ---- host trees -----------------------------------------------------------------

/** One path of a host tree, as lstat(2) saw it. */
export interface HostTreeEntry {
  /** Relative to the tree's root, "/"-separated ("." is the root itself). */
  rel: string;
  kind: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (fractions dropped, as tar keeps them). */
  mtime: number;
  /** A symlink's target, as written. */
  link?: string;
  hostPath: string;
  /** For hard links: "dev:ino" when the file has more than one name. */
  inode?: string;
  devMajor?: number;
  devMinor?: number;
}

function kindOf(st: import('node:fs').Stats): HostTreeEntry['kind'] {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'file';
}

/**
 * Walk a host directory (a scratch directory glass made: an unpacked
 * archive, a download, files taken out of an image) without following any
 * symlink: every entry, parents before children, names sorted as Go's
 * filepath.Walk visits them.
 */
export async function walkHostTree(root: string): Promise<HostTreeEntry[]> {
  const out: HostTreeEntry[] = [];
  const visit = async (rel: string): Promise<void> => {
    const hostPath = rel === '.' ? root : join(root, rel);
    const st = await fs.lstat(hostPath);
    const kind = kindOf(st);
    const rdev = Number(st.rdev);
    out.push({
      rel,
      kind,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: kind === 'file' ? st.size : 0,
      mtime: Math.floor(st.mtimeMs / 1000),
      link: kind === 'symlink' ? await fs.readlink(hostPath) : undefined,
      hostPath,
      inode: kind === 'file' && st.nlink > 1 ? `${st.dev}:${st.ino}` : undefined,
      devMajor: kind === 'char' || kind === 'block' ? ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff) : undefined,
      devMinor: kind === 'char' || kind === 'block' ? (rdev & 0xff) | ((rdev >> 12) & ~0xff & 0xfffff) : undefined,
    });
    if (kind !== 'dir') return;
    const names = (await fs.readdir(hostPath)).sort();
    for (const name of names) await visit(rel === '.' ? name : `${rel}/${name}`);
  };
  await visit('.');
  return out;
}

// ---- is it an archive? -------------------------------------------------------------

/** Whether a 512-byte block is a tar header: its checksum adds up (Go's archive/tar accepts the unsigned or signed sum). */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  const want = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return want === unsigned || want === signed;
}

/**
 * Docker's isArchivePath, for ADD: a local file is unpacked when, once
 * decompressed (gzip, bzip2 or xz), it starts with a valid tar header.
 * Anything else (a text file, an empty tar) is copied as it is.
 */
export async function looksLikeTar(trace: Tracer, hostPath: string, label: string): Promise<boolean> {
  const fh = await fs.open(hostPath, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  let head: Buffer;
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const compression = detectCompression(head);
  if (compression === 'zstd') return false; // Docker 20.10's DecompressStream does not read zstd
  const raw = createReadStream(hostPath);
  const plain: Readable =
    compression === 'gzip'
      ? raw.pipe(createGunzip())
      : compression === 'bzip2' || compression === 'xz'
        ? decompressWithTool(trace, compression, raw, label)
        : raw;
  const first = await readUpTo(plain, 512).catch(() => Buffer.alloc(0));
  plain.destroy();
  raw.destroy();
  report(trace, {
    title: `Check whether ${label} is a tar archive`,
    why: 'ADD unpacks a local tar archive (plain, gzip, bzip2 or xz) instead of copying it: Docker decides by reading its first header, whatever the file is called.',
    command: `${compression ? `${compression === 'gzip' ? 'gzip' : compression === 'bzip2' ? 'bzip2' : 'xz'} -dc ${label} | ` : ''}tar -tf ${compression ? '-' : label} | head -n 1`,
  });
  return isTarHeader(first);
}

async function readUpTo(stream: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    got += chunk.length;
    if (got >= n) break;
  }
  return Buffer.concat(chunks).subarray(0, n);
}

/**
 * The regular files of a small tar stream held in memory (what a
 * container's /etc/passwd comes out as): name → bytes. PAX and GNU long
 * names are read; other entries are skipped.
 */
export function readTarFiles(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    if (!isTarHeader(h)) throw new KernelError('INVALID_ARGUMENT', 'not a tar stream');
    const str = (a: number, l: number) => h.subarray(a, a + l).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(str(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 0x30);
    const prefix = str(345, 155);
    let name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100);
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (longName !== undefined) name = longName;
    longName = undefined;
    if (type === '0' || type === '\0' || type === '7') files.set(name.replace(/^\.\//, ''), Buffer.from(body));
  }
  return files;
}
