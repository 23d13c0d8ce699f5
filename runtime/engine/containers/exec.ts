import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isSameProcessAlive, processStartTime, signalProcess } from '../../kernel/proc.js';
import { report } from '../../kernel/step.js';
import { Attachment } from '../../shim/attach.js';
import { launchShim, type ShimSpec } from '../../shim/launch.js';
import { GlassError } from '../errors.js';
import type { EventLog } from '../events.js';
import type { Operation } from '../trace.js';
import { parseEnvFile, resolveEnvArg } from './env.js';
import { newId } from './names.js';
import type { ContainerInfo, ExitRecord, ShimRecord } from './types.js';

/**
 * `glass exec`: one more process in a running container. The native half is
 * `glass-shim exec` (native/exec.c, nsenter.c): a shim of its own per exec,
 * which joins the container's cgroups and namespaces with setns(), takes its
 * confinement from the container's shim.spec and stays the process's parent,
 * in <container-dir>/exec/<exec-id>/. This file is the runtime's half: the
 * exec's spec, its start, its records read back.
 */

export interface ExecOptions {
  /** The command and its arguments; required. */
  command: string[];
  /** -e KEY=VALUE (a bare KEY takes glass's own value), over the container's environment. */
  env?: string[];
  /** Contents of --env-file files, read by the client: [path, text]. */
  envFiles?: { path: string; text: string }[];
  /** -w: default the container's working directory. */
  workdir?: string;
  /** -u: default the container's user. */
  user?: string;
  tty?: boolean;
  /** -i: keep stdin open. */
  interactive?: boolean;
  /** --privileged: every capability (the container's seccomp filter stays). */
  privileged?: boolean;
}

/** An exec that started. */
export interface ExecStarted {
  /** The container's full id. */
  id: string;
  execId: string;
  /** The exec'd process's pid, as the host sees it. */
  pid: number;
  /** Unless started detached: its stdio, connected before the command ran (no output is missed). */
  attachment?: Attachment;
}

/** What a finished (collected) exec gives back. */
export interface ExecResult {
  id: string;
  execId: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** An exec as its records say (Docker's GET /exec/{id}/json, in short). */
export interface ExecInspect {
  id: string;
  execId: string;
  running: boolean;
  /** Known once it exited. */
  exitCode?: number;
  pid: number;
}

/** <container-dir>/exec/<exec-id>: the exec's spec, its shim's records and socket. */
export const execDir = (containerDir: string, execId: string) => join(containerDir, 'exec', execId);

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** What an exec's directory says about it. */
export function readExec(containerDir: string, id: string, execId: string): ExecInspect | undefined {
  const dir = execDir(containerDir, execId);
  if (!existsSync(dir)) return undefined;
  const shim = readJson<ShimRecord>(join(dir, 'shim.json'));
  // Alive first, the exit record after: the shim writes that record before it ends, so a shim seen gone has
  // left it already (read the other way round, one that ended in between looked neither running nor exited).
  const alive = !!shim && isSameProcessAlive(shim.pid, shim.startTime);
  const exit = readJson<ExitRecord>(join(dir, 'exit.json'));
  return { id, execId, running: !exit && alive, exitCode: exit?.exitCode, pid: shim?.initPid ?? 0 };
}

/**
 * Forget execs that have ended (their shim gone): Docker keeps them until the
 * container stops; glass keeps the last ones of a running container, so that
 * a detached exec's exit code can still be read, and clears the rest at the
 * next exec.
 */
export function pruneExecs(containerDir: string, keep = 16): void {
  const root = join(containerDir, 'exec');
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  const ended = names.filter((n) => {
    const shim = readJson<ShimRecord>(join(root, n, 'shim.json'));
    return !shim || !isSameProcessAlive(shim.pid, shim.startTime);
  });
  for (const n of ended.slice(0, Math.max(0, ended.length - keep))) rmSync(join(root, n), { recursive: true, force: true });
}

/** The environment additions of -e and --env-file, in Docker's order (files first, then -e). */
function execEnv(opts: ExecOptions): string[] {
  const env: string[] = [];
  for (const f of opts.envFiles ?? []) env.push(...parseEnvFile(f.path, f.text));
  for (const e of opts.env ?? []) {
    const v = resolveEnvArg(e);
    if (v !== undefined) env.push(v);
  }
  return env;
}

/** exec.spec (native/README.md, "glass exec"): what overrides the container's own shim.spec. */
export function buildExecSpec(execId: string, initPid: number, opts: ExecOptions): ShimSpec {
  const spec: ShimSpec = [['exec-id', execId], ['pid', String(initPid)]];
  const started = processStartTime(initPid);
  if (started !== undefined) spec.push(['pid-start-time', String(started)]);
  for (const a of opts.command) spec.push(['arg', a]);
  for (const e of execEnv(opts)) spec.push(['env', e]);
  if (opts.workdir) spec.push(['cwd', opts.workdir]);
  if (opts.user) spec.push(['user', opts.user]);
  spec.push(['tty', opts.tty ? '1' : '0'], ['stdin', opts.interactive ? '1' : '0'], ['privileged', opts.privileged ? '1' : '0']);
  return spec;
}

/** Docker's refusals before an exec: a stopped or paused container, no command. */
export function checkExec(info: ContainerInfo, opts: ExecOptions): void {
  const id = info.config.id;
  if (!opts.command?.length || opts.command[0] === '') throw new GlassError('INVALID_ARGUMENT', 'no command specified: glass exec CONTAINER COMMAND [ARG...]', 1);
  if (info.running && info.paused) {
    throw new GlassError('CONTAINER_PAUSED', `Container ${id} is paused, unpause the container before exec`, 1);
  }
  if (!info.running) throw new GlassError('CONTAINER_NOT_RUNNING', `Container ${id} is not running`, 1);
}

export interface ExecDeps {
  op: Operation;
  info: ContainerInfo;
  /** The container's state directory. */
  dir: string;
  events: EventLog;
}

/**
 * Start one exec: its directory, the exec_create event, then the exec shim
 * (which records exec_start and exec_die itself). With `attach`, the caller's
 * attachment is connected while the process still waits for "go".
 */
export async function startExec(d: ExecDeps, opts: ExecOptions, attach: boolean): Promise<ExecStarted> {
  const { info, op } = d;
  const c = info.config;
  checkExec(info, opts);
  pruneExecs(d.dir);
  const execId = newId();
  const dir = execDir(d.dir, execId);
  const spec = buildExecSpec(execId, info.pid, opts);
  mkdirSync(dir, { recursive: true });
  d.events.record('container', `exec_create: ${opts.command.join(' ')}`, c.id, { execID: execId, ...(c.labels ?? {}), image: c.image, name: c.name });
  let attachment: Attachment | undefined;
  try {
    const started = await launchShim({
      stateDir: dir,
      spec,
      trace: op.trace,
      mode: {
        args: ['exec', d.dir, dir],
        specFile: join(dir, 'exec.spec'),
        title: 'Start the exec shim',
        why: "Joining a container needs setns(), which Node.js cannot call. `glass-shim exec` reads the container's own shim.spec (its user, environment and confinement) and exec.spec, enters the container's cgroups and namespaces, and stays the new process's parent, as the container's shim is its init's.",
      },
      beforeGo: async () => {
        if (attach) attachment = await Attachment.open(join(dir, 'attach.sock'));
      },
    });
    return { id: c.id, execId, pid: started.initPid, attachment };
  } catch (e) {
    attachment?.detach();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Signal an exec'd process (its pid from its shim's record, while that shim
 * lives: a pid alone may be reused). The CLI sends SIGPIPE when its own
 * reader went away (`glass exec c yes | head -1`), as the kernel would to a
 * writer whose pipe has no reader. Returns whether it was still there.
 */
export function signalExec(op: Operation, containerDir: string, execId: string, signal: NodeJS.Signals): boolean {
  const shim = readJson<ShimRecord>(join(execDir(containerDir, execId), 'shim.json'));
  if (!shim || !isSameProcessAlive(shim.pid, shim.startTime)) return false;
  report(op.trace, {
    title: `Send ${signal} to the exec'd process (pid ${shim.initPid})`,
    why: 'The exec\'d process is an ordinary process of the container: a signal from the host reaches it by its host pid.',
    command: `kill -${signal.replace(/^SIG/, '')} ${shim.initPid}`,
  });
  return signalProcess(shim.initPid, signal);
}

/** Wait for an exec's exit record (after its attachment closed without the exit frame). */
export async function waitExec(containerDir: string, id: string, execId: string, timeoutMs = 10_000): Promise<number | undefined> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const x = readExec(containerDir, id, execId);
    if (!x) return undefined;
    if (x.exitCode !== undefined) return x.exitCode;
    if (!x.running) return readExec(containerDir, id, execId)?.exitCode; // its shim is gone
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/** An attached exec, run to its end with its output collected (the notebooks' call). */
export async function collectExec(containerDir: string, started: ExecStarted, opts: ExecOptions & { input?: string | Uint8Array }): Promise<ExecResult> {
  const out = await started.attachment!.collect({ input: opts.input, closeStdin: !!opts.interactive }, () => waitExec(containerDir, started.id, started.execId));
  return { id: started.id, execId: started.execId, ...out };
}
