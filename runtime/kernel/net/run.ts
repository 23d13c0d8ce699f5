import { AsyncLocalStorage } from 'node:async_hooks';
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

/** Runs one command (argv[0] is the program); never throws for a non-zero exit. */
export type NetRunner = (argv: readonly string[]) => Promise<RunResult>;

export interface NetContext {
  trace: Tracer;
  /** Default: the real host tools through execa. */
  run?: NetRunner;
}

/** execa is loaded on first use: it costs ~130 ms of start-up that most commands never need. */
const loadExeca = async () => (await import('execa')).execa;

/** The real runner: LC_ALL=C so error words are the tools' English ones. */
export const hostRunner: NetRunner = async (argv) => {
  const execa = await loadExeca();
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'ignore', env: { LC_ALL: 'C' } });
  if (r.exitCode === undefined && (r as { code?: string }).code === 'ENOENT') {
    throw new KernelError('COMMAND_NOT_FOUND', `${argv[0]} not found: glass needs iproute2 (ip), iptables and util-linux (nsenter) for networking`);
  }
  return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? 1 };
};

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
