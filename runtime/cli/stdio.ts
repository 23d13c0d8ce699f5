import type { Attachment } from '../engine/index.js';

/**
 * Connect this terminal to a container's stdio through its attachment. With
 * a tty, the local terminal goes into raw mode so every key (Ctrl-C, arrows)
 * reaches the container's own terminal, and window size changes follow.
 * Resolves with the container's exit code (undefined if the link dropped).
 */
/**
 * What to do when our reader goes away (`glass logs web | head -1`): a write
 * fails with EPIPE. By default glass notes it, stops writing, lets the
 * command wind down (so `export` still unmounts) and exits 141, as a process
 * killed by SIGPIPE would. While attached to a container, `pump` swaps in
 * "stop the container", since its output has nowhere to go.
 */
let closed = false;
const quietExit = () => {
  // Writes are flushed asynchronously, so EPIPE may arrive after the command returned.
  process.exitCode = 141;
};
let onOutputClosed: () => void = quietExit;

/** True once stdout or stderr has lost its reader. */
export const outputClosed = () => closed;

export function handleClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      if (closed) return;
      closed = true;
      onOutputClosed();
    });
  }
}

/**
 * Docker's default detach keys, Ctrl-P then Ctrl-Q: leave a terminal session
 * and let the container run on. A Ctrl-P not followed by Ctrl-Q is passed on.
 */
export function detachKeys(): (chunk: Buffer) => { pass: Buffer; detach: boolean } {
  const CTRL_P = 0x10;
  const CTRL_Q = 0x11;
  let held = false;
  return (chunk) => {
    const out: number[] = [];
    for (const b of chunk) {
      if (held) {
        held = false;
        if (b === CTRL_Q) return { pass: Buffer.from(out), detach: true };
        out.push(CTRL_P);
      }
      if (b === CTRL_P) held = true;
      else out.push(b);
    }
    return { pass: Buffer.from(out), detach: false };
  };
}

export async function pump(
  att: Attachment,
  opts: { stdin: boolean; tty: boolean; onOutputClosed?: () => void },
): Promise<number | undefined | 'detached'> {
  const previous = onOutputClosed;
  onOutputClosed = () => opts.onOutputClosed?.();
  att.on('stdout', (b) => closed || process.stdout.write(b));
  att.on('stderr', (b) => closed || process.stderr.write(b));
  const stdin = process.stdin;
  const raw = opts.stdin && opts.tty && stdin.isTTY;
  const onResize = () => att.resize(process.stdout.rows ?? 24, process.stdout.columns ?? 80);
  if (opts.tty && process.stdout.isTTY) {
    onResize();
    process.stdout.on('resize', onResize);
  }
  let detach: (v: 'detached') => void = () => {};
  const detached = new Promise<'detached'>((resolve) => (detach = resolve));
  if (opts.stdin) {
    if (raw) stdin.setRawMode(true);
    const keys = raw ? detachKeys() : undefined;
    stdin.on('data', (d: Buffer) => {
      if (!keys) return att.write(d);
      const { pass, detach: leave } = keys(d);
      if (pass.length) att.write(pass);
      if (leave) detach('detached');
    });
    stdin.on('end', () => att.closeStdin());
    stdin.resume();
  }
  try {
    return await Promise.race([att.exited(), detached]);
  } finally {
    onOutputClosed = previous;
    if (raw) stdin.setRawMode(false);
    process.stdout.off('resize', onResize);
    if (opts.stdin) {
      stdin.pause();
      stdin.destroy();
    }
    att.detach();
    // Let pending writes of the container's last output reach the terminal.
    if (!closed) await new Promise<void>((r) => process.stdout.write('', () => r()));
  }
}
