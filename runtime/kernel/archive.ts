import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KernelError } from './errors.js';
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
    : ['--numeric-owner', '--xattrs', '--xattrs-include=*'];
  const args = [...flags, '-C', dir, '-cf', '-', '.'];
  const shown = ['tar', ...flags, '-C', dir, '-cf', typeof out === 'string' ? out : '-', '.'];

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
 * An archive member may not leave `destDir`. GNU tar already refuses: it
 * strips a leading "/" and skips names containing "..", and it will not write
 * through a symlink the archive itself planted. glass goes further and
 * rejects the whole archive when tar had to do either, because such an
 * archive was either made by mistake or made to attack. On any failure
 * `destDir` may hold part of the archive: unpack into a fresh scratch
 * directory and remove it when this throws.
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
  const flags = [
    '--numeric-owner',
    '--same-owner',
    '--same-permissions',
    '--xattrs',
    '--xattrs-include=*',
    ...(compression === 'gzip' ? ['-z'] : []),
  ];
  const file = typeof src === 'string' ? src : '-';
  const args = [...flags, '-C', destDir, '-xf', file];

  await step(
    trace,
    {
      title: opts.title ?? 'Unpack a tar archive',
      why:
        opts.why ??
        'Overlayfs stacks ordinary directories, not archives, so each layer is unpacked once into its own directory, with the owners and permissions the archive records.',
      command: shellJoin(['tar', ...args]),
    },
    async () => {
      const execa = await loadExeca();
      const tar = execa('tar', args, {
        env: TAR_ENV,
        stdin: input ? 'pipe' : 'ignore',
        reject: false,
      });
      const feeding = input ? pipeline(input, tar.stdin!) : Promise.resolve();
      const [fed, ran] = await Promise.allSettled([feeding, tar]);
      // When tar stops reading early (a bad archive), feeding it fails with a
      // broken pipe: tar's own message is then the one worth showing.
      const fedError = fed.status === 'rejected' ? (fed.reason as NodeJS.ErrnoException) : undefined;
      const brokenPipe = ['EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED'].includes(fedError?.code ?? '');
      if (fedError && !brokenPipe) throw fedError;
      const result = ran.status === 'fulfilled' ? ran.value : undefined;
      const stderr = String(result?.stderr ?? '');
      const escape = stderr.match(/Removing leading `[^']*' from [^\n]*|[^\n]*Member name contains '\.\.'/);
      if (escape) {
        throw new KernelError(
          'INVALID_ARGUMENT',
          `refusing to unpack ${file === '-' ? 'the archive' : file}: it has members with absolute paths or '..' that would land outside the layer (tar: ${escape[0]})`,
        );
      }
      if (/does not look like a tar archive|Unexpected EOF|not in gzip format|Archive contains obsolescent/.test(stderr)) {
        throw new KernelError('INVALID_ARGUMENT', `${file === '-' ? 'the input' : file} is not a readable tar archive: ${firstLine(stderr)}`);
      }
      if (ran.status === 'rejected' || result?.failed) {
        throw tarFailed('unpack', file, ran.status === 'rejected' ? ran.reason : result);
      }
      if (fedError) throw fedError;
    },
  );
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

function tarFailed(what: 'pack' | 'unpack', target: string, reason: unknown): KernelError {
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
