import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { KernelError } from './errors.js';
import { report, type Tracer } from './step.js';

/**
 * Decompress a stream with the host's own tool. Node reads gzip itself
 * (zlib); archives compressed with xz, bzip2 or zstd, which `docker load`
 * also accepts, go through `xz -dc`, `bzip2 -dc` or `zstd -dc`: the same
 * command a learner would type, reading the stream on stdin and writing the
 * plain bytes to stdout.
 */
const TOOLS = {
  xz: { argv: ['xz', '-dc'], pkg: 'xz-utils' },
  bzip2: { argv: ['bzip2', '-dc'], pkg: 'bzip2' },
  zstd: { argv: ['zstd', '-dc'], pkg: 'zstd' },
} as const;

export type ToolCompression = keyof typeof TOOLS;

/**
 * The decompressed bytes of `input`, as a stream. A tool that fails (not
 * installed, damaged input) makes the stream fail with a one-line error
 * naming it; `label` names the input in that line.
 */
export function decompressWithTool(trace: Tracer, kind: ToolCompression, input: Readable, label: string): Readable {
  const { argv, pkg } = TOOLS[kind];
  report(trace, {
    title: `Decompress ${label} with ${argv[0]}`,
    why: `The archive is ${kind}-compressed; the host's ${argv[0]} turns it back into a plain tar as it streams, so nothing is unpacked to disk twice.`,
    command: `${argv.join(' ')} < ${label === 'the input' ? 'ARCHIVE' : label}`,
  });
  const out = new PassThrough();
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  child.on('error', (e: NodeJS.ErrnoException) => {
    out.destroy(
      new KernelError(
        'INVALID_ARGUMENT',
        e.code === 'ENOENT'
          ? `${label} is ${kind}-compressed and ${argv[0]} is not installed: install ${pkg}, or decompress it first`
          : `${argv[0]} could not start: ${e.message}`,
      ),
    );
  });
  // The reader may stop early (a bad archive): the tool then sees EPIPE, which is no error of ours.
  child.stdin.on('error', () => {});
  input.on('error', (e) => {
    child.kill();
    out.destroy(e);
  });
  input.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else if (!out.destroyed) {
      const why = stderr.trim().split('\n')[0] || `exit status ${code}`;
      out.destroy(new KernelError('INVALID_ARGUMENT', `${label} is damaged: ${argv[0]} could not decompress it (${why})`));
    }
  });
  out.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return out;
}
