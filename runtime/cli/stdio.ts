import { spawnSync } from 'node:child_process';
import { writeSync } from 'node:fs';
import { errnoText, GlassError, type Attachment } from '../engine/index.js';

/**
 * What to do when our output fails. When our reader goes away (`glass logs
 * web | head -1`) a write fails with EPIPE: by default glass notes it, stops
 * writing, lets the command wind down (so `export` still unmounts) and exits
 * 141, as a process killed by SIGPIPE would. Any other write error (ENOSPC
 * from `> /dev/full`, EIO) also stops output and lets the command wind down,
 * then glass prints one line, `Error: write /dev/stdout: no space left on
 * device`, and exits 1, as Docker's CLI does. While attached to a container,
 * `pump` swaps in "stop the container", since its output has nowhere to go.
 */
let closed = false;
/** The first write error that was not EPIPE, and the stream it hit. */
let failure: { error: NodeJS.ErrnoException; name: string } | undefined;
let mainDone = false;
let reported = false;
const windDown = () => {
  // Writes are flushed asynchronously, so the error may arrive after the command returned.
  if (!failure) process.exitCode = 141;
  else if (mainDone) reportOutputFailure();
};
let onOutputClosed: () => void = windDown;

/** True once stdout or stderr has lost its reader or failed: write nothing more. */
export const outputClosed = () => closed;

/** The one line for a failed write (not EPIPE), if there was one. */
export function outputFailure(): string | undefined {
  if (!failure) return undefined;
  const { error, name } = failure;
  return `Error: write ${name}: ${errnoText(error)}`;
}

/**
 * Print outputFailure() once (straight to fd 2, unless stderr is what
 * failed) and set exit code 1. main calls it when the command ends; the
 * error handler calls it when the failure arrives after that.
 */
export function reportOutputFailure(): number {
  process.exitCode = 1;
  const line = outputFailure();
  if (!line || reported) return 1;
  reported = true;
  if (failure!.name !== '/dev/stderr') {
    try {
      writeSync(2, line + '\n');
    } catch {
      // stderr is gone too: the exit code says it.
    }
  }
  return 1;
}

/** main's last word: from here on a late write error reports itself. */
export function commandFinished(): void {
  mainDone = true;
}

export function handleClosedOutput(): void {
  for (const [stream, name] of [
    [process.stdout, '/dev/stdout'],
    [process.stderr, '/dev/stderr'],
  ] as const) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && !failure) failure = { error: e, name };
      if (closed) return;
      closed = true;
      onOutputClosed();
    });
  }
}

/**
 * Docker's default detach keys, Ctrl-P then Ctrl-Q: leave a terminal session
 * and let the container (or exec'd process) run on. `keys` is another
 * sequence (--detach-keys, parsed by parseDetachKeys). Bytes that start the
 * sequence are held back until it is clear whether it follows; if it does
 * not, they are passed on.
 */
export function detachKeys(keys: number[] = [0x10, 0x11]): (chunk: Buffer) => { pass: Buffer; detach: boolean } {
  let held = 0; // how many bytes of `keys` were typed so far
  return (chunk) => {
    const out: number[] = [];
    for (const b of chunk) {
      if (held && b !== keys[held]) {
        out.push(...keys.slice(0, held));
        held = 0;
      }
      if (b === keys[held]) {
        if (++held === keys.length) return { pass: Buffer.from(out), detach: true };
      } else {
        out.push(b);
      }
    }
    return { pass: Buffer.from(out), detach: false };
  };
}

/**
 * --detach-keys as Docker reads it: comma-separated keys, each a single
 * character or ctrl-<c> with <c> one of a-z @ [ \ ] ^ _ ("ctrl-p,ctrl-q").
 */
export function parseDetachKeys(text: string | undefined): number[] | undefined {
  if (text === undefined || text === '') return undefined;
  const codes: number[] = [];
  for (const key of text.split(',')) {
    const ctrl = /^ctrl-([a-z@[\\\]^_])$/.exec(key);
    if (key.length === 1) codes.push(key.charCodeAt(0));
    else if (ctrl) codes.push(ctrl[1]!.charCodeAt(0) & 0x1f);
    else throw new GlassError('INVALID_ARGUMENT', `Invalid detach keys (${text}) provided: give keys like ctrl-p,ctrl-q (a letter, or ctrl- and one of a-z @ [ \\ ] ^ _)`, 1);
  }
  return codes;
}

/**
 * Raw mode on glass's own terminal for a session with a container's tty, as
 * Docker's CLI does (cfmakeraw): input goes byte by byte to the container's
 * terminal, which does the echo, line editing and ^C itself; output goes to
 * the screen untouched. Node's setRawMode handles the input side but leaves
 * output processing on (libuv keeps OPOST|ONLCR), so the "\r\n" the
 * container's terminal already wrote would reach the screen as "\r\r\n";
 * `stty -opost` turns that off too. setRawMode(false) puts back the settings
 * libuv saved before going raw, output processing included. The terminal is
 * given back on every way out: the session's end, an exception, process
 * exit, and a signal (glass then dies of that signal, as it would have).
 */
const RAW_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'];
let raw = false;

function enterRaw(): void {
  process.stdin.setRawMode(true);
  raw = true;
  for (const s of RAW_SIGNALS) process.on(s, leaveRawAndDie);
  process.on('exit', leaveRaw);
  spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
}

function leaveRaw(): void {
  if (!raw) return;
  raw = false;
  for (const s of RAW_SIGNALS) process.off(s, leaveRawAndDie);
  process.off('exit', leaveRaw);
  try {
    process.stdin.setRawMode(false);
  } catch {
    // The terminal is gone (hung up): nothing to give back.
  }
}

function leaveRawAndDie(signal: NodeJS.Signals): void {
  leaveRaw();
  process.kill(process.pid, signal); // no handler now: the signal's default action
}

/**
 * Connect this terminal to a container's stdio through its attachment. With
 * a tty, the local terminal goes into raw mode so every key (Ctrl-C, arrows)
 * reaches the container's own terminal, and window size changes follow.
 * Resolves with the container's exit code (undefined if the link dropped).
 */
export async function pump(
  att: Attachment,
  opts: { stdin: boolean; tty: boolean; onOutputClosed?: () => void; detachKeys?: number[] },
): Promise<number | undefined | 'detached'> {
  const previous = onOutputClosed;
  onOutputClosed = () => opts.onOutputClosed?.();
  att.on('stdout', (b) => closed || process.stdout.write(b));
  att.on('stderr', (b) => closed || process.stderr.write(b));
  const stdin = process.stdin;
  const rawSession = opts.stdin && opts.tty && stdin.isTTY;
  const onResize = () => att.resize(process.stdout.rows ?? 24, process.stdout.columns ?? 80);
  if (opts.tty && process.stdout.isTTY) {
    onResize();
    process.stdout.on('resize', onResize);
  }
  let detach: (v: 'detached') => void = () => {};
  const detached = new Promise<'detached'>((resolve) => (detach = resolve));
  if (opts.stdin) {
    if (rawSession) enterRaw();
    const keys = rawSession ? detachKeys(opts.detachKeys) : undefined;
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
    leaveRaw();
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
