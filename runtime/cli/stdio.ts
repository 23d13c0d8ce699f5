import type { Attachment } from '../core/attach.js';

/**
 * Connect this terminal to a container's stdio through its attachment. With
 * a tty, the local terminal goes into raw mode so every key (Ctrl-C, arrows)
 * reaches the container's own terminal, and window size changes follow.
 * Resolves with the container's exit code (undefined if the link dropped).
 */
export async function pump(
  att: Attachment,
  opts: { stdin: boolean; tty: boolean; onOutputClosed?: () => void },
): Promise<number | undefined> {
  // When our reader goes away (`glass run ... | head -1`), a write fails with
  // EPIPE. A process writing to a closed pipe is killed by SIGPIPE, so glass
  // stops the container the same way, instead of crashing mid-stream.
  let closed = false;
  const onError = (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' || closed) return;
    closed = true;
    opts.onOutputClosed?.();
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
  att.on('stdout', (b) => closed || process.stdout.write(b));
  att.on('stderr', (b) => closed || process.stderr.write(b));
  const stdin = process.stdin;
  const raw = opts.stdin && opts.tty && stdin.isTTY;
  const onResize = () => att.resize(process.stdout.rows ?? 24, process.stdout.columns ?? 80);
  if (opts.tty && process.stdout.isTTY) {
    onResize();
    process.stdout.on('resize', onResize);
  }
  if (opts.stdin) {
    if (raw) stdin.setRawMode(true);
    stdin.on('data', (d: Buffer) => att.write(d));
    stdin.on('end', () => att.closeStdin());
    stdin.resume();
  }
  try {
    return await att.exited();
  } finally {
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
