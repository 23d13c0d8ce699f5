import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KernelError } from './errors.js';
import { findEscape, LIST_FLAGS, parseTarListing } from './archive-members.js';
import { step, type Tracer } from './step.js';

/** execa is loaded on first use: it costs ~130 ms of start-up that most commands never need. */
const loadExeca = async () => (await import('execa')).execa;

/**
 * Tar archives: the one file format every container image is made of. An
 * image layer is a tar of a directory tree; to use a layer, glass unpacks it
 * into a plain directory that overlayfs can stack. This is the only place in
 * glass that runs `tar` (GNU tar, which knows owners, modes, device nodes and
 * extended attributes such as file capabilities).
 */

export interface PackOptions {
  /**
   * Make the archive byte-for-byte reproducible: the same tree always gives
   * the same sha256, so the same image gets the same ID on every machine.
   * Entries are sorted, every timestamp is `mtime`, every owner is root, and
   * the pax headers carry nothing that changes between runs (no atime/ctime,
   * no process ID in header names). Extended attributes are left out because
   * they differ between hosts (an SELinux label, for example).
   */
  reproducible?: { mtime: Date };
  /**
   * A layer of a container's changes (`commit`): entries sorted by name,
   * owners, modes and mtimes kept as they are (they are part of what changed),
   * no atime/ctime; only the extended attributes matching `xattrs` (file
   * capabilities, user.*: not overlayfs's own trusted.* marks or a host's
   * security label). `members` are the top-level names to pack: their paths
   * in the archive have no "./" in front and the archive has no root entry,
   * as Docker's layers.
   */
  layer?: { members: string[]; xattrs: string[] };
  /** Overrides for the reported step. */
  title?: string;
  why?: string;
  /** End the writable stream when the archive is complete (default true). */
  end?: boolean;
}

export interface PackResult {
  /** "sha256:<hex>" of the archive bytes. */
  digest: string;
  size: number;
}

export interface UnpackOptions {
  title?: string;
  why?: string;
  /** How to name the archive in errors (default: its path, or "the archive" for a stream). */
  label?: string;
}

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** Recognise a compressed stream by its first bytes ("magic numbers"). */
export function detectCompression(head: Uint8Array): Compression | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  return null;
}

/**
 * Read the first `n` bytes of a stream without losing them: returns those
 * bytes and a stream that still yields everything, head included.
 */
export async function peekStream(src: NodeJS.ReadableStream, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = (src as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < n) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.from(r.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* all() {
    try {
      if (head.length > 0) yield head;
      while (!ended) {
        const r = await it.next();
        if (r.done) return;
        yield Buffer.from(r.value);
      }
    } finally {
      await it.return?.();
    }
  }
  return { head: head.subarray(0, n), stream: Readable.from(all(), { objectMode: false }) };
}

const TAR_ENV = { LC_ALL: 'C' }; // English messages, which unpackArchive inspects

/**
 * A pass-through stream that computes the sha256 digest and size of the
 * bytes flowing through it: content addressing without a second read.
 */
export function digestingStream(): { stream: Transform; result: () => { digest: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ digest: `sha256:${hash.digest('hex')}`, size }) };
}

/** Pack the contents of `dir` (not `dir` itself) as a tar archive. */
export async function packDirectory(
  trace: Tracer,
  dir: string,
  out: string | NodeJS.WritableStream,
  opts: PackOptions = {},
): Promise<PackResult> {
  const flags = opts.reproducible
    ? [
        '--sort=name',
        `--mtime=@${Math.floor(opts.reproducible.mtime.getTime() / 1000)}`,
        '--owner=0',
        '--group=0',
        '--numeric-owner',
        '--format=posix',
        '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
      ]
    : opts.layer
      ? [
          '--sort=name',
          '--numeric-owner',
          '--format=posix',
          '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
          '--xattrs',
          ...opts.layer.xattrs.map((x) => `--xattrs-include=${x}`),
        ]
      : ['--numeric-owner', '--xattrs', '--xattrs-include=*'];
  // "--" ends the options: a member named like a flag stays a name.
  const members = opts.layer ? ['--', ...opts.layer.members] : ['.'];
  const args = [...flags, '-C', dir, '-cf', '-', ...members];
  const shown = ['tar', ...flags, '-C', dir, '-cf', typeof out === 'string' ? out : '-', ...members];

  return step(
    trace,
    {
      title: opts.title ?? 'Pack a directory into a tar archive',
      why:
        opts.why ??
        'A layer travels as a tar archive: one file that keeps every path, owner, permission and link of the tree, so it can be stored by its hash and unpacked identically elsewhere.',
      command: shellJoin(shown),
    },
    async () => {
      const execa = await loadExeca();
      const tar = execa('tar', args, { env: TAR_ENV, stdin: 'ignore', buffer: { stdout: false } });
      const measure = digestingStream();
      const sink = typeof out === 'string' ? createWriteStream(out, { flags: 'wx', mode: 0o644 }) : out;
      const [piped, ran] = await Promise.allSettled([
        pipeline(tar.stdout, measure.stream, sink, { end: opts.end ?? true }),
        tar,
      ]);
      // A failing sink also kills tar (broken pipe), so report the sink first.
      if (piped.status === 'rejected') throw piped.reason;
      if (ran.status === 'rejected') throw tarFailed('pack', dir, ran.reason);
      return measure.result();
    },
  );
}

/**
 * Unpack a tar archive (plain or gzip-compressed) into `destDir`, keeping
 * numeric owners, modes, device nodes and extended attributes exactly as the
 * archive says. That needs root, which glass runs as: an image's files must
 * belong to the container's root, not to whoever unpacked them.
 *
 * An archive member may not leave `destDir`. Before tar writes anything,
 * glass lists the members as tar reads them and refuses the whole archive if
 * one would land outside: an absolute or ".." name, a hard link to a host
 * file, a file written through a symlink that points out (archive-members.ts
 * has the rules). GNU tar's defaults are a second wall: it strips a leading
 * "/", skips names with "..", and leaves a placeholder file where an absolute
 * or climbing symlink goes until everything else is written, so nothing is
 * written through one; when tar reports having had to do that, the archive is
 * refused as well. A stream can be read only once, so for a stream the list
 * is read alongside the unpacking and checked when both are done, tar's
 * defaults keeping the members inside meanwhile.
 *
 * On any failure `destDir` may hold part of the archive: unpack into a fresh
 * scratch directory and remove it when this throws.
 */
export async function unpackArchive(
  trace: Tracer,
  src: string | NodeJS.ReadableStream,
  destDir: string,
  opts: UnpackOptions = {},
): Promise<void> {
  let input: Readable | undefined;
  let head: Buffer;
  if (typeof src === 'string') {
    head = await readHead(src, 6);
  } else {
    const peeked = await peekStream(src, 6);
    head = peeked.head;
    input = peeked.stream;
  }
  const compression = detectCompression(head);
  if (compression && compression !== 'gzip') {
    throw new KernelError(
      'INVALID_ARGUMENT',
      `the archive is compressed with ${compression}; glass reads plain or gzip tar archives, so decompress it first`,
    );
  }
  const gzip = compression === 'gzip' ? ['-z'] : [];
  const flags = ['--numeric-owner', '--same-owner', '--same-permissions', '--xattrs', '--xattrs-include=*', ...gzip];
  const file = typeof src === 'string' ? src : '-';
  const label = opts.label ?? (file === '-' ? 'the archive' : file);
  const args = [...flags, '-C', destDir, '-xf', file];
  const listArgs = [...LIST_FLAGS, ...gzip, '-f', file];

  const execa = await loadExeca();
  const tar = (argv: string[]) =>
    execa('tar', argv, { env: TAR_ENV, stdin: input ? 'pipe' : 'ignore', reject: false, maxBuffer: 1024 * 1024 * 1024 });

  // One step: the member check (`tar --list`) is part of unpacking safely, and
  // a refused archive shows as this step failing with the reason.
  await step(
    trace,
    {
      title: opts.title ?? 'Unpack a tar archive',
      why:
        opts.why ??
        'Overlayfs stacks ordinary directories, not archives, so each layer is unpacked once into its own directory, with the owners and permissions the archive records; first every member is checked to stay inside it.',
      command: shellJoin(['tar', ...args]),
    },
    async () => {
      if (!input) {
        checkMembers(await tar(listArgs), label);
        checkUnpacked(await tar(args), label);
        return;
      }
      const lister = tar(listArgs);
      const unpacker = tar(args);
      const [fed, listed, unpacked] = await Promise.all([
        feed(input, [lister.stdin!, unpacker.stdin!]).then(() => undefined, (e: unknown) => e),
        lister,
        unpacker,
      ]);
      if (fed) throw fed; // the input itself failed (a gzip error, a closed socket)
      checkEscapes(String(unpacked.stderr ?? ''), label);
      checkMembers(listed, label);
      checkUnpacked(unpacked, label);
    },
  );
}

interface TarRun {
  stdout?: unknown;
  stderr?: unknown;
  failed: boolean;
}

/** The listing tar: a readable archive whose every member stays inside. */
function checkMembers(listed: TarRun, label: string): void {
  checkReadable(String(listed.stderr ?? ''), label);
  if (listed.failed) throw tarFailed('list', label, listed);
  let escape: string | undefined;
  try {
    escape = findEscape(parseTarListing(String(listed.stdout ?? '')));
  } catch (e) {
    throw new KernelError('INVALID_ARGUMENT', `refusing to unpack ${label}: glass could not read its member list (${(e as Error).message})`);
  }
  if (escape) throw new KernelError('INVALID_ARGUMENT', `refusing to unpack ${label}: ${escape}`);
}

/** The unpacking tar: it must not have had to strip or skip a member to keep it inside. */
function checkUnpacked(unpacked: TarRun, label: string): void {
  const stderr = String(unpacked.stderr ?? '');
  checkEscapes(stderr, label);
  checkReadable(stderr, label);
  if (unpacked.failed) throw tarFailed('unpack', label, unpacked);
}

function checkEscapes(stderr: string, label: string): void {
  const escape = stderr.match(/Removing leading `[^']*' from [^\n]*|[^\n]*Member name contains '\.\.'/);
  if (escape) {
    throw new KernelError(
      'INVALID_ARGUMENT',
      `refusing to unpack ${label}: it has members with absolute paths or '..' that would land outside the layer (tar: ${escape[0]})`,
    );
  }
}

function checkReadable(stderr: string, label: string): void {
  if (/does not look like a tar archive|Unexpected EOF|not in gzip format|Archive contains obsolescent/.test(stderr)) {
    throw new KernelError('INVALID_ARGUMENT', `${label === 'the archive' ? 'the input' : label} is not a readable tar archive: ${firstLine(stderr)}`);
  }
}

/**
 * Copy a stream into several writables at the pace of the slowest. One that
 * fails (its tar stopped reading: tar's exit status tells whether that was an
 * error) is dropped; all are ended when the input ends or fails, so no tar
 * waits for more. Only the input's own errors are thrown.
 */
async function feed(input: Readable, sinks: Writable[]): Promise<void> {
  const live = new Set(sinks);
  for (const s of sinks) s.on('error', () => live.delete(s));
  const write = (s: Writable, chunk: Buffer) =>
    new Promise<void>((resolve) => {
      if (s.destroyed) {
        live.delete(s);
        return resolve();
      }
      s.write(chunk, (err) => {
        if (err) live.delete(s);
        resolve();
      });
    });
  try {
    for await (const chunk of input) {
      await Promise.all([...live].map((s) => write(s, chunk as Buffer)));
      if (live.size === 0) break;
    }
  } finally {
    for (const s of sinks) s.end();
  }
}

async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function tarFailed(what: 'pack' | 'unpack' | 'list', target: string, reason: unknown): KernelError {
  const r = reason as { stderr?: unknown; shortMessage?: string; message?: string };
  const detail = firstLine(String(r?.stderr ?? '')) || r?.shortMessage || r?.message || String(reason);
  return new KernelError('KERNEL', `tar could not ${what} ${target}: ${detail}`);
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

/** Render argv as a line a learner can paste into a shell. */
export function shellJoin(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
