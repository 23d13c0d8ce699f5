import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { KernelError } from '../errors.js';
import { step, type Tracer } from '../step.js';

/**
 * How runtime/kernel/net runs the host's networking tools (`ip`, `iptables`,
 * `iptables-save`, `sysctl`, `nsenter`). Every function of this directory
 * takes a NetContext: the tracer its Steps go to, and optionally a runner.
 * Unit tests pass a runner that records the argv and answers from a script,
 * so the exact commands are checked without root or a kernel.
 */

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs one command (argv[0] is the program), with `input` on its stdin if
 * given (a batch: `ip -batch -`, `iptables-restore`); never throws for a
 * non-zero exit.
 */
export type NetRunner = (argv: readonly string[], input?: string) => Promise<RunResult>;

export interface NetContext {
  trace: Tracer;
  /** Default: the real host tools (hostRunner). */
  run?: NetRunner;
}

/**
 * The real runner: node's own spawn (a container start runs a handful of
 * these, so no wrapper library's start-up or per-call cost), LC_ALL=C so
 * error words are the tools' English ones.
 */
export const hostRunner: NetRunner = (argv, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(new KernelError('COMMAND_NOT_FOUND', `${argv[0]} not found: glass needs iproute2 (ip), iptables and util-linux (nsenter) for networking`));
      else reject(e);
    });
    child.once('close', (code) => resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode: code ?? 1 }));
    if (input !== undefined) {
      child.stdin!.on('error', () => {}); // a tool that exits early closes its stdin: its exit status says what went wrong
      child.stdin!.end(input);
    }
  });

/** Quote argv for a shell, only where needed, so a learner can paste the command. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./\-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The last line of a tool's stderr, trimmed: what it said went wrong. */
export function toolError(r: RunResult): string {
  const lines = r.stderr.trim().split('\n').filter(Boolean);
  return lines.at(-1) ?? `exit status ${r.exitCode}`;
}

export interface ExecOptions {
  /** A failure whose stderr matches this counts as success (already exists, already gone). */
  okIf?: RegExp;
}

/** Run a command and return its result whatever the exit status (a check such as `iptables -C`). */
export async function tryExec(ctx: NetContext, argv: readonly string[]): Promise<RunResult> {
  return (ctx.run ?? hostRunner)(argv);
}

/** Run a command without a Step (a read, or one of a Step's several commands); throws KernelError on failure. */
export async function exec(ctx: NetContext, argv: readonly string[], opts: ExecOptions = {}): Promise<RunResult> {
  const r = await (ctx.run ?? hostRunner)(argv);
  if (r.exitCode !== 0 && !(opts.okIf && opts.okIf.test(r.stderr))) {
    throw new KernelError('KERNEL', `${shellCommand(argv)}: ${toolError(r)}`);
  }
  return r;
}

/** Run a command as one explained Step (started, then done or failed with the tool's words). */
export async function execStep(
  ctx: NetContext,
  info: { title: string; why: string },
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<RunResult> {
  return step(ctx.trace, { ...info, command: shellCommand(argv) }, () => exec(ctx, argv, opts));
}

/**
 * A host-wide lock between glass processes (every state root, every test
 * file): a name in the abstract unix socket namespace, held while its socket
 * listens, dropped by the kernel when the holder exits or dies (the same idea
 * as engine/state/lock.ts, which the kernel layer may not import). Used so two
 * processes do not both add the jump to glass's chains, or delete the chains
 * while another adds a rule to them.
 */
const heldLocks = new AsyncLocalStorage<ReadonlySet<string>>();

export async function withHostLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const address = `\0glass-lock/net/${name}`;
  const mine = heldLocks.getStore();
  if (mine?.has(address)) return fn(); // re-entrant within one chain of calls
  const tryOnce = () =>
    new Promise<Server | undefined>((done, fail) => {
      const server = createServer();
      server.once('error', (e: NodeJS.ErrnoException) => {
        server.close();
        if (e.code === 'EADDRINUSE') done(undefined);
        else fail(e);
      });
      server.listen(address, () => {
        server.unref();
        done(server);
      });
    });
  let server: Server | undefined;
  for (let wait = 1; !(server = await tryOnce()); wait = Math.min(wait * 2, 50)) await sleep(wait + Math.random() * wait);
  try {
    return await heldLocks.run(new Set([...(mine ?? []), address]), fn);
  } finally {
    server.close();
  }
}

/** One command of a batch: its Step, and the argv a learner would type for it. */
export interface BatchCommand {
  title: string;
  why: string;
  argv: readonly string[];
  /** A failure whose message matches counts as success (already exists, already gone). */
  okIf?: RegExp;
}

/**
 * Report a batch's commands as Steps, in order, once the one process that
 * ran them all has answered: `failures` maps a command's index to what the
 * tool said about it. The first real failure ends the report (and is thrown),
 * as it would have ended the commands typed one by one.
 */
export async function reportBatch(ctx: NetContext, cmds: readonly BatchCommand[], failures: ReadonlyMap<number, string>): Promise<void> {
  for (const [i, c] of cmds.entries()) {
    await step(ctx.trace, { title: c.title, why: c.why, command: shellCommand(c.argv) }, () => {
      const said = failures.get(i);
      if (said !== undefined && !(c.okIf && c.okIf.test(said))) throw new KernelError('KERNEL', `${shellCommand(c.argv)}: ${said.trim().split('\n').filter(Boolean).at(-1) ?? said}`);
    });
  }
}

/**
 * Several `ip` commands (each argv ['ip', ...]), on the host or inside a
 * namespace, in ONE process: `ip -force -batch -` reads them from stdin, one
 * per line, and goes on after a failure (-force), printing what failed as
 * "Command failed -:N". A container's network is a dozen such commands;
 * started one by one they cost a process each. Each is still its own Step,
 * with the single command a learner could type.
 */
export async function ipBatch(ctx: NetContext, nsPrefix: readonly string[], cmds: readonly BatchCommand[]): Promise<void> {
  if (!cmds.length) return;
  const lines = cmds.map((c) => {
    if (c.argv[0] !== 'ip' || c.argv.some((a) => /[\s"'\\#]/.test(a))) throw new KernelError('INVALID_ARGUMENT', `not a batchable ip command: ${shellCommand(c.argv)}`);
    return c.argv.slice(1).join(' ');
  });
  const r = await (ctx.run ?? hostRunner)([...nsPrefix, 'ip', '-force', '-batch', '-'], `${lines.join('\n')}\n`);
  await reportBatch(ctx, cmds.map((c) => ({ ...c, argv: [...nsPrefix, ...c.argv] })), ipBatchFailures(r));
}

/** What `ip -batch` said went wrong, by command index: the lines before each "Command failed -:N". */
export function ipBatchFailures(r: RunResult): Map<number, string> {
  const failures = new Map<number, string>();
  let said: string[] = [];
  for (const line of r.stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(line.trim());
    if (m) {
      failures.set(Number(m[1]) - 1, said.join('\n') || `exit status ${r.exitCode}`);
      said = [];
    } else if (line.trim()) said.push(line);
  }
  // A failure ip could not place (it died, or was not found): the first command carries it.
  if (r.exitCode !== 0 && failures.size === 0) failures.set(0, said.join('\n') || `exit status ${r.exitCode}`);
  return failures;
}
