import { promises as fs, type BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KernelError } from '../errors.js';

/**
 * Reading a container's json-file log, as the shim writes and rotates it
 * (native/jsonlog.c): `<id>-json.log` is the current file, `<id>-json.log.1`
 * the one before it, `.2` older still. Read oldest first, they are the
 * container's output in order.
 *
 * Nothing here holds a whole file in memory: files are read in blocks and
 * cut into lines, `--tail` reads blocks backwards from the end and stops as
 * soon as it has its lines, and `--follow` keeps a file open and polls for
 * more, moving to the next file when the shim rotates.
 */

/** One entry of the json-file log the shim writes. */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  log: string;
  time: string;
}

export interface LogOptions {
  follow?: boolean;
  /** Number of lines from the end, or undefined for all. */
  tail?: number;
  /** Checked while following: stop once this returns false and the file is drained. */
  isRunning?: () => Promise<boolean>;
  /** How often a follower looks for more output (ms). */
  pollMs?: number;
}

/** Bytes read at a time, forwards or backwards. */
export const LOG_BLOCK = 64 * 1024;
/** The shim's entries are under 200 KiB; a longer "line" is damage, skipped so that memory stays bounded. */
export const MAX_LOG_LINE = 8 * 1024 * 1024;

const NL = 0x0a;

/** Any failure but "there is no log yet" is the user's to know about, never silence. */
function readError(e: unknown, file: string): KernelError {
  const err = e as NodeJS.ErrnoException;
  // Node's message is "EISDIR: illegal operation on a directory, read"; the path is said once, here.
  const what = String(err.message ?? e).split(', ')[0];
  return new KernelError(
    'KERNEL',
    `cannot read the container's log ${file}: ${what}${err.syscall ? ` (${err.syscall})` : ''}; check that it is a file glass can read and that the disk under the state root is healthy`,
    1,
  );
}

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/** A line of the log, or undefined for a line that is not a whole entry (damage, or one being written). */
function parseEntry(text: string): LogEntry | undefined {
  try {
    const e = JSON.parse(text) as LogEntry;
    return e && typeof e.log === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

// ---- which files ------------------------------------------------------------

/** One open file of the log. Holding it open, we read it whatever its name becomes. */
interface LogFile {
  /** Its name when it was opened (for messages: it may have been renamed since). */
  name: string;
  fh: FileHandle;
  ino: bigint;
  dev: bigint;
  /** Its size when it was opened. */
  size: number;
}

const sameFile = (a: { ino: bigint; dev: bigint }, b: { ino: bigint; dev: bigint }) => a.ino === b.ino && a.dev === b.dev;

/** `<log>.N` ... `<log>.1`, `<log>`: the names of the log's files, oldest first. */
async function logNames(path: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dirname(path));
  } catch (e) {
    if (isMissing(e)) return [];
    throw readError(e, dirname(path));
  }
  const prefix = `${basename(path)}.`;
  const numbers = names
    .filter((n) => n.startsWith(prefix) && /^[1-9]\d*$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => b - a);
  return [...numbers.map((n) => `${path}.${n}`), path];
}

async function statOrUndefined(path: string): Promise<BigIntStats | undefined> {
  try {
    return await fs.stat(path, { bigint: true });
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw readError(e, path);
  }
}

/** Which file has which name right now: [name, inode] pairs, missing names left out. */
async function nameMap(path: string): Promise<string> {
  const out: string[] = [];
  for (const name of await logNames(path)) {
    const st = await statOrUndefined(name);
    if (st) out.push(`${name}\0${st.dev}:${st.ino}`);
  }
  return out.join('\n');
}

/**
 * Open every file of the log, oldest first. The shim may rotate while we
 * open them (a file we meant to open next moves to the name we just opened),
 * so the names are looked at before and after: if any name now points at
 * another file, start over. A rotation is a few renames, done in
 * microseconds; tries are bounded all the same.
 */
async function openLogFiles(path: string): Promise<LogFile[]> {
  for (let attempt = 0; ; attempt++) {
    const before = await nameMap(path);
    const files: LogFile[] = [];
    let moved = false;
    for (const line of before ? before.split('\n') : []) {
      const [name, id] = line.split('\0') as [string, string];
      let fh: FileHandle;
      try {
        fh = await fs.open(name, 'r');
      } catch (e) {
        if (!isMissing(e)) {
          await closeAll(files);
          throw readError(e, name);
        }
        moved = true;
        break;
      }
      let st: BigIntStats;
      try {
        st = await fh.stat({ bigint: true });
      } catch (e) {
        await closeAll([...files, { name, fh, ino: 0n, dev: 0n, size: 0 }]);
        throw readError(e, name);
      }
      files.push({ name, fh, ino: st.ino, dev: st.dev, size: Number(st.size) });
      if (`${st.dev}:${st.ino}` !== id) {
        moved = true;
        break;
      }
    }
    if (!moved && (await nameMap(path)) === before) return files;
    if (attempt >= 100) return files; // rotating faster than we can look: read what we have
    await closeAll(files);
    await sleep(Math.min(attempt, 10));
  }
}

async function closeAll(files: Iterable<LogFile>): Promise<void> {
  for (const f of files) await f.fh.close().catch(() => {});
}

// ---- reading forwards ---------------------------------------------------------

/** Where a reader is: a file and the offset just after the last whole line it took. */
interface Cursor {
  file: LogFile;
  offset: number;
}

/**
 * The entries of a file from the cursor to its end, block by block; the
 * cursor moves past each whole line. Bytes after the last '\n' are an entry
 * still being written and are left for the next read, unless the file is
 * `finished` (rotated: nothing more will be written to it).
 */
async function* readEntries(cur: Cursor, finished: boolean): AsyncGenerator<LogEntry> {
  const buf = Buffer.allocUnsafe(LOG_BLOCK);
  let pos = cur.offset;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let skipping = false; // in a line longer than MAX_LOG_LINE
  for (;;) {
    let n: number;
    try {
      ({ bytesRead: n } = await cur.file.fh.read(buf, 0, LOG_BLOCK, pos));
    } catch (e) {
      throw readError(e, cur.file.name);
    }
    if (n === 0) break;
    const block = buf.subarray(0, n);
    let start = 0;
    for (let nl = block.indexOf(NL, start); nl >= 0; nl = block.indexOf(NL, start)) {
      const piece = block.subarray(start, nl);
      const text = skipping ? '' : carryLen ? Buffer.concat([...carry, piece]).toString('utf8') : piece.toString('utf8');
      carry = [];
      carryLen = 0;
      skipping = false;
      start = nl + 1;
      cur.offset = pos + start;
      const entry = text ? parseEntry(text) : undefined;
      if (entry) yield entry;
    }
    if (!skipping && start < n) {
      carry.push(Buffer.from(block.subarray(start)));
      carryLen += n - start;
      if (carryLen > MAX_LOG_LINE) {
        skipping = true;
        carry = [];
        carryLen = 0;
      }
    }
    pos += n;
  }
  if (finished) {
    const entry = !skipping && carryLen ? parseEntry(Buffer.concat(carry).toString('utf8')) : undefined;
    cur.offset = pos;
    if (entry) yield entry;
  }
}

// ---- reading backwards (--tail) ----------------------------------------------

/** Read `length` bytes of file number `file` (oldest first) at `position`. */
export type ReadAt = (file: number, position: number, length: number) => Promise<Buffer>;

/** The index of the last '\n' before `end` in buf, or -1. */
const lastNewline = (buf: Buffer, end: number) => (end <= 0 ? -1 : buf.lastIndexOf(NL, end - 1));

/**
 * The last `n` entries of a log whose files (oldest first) have these sizes,
 * reading blocks backwards from the end of the last file, into older files
 * only if it has fewer than `n`: a huge log costs a few reads, not a pass
 * over it. Only whole entries count: the last file's bytes after its last
 * '\n' (an entry being written) are left out, and `end` says where its whole
 * lines end, for a follower to go on from. Entries come back oldest first.
 */
export async function tailEntries(sizes: number[], n: number, readAt: ReadAt, block = LOG_BLOCK): Promise<{ entries: LogEntry[]; end: number }> {
  const found: LogEntry[] = []; // newest first
  let end = 0;
  const take = (text: string) => {
    const e = text ? parseEntry(text) : undefined;
    if (e) found.push(e);
  };
  for (let i = sizes.length - 1; i >= 0; i--) {
    const current = i === sizes.length - 1;
    // A rotated file ends where its last entry ends; the current one may end inside one.
    let atLineEnd = !current;
    let pieces: Buffer[] = []; // the part of a line after this block, in file order
    let piecesLen = 0;
    let skipping = false;
    let pos = sizes[i]!;
    while (pos > 0 && (found.length < n || !atLineEnd)) {
      const length = Math.min(block, pos);
      pos -= length;
      const buf = await readAt(i, pos, length);
      let e = buf.length; // buf[0, e) is not consumed yet
      for (let k = lastNewline(buf, e); k >= 0 && (found.length < n || !atLineEnd); k = lastNewline(buf, e)) {
        if (!atLineEnd) {
          atLineEnd = true;
          end = pos + k + 1;
        } else if (!skipping) {
          take(Buffer.concat([buf.subarray(k + 1, e), ...pieces]).toString('utf8'));
        }
        pieces = [];
        piecesLen = 0;
        skipping = false;
        e = k;
      }
      if (found.length >= n && atLineEnd) break;
      if (atLineEnd && !skipping && e > 0) {
        pieces.unshift(Buffer.from(buf.subarray(0, e)));
        piecesLen += e;
        if (piecesLen > MAX_LOG_LINE) {
          skipping = true;
          pieces = [];
          piecesLen = 0;
        }
      }
    }
    // The file's first line has no '\n' before it.
    if (pos === 0 && found.length < n && atLineEnd && !skipping && piecesLen > 0) take(Buffer.concat(pieces).toString('utf8'));
    if (found.length >= n) break;
  }
  return { entries: found.slice(0, n).reverse(), end };
}

async function readBlock(f: LogFile, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  try {
    while (got < length) {
      const { bytesRead } = await f.fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } catch (e) {
    throw readError(e, f.name);
  }
  return buf.subarray(0, got);
}

// ---- the whole log -----------------------------------------------------------

/**
 * Read (and with follow, keep reading) a container's log, whatever its size.
 * A log that does not exist yet has no entries; any other failure to read it
 * is thrown (a KernelError saying what went wrong).
 */
export async function* readLog(path: string, opts: LogOptions = {}): AsyncGenerator<LogEntry> {
  const open = new Set<LogFile>();
  const track = (files: LogFile[]) => (files.forEach((f) => open.add(f)), files);
  const release = async (f: LogFile) => {
    open.delete(f);
    await f.fh.close().catch(() => {});
  };
  /** Every entry of these files, oldest first; returns the cursor at the end of the last one. */
  async function* readAll(files: LogFile[]): AsyncGenerator<LogEntry, Cursor | undefined> {
    let cur: Cursor | undefined;
    for (const [i, file] of files.entries()) {
      const last = i === files.length - 1;
      const c = { file, offset: 0 };
      yield* readEntries(c, !last);
      if (last) cur = c;
      else await release(file);
    }
    return cur;
  }
  try {
    const files = track(await openLogFiles(path));
    let cur: Cursor | undefined;
    if (opts.tail !== undefined) {
      const { entries, end } = await tailEntries(files.map((f) => f.size), opts.tail, (i, p, l) => readBlock(files[i]!, p, l));
      yield* entries;
      if (files.length) cur = { file: files.at(-1)!, offset: end };
      for (const f of files.slice(0, -1)) await release(f);
    } else {
      cur = yield* readAll(files);
    }
    if (!opts.follow) return;
    yield* follow(path, cur, opts, { track, release, readAll });
  } finally {
    await closeAll(open);
  }
}

/**
 * Keep reading as the container writes. Polling the file is simple and works
 * on every filesystem. The shim rotates by renaming: when the log's name
 * points at another file (another inode) than the one we are reading, ours
 * is finished: read it to its end, then every file newer than it (found by
 * its inode among the names), and go on with the newest.
 */
async function* follow(
  path: string,
  start: Cursor | undefined,
  opts: LogOptions,
  io: {
    track: (files: LogFile[]) => LogFile[];
    release: (f: LogFile) => Promise<void>;
    readAll: (files: LogFile[]) => AsyncGenerator<LogEntry, Cursor | undefined>;
  },
): AsyncGenerator<LogEntry> {
  const poll = opts.pollMs ?? 50;
  let cur = start;
  for (;;) {
    // Asked first: once the container is seen stopped, all it wrote is in the files.
    const running = opts.isRunning ? await opts.isRunning() : false;
    if (cur) {
      const before = cur.offset;
      yield* readEntries(cur, false);
      if (cur.offset !== before) continue;
    }
    const now = await statOrUndefined(path);
    if (!cur) {
      // No log yet: wait for the shim's first output.
      if (now) cur = yield* io.readAll(io.track(await openLogFiles(path)));
      else if (!running) return;
      else await sleep(poll);
      continue;
    }
    if (now && sameFile(now, cur.file)) {
      if (Number(now.size) < cur.offset) {
        cur.offset = 0; // cut short in place (not the shim's way, but `truncate -s 0` would): start it over
        continue;
      }
      if (!running) return;
      await sleep(poll);
      continue;
    }
    if (!now && !running) return; // removed
    // Ours was rotated (or is being: the new file may not exist yet).
    yield* readEntries(cur, true);
    const files = io.track(await openLogFiles(path));
    const mine = files.findIndex((f) => sameFile(f, cur!.file));
    // Not found: deleted, more rotations than max-file since we last looked; what was between is gone.
    const newer = files.slice(mine + 1);
    for (const f of files.slice(0, mine + 1)) await io.release(f);
    if (!newer.length) {
      await sleep(Math.min(poll, 5)); // the shim is between its renames
      continue;
    }
    await io.release(cur.file);
    cur = yield* io.readAll(newer);
  }
}
