import { execa, type Options, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeEach, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { isSameProcessAlive } from '../runtime/kernel/proc.js';
import { TEST_ROOT_PREFIX } from './leaks.js';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const GLASS = `${REPO}bin/glass`;
export const isRoot = process.getuid?.() === 0;

export interface Result {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- waiting on what a test checks ------------------------------------------

/**
 * How long a wait gives something that is bound to happen: far more than it
 * takes here (milliseconds to a second or two), enough for a machine tens of
 * times slower, and still well inside a test's own time limit (60 s), so the
 * wait's message, not vitest's bare timeout, says what did not happen.
 */
export const WAIT_MS = 30_000;

export interface WaitOptions {
  /** What is waited for, as the timeout error says it: "container x to be running". */
  what: string;
  /** Give up after this long (default WAIT_MS). */
  timeoutMs?: number;
  /** Between probes (default 25 ms). */
  intervalMs?: number;
}

/** A value as a timeout message shows it: short, one line where possible. */
function shown(v: unknown): string {
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  const s = typeof v === 'string' ? JSON.stringify(v) : inspect(v, { depth: 4, breakLength: Infinity });
  return s.length > 2000 ? `${s.slice(0, 2000)}… (${s.length} characters)` : s;
}

/**
 * Poll `probe` until `ok` holds for what it returned, and return that value.
 * Tests wait on what they check (a container's state, a line of output, a
 * file, a process gone), never on a fixed delay, so they pass on a slow
 * machine and take no longer than needed on a fast one. A probe that throws
 * counts as "not yet" (a file not written yet); `ok` may throw to give up at
 * once (the process that should print the line has ended). On timeout it
 * throws, saying what it waited for and the last value (or error) it saw.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, opts: WaitOptions): Promise<T> {
  const { what, timeoutMs = WAIT_MS, intervalMs = 25 } = opts;
  const started = Date.now();
  let last: unknown = '(nothing: no probe finished)';
  for (;;) {
    let value: T | undefined;
    let got = false;
    try {
      value = await probe();
      got = true;
    } catch (e) {
      last = e;
    }
    if (got) {
      last = value;
      if (ok(value as T)) return value as T;
    }
    if (Date.now() - started >= timeoutMs) {
      throw new Error(`timed out after ${Date.now() - started} ms waiting for ${what}; last seen: ${shown(last)}`);
    }
    await sleep(intervalMs);
  }
}

/** A container's state as inspect shows it (created, running, exited…), or the error glass printed. */
export async function stateOf(root: string, ref: string): Promise<string> {
  const r = await glass(root, ['inspect', '-f', '{{.State.Status}}', ref]);
  return r.exitCode === 0 ? r.stdout.trim() : `(inspect failed ${r.exitCode}: ${r.stderr.trim()})`;
}

/** Wait until a container is in `state` (inspect's {{.State.Status}}). */
export function waitForState(root: string, ref: string, state: string, opts: Partial<WaitOptions> = {}): Promise<string> {
  return waitFor(() => stateOf(root, ref), (s) => s === state, { what: `container ${ref} to be ${state}`, ...opts });
}

/** `glass logs` of a container: stdout and stderr as it printed them. */
export async function logsOf(root: string, ref: string, args: string[] = []): Promise<Result> {
  return glass(root, ['logs', ...args, ref]);
}

/**
 * Wait until the container's log holds `text` (in stdout or stderr) and
 * return the logs then: the way to know a container got as far as a line it
 * prints ("trap set", "ready").
 */
export function waitForLog(root: string, ref: string, text: string, opts: Partial<WaitOptions> = {}): Promise<Result> {
  return waitFor(() => logsOf(root, ref), (l) => l.stdout.includes(text) || l.stderr.includes(text), { what: `${JSON.stringify(text)} in the logs of ${ref}`, ...opts });
}

/** Wait until a host process is gone (exited; a zombie counts as gone). */
export function waitForExit(pid: number, what = `process ${pid} to end`, opts: Partial<WaitOptions> = {}): Promise<boolean> {
  return waitFor(() => isSameProcessAlive(pid, undefined), (alive) => !alive, { what, ...opts });
}

/** Wait until a path exists (or, with `gone`, no longer exists). */
export function waitForPath(path: string, { gone = false, ...opts }: Partial<WaitOptions> & { gone?: boolean } = {}): Promise<boolean> {
  return waitFor(() => existsSync(path), (e) => e !== gone, { what: `${path} to ${gone ? 'be removed' : 'appear'}`, ...opts });
}

/** One event as `glass events --format '{{json .}}'` prints it. */
export interface GlassEvent {
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  timeNano: number;
}

/**
 * The events glass has recorded for one container so far, in order (what
 * `glass events` replays). Their times come from the process that did each
 * thing, so the gap between two of them measures the engine, not how long a
 * CLI took to start.
 */
export async function eventsOf(root: string, id: string): Promise<GlassEvent[]> {
  const until = ((Date.now() + 1000) / 1000).toFixed(3);
  const r = await glass(root, ['events', '--since', '0', '--until', until, '--filter', `container=${id}`, '--format', '{{json .}}']);
  if (r.exitCode !== 0) throw new Error(`glass events exited ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as GlassEvent);
}

export interface Background {
  proc: ResultPromise;
  /** What it has printed so far. */
  stdout(): string;
  stderr(): string;
  /** Wait until its stdout (or stderr) holds `text`; fails at once if it ends first. */
  waitForOutput(text: string | RegExp, opts?: Partial<WaitOptions> & { stream?: 'stdout' | 'stderr' }): Promise<string>;
}

/**
 * A command that runs beside the test (`logs -f`, `attach`, `events`), its
 * output collected as it comes. It is killed when the test ends, passed or
 * failed, so a failing test leaves no follower behind.
 */
export function background(cmd: string, args: string[], opts: Options = {}): Background {
  const proc = execa(cmd, args, { reject: false, stripFinalNewline: false, stdin: 'ignore', ...opts } as Options) as ResultPromise;
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  onTestFinished(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL'); // only the process this test started
      await proc.catch(() => {});
    }
  });
  const has = (s: string, text: string | RegExp) => (typeof text === 'string' ? s.includes(text) : text.test(s));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    waitForOutput: (text, { stream = 'stdout', ...o } = {}) =>
      waitFor(
        () => (stream === 'stdout' ? out : err),
        (s) => {
          if (has(s, text)) return true;
          if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${cmd} ${args.join(' ')} ended (${proc.exitCode ?? proc.signalCode}) before printing ${String(text)}; stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`);
          return false;
        },
        { what: `${String(text)} on the ${stream} of ${cmd} ${args.join(' ')}`, ...o },
      ),
  };
}

/** `glass --root ROOT ARGS` in the background (see background). */
export function glassInBackground(root: string, args: string[], opts: Options = {}): Background {
  const b = background(GLASS, ['--root', root, '--no-color', ...args], opts);
  track(root, b.proc);
  return b;
}

// ---- state roots, and cleaning up whatever a test left ----------------------

/**
 * A fresh state root for one test file; remove it with `cleanRoot`. It is
 * marked as glass marks the roots it makes (runtime/engine/state/root.ts), so
 * a test may put its own files in it before glass first runs there; glass
 * refuses an unmarked directory that is not empty.
 */
export function newRoot(): string {
  const root = mkdtempSync(TEST_ROOT_PREFIX);
  writeFileSync(`${root}/glass-root.json`, JSON.stringify({ format: 1 }) + '\n');
  return root;
}

/**
 * The glass CLIs tests started, by state root, while they run. A test that
 * fails or times out midway may leave some running (vitest does not stop a
 * test's pending work); clean-up of that root kills them first (only these
 * pids, the ones the tests started), or they would go on making containers
 * in a root being removed.
 */
const running = new Map<string, Set<ResultPromise>>();

function track(root: string, proc: ResultPromise): void {
  let set = running.get(root);
  if (!set) running.set(root, (set = new Set()));
  set.add(proc);
  const forget = () => set.delete(proc);
  proc.then(forget, forget);
}

/** Kill (SIGKILL) the glass CLIs tests started on this root that still run, and wait until they are gone. */
export async function killRunningClis(root: string): Promise<number> {
  const procs = [...(running.get(root) ?? [])].filter((p) => p.exitCode === null && p.signalCode === null);
  for (const p of procs) p.kill('SIGKILL');
  await Promise.allSettled(procs);
  return procs.length;
}

/** Run the real CLI against a state root. */
export async function glass(root: string, args: string[], opts: Options = {}): Promise<Result> {
  const proc = execa(GLASS, ['--root', root, '--no-color', ...args], { reject: false, timeout: 60_000, stdin: 'ignore', stripFinalNewline: false, ...opts }) as ResultPromise;
  track(root, proc);
  const r = await proc;
  return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
}

/** A state root for the tests of one describe block, removed after them. */
export function useRoot(): string {
  const root = newRoot();
  afterAll(() => cleanRoot(root));
  return root;
}

/** A state root for one test, removed when the test ends, passed or failed. */
export function testRoot(): string {
  const root = newRoot();
  onTestFinished(() => cleanRoot(root));
  return root;
}

const ID = /^[0-9a-f]{64}$/;

/** The containers of a root, by the directories glass keeps for them. */
export function containerIds(root: string): string[] {
  try {
    return readdirSync(`${root}/containers`).filter((e) => ID.test(e));
  } catch {
    return [];
  }
}

/**
 * Each test of the describe block removes (rm -f) the containers it made
 * itself, passed or failed: a test that fails midway leaves nothing for the
 * next test to trip over. A container that was already there when the test
 * began is not touched.
 */
export function removeContainersAfterEach(root: string): void {
  let before = new Set<string>();
  beforeEach(() => {
    before = new Set(containerIds(root));
  });
  afterEach(async () => {
    // A test that timed out may still have CLIs at work here: they go first.
    const killed = await killRunningClis(root);
    await removeContainers(root, containerIds(root).filter((id) => !before.has(id)));
    if (killed) throw new Error(`clean-up of ${root}: ${killed} glass command(s) the test started were still running: killed`);
  });
}

/**
 * The time clean-up may take: `rm -f` gets RM_MS, then whatever it did not
 * do is forced (FORCE_MS at most). Together well inside vitest's hookTimeout
 * (vitest.config.ts), so a clean-up never overruns its hook and leaves a root
 * behind, even when glass hangs or the machine is very slow.
 */
export const CLEAN_RM_MS = 30_000;
export const CLEAN_FORCE_MS = 10_000;

/** Every glass-<id> cgroup directory of a container, children first (a container may make its own). */
function cgroupDirsOf(id: string): string[] {
  const base = '/sys/fs/cgroup';
  // Under glass's parent cgroup ("glass") in each hierarchy; at the top for containers made before it.
  const tops = [`${base}/glass/glass-${id}`, `${base}/glass-${id}`];
  try {
    for (const h of readdirSync(base)) tops.push(`${base}/${h}/glass/glass-${id}`, `${base}/${h}/glass-${id}`);
  } catch { /* no cgroup fs */ }
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      try {
        if (statSync(p).isDirectory()) walk(p);
      } catch { /* gone */ }
    }
    out.push(dir);
  };
  for (const t of tops) if (existsSync(t)) walk(t);
  return out;
}

function pidsIn(cgroupDir: string): number[] {
  try {
    return readFileSync(`${cgroupDir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Mount points at or below `dir` on the host, deepest first. */
function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** The shim a container recorded (shim.json), if that very process still runs and is this container's shim. */
function liveShim(root: string, id: string): number | undefined {
  try {
    const rec = JSON.parse(readFileSync(`${root}/containers/${id}/shim.json`, 'utf8')) as { pid: number; startTime: number };
    if (!isSameProcessAlive(rec.pid, rec.startTime)) return undefined;
    // Its command line names this container's directory: not some other process that got the pid.
    const cmd = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8');
    return cmd.includes(`${root}/containers/${id}`) ? rec.pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `rm -f` the given containers (bounded by CLEAN_RM_MS); then, whatever that
 * did or did not do, end what is left of them on the host: their shims (the
 * pids shim.json names, only those), every process in their cgroups, the
 * cgroups themselves, anything mounted under their directories. Throws
 * afterwards if `rm -f` failed or anything had to be forced, so a clean-up
 * that glass could not do shows up as the bug it is, but only once nothing
 * is left behind.
 */
export async function removeContainers(root: string, ids: string[]): Promise<void> {
  if (!ids.length) return;
  // Read before rm -f: it deletes the records.
  const shims = new Map(ids.map((id) => [id, liveShim(root, id)]));
  const problems: string[] = [];
  const rm = await glass(root, ['rm', '-f', ...ids], { timeout: CLEAN_RM_MS }).catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message }));
  // A --rm container may have removed itself meanwhile: "No such container" is no failure.
  const errors = rm.stderr.split('\n').filter((l) => l.trim() && !/No such container/.test(l));
  if (rm.exitCode < 0) problems.push(`glass rm -f did not finish within ${CLEAN_RM_MS} ms (killed)`);
  else if (rm.exitCode !== 0 && errors.length) problems.push(`glass rm -f exited ${rm.exitCode}: ${errors.join(' / ')}`);

  const end = Date.now() + CLEAN_FORCE_MS;
  for (const id of ids) {
    const shim = shims.get(id);
    if (shim !== undefined && isSameProcessAlive(shim, undefined)) {
      problems.push(`shim ${shim} of ${id.slice(0, 12)} still ran: killed`);
      try {
        process.kill(shim, 'SIGKILL');
      } catch { /* gone */ }
    }
    for (const mount of mountsUnder(`${root}/containers/${id}`)) {
      problems.push(`${mount} was still mounted: unmounted`);
      try {
        execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
      } catch { /* gone */ }
    }
    const dirs = cgroupDirsOf(id);
    if (dirs.length) problems.push(`cgroups of ${id.slice(0, 12)} were left: ${dirs.join(' ')}`);
    for (const dir of dirs) {
      // A paused container's processes take SIGKILL only once thawed (v1 freezer).
      for (const [file, value] of [['freezer.state', 'THAWED'], ['cgroup.freeze', '0']]) {
        try {
          if (existsSync(`${dir}/${file}`)) writeFileSync(`${dir}/${file}`, value);
        } catch { /* gone, or not freezable */ }
      }
      // Only the processes of this container's cgroup; wait until they are gone, then the directory.
      for (let pids = pidsIn(dir); pids.length && Date.now() < end; pids = pidsIn(dir)) {
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch { /* gone */ }
        }
        await sleep(20);
      }
      for (;;) {
        try {
          rmdirSync(dir);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT' || Date.now() >= end) break;
          await sleep(20);
        }
      }
    }
  }
  if (problems.length) throw new Error(`clean-up of ${root}: ${problems.join('; ')}`);
}

/**
 * Remove every container of the root (see removeContainers), then the root
 * itself: whatever happens, the root is gone afterwards (anything still
 * mounted under it is unmounted first, so nothing outside it is deleted
 * through a mount).
 */
export async function cleanRoot(root: string): Promise<void> {
  if (!existsSync(root)) return;
  const problems: string[] = [];
  try {
    const killed = await killRunningClis(root);
    if (killed) problems.push(`${killed} glass command(s) the tests started were still running: killed`);
    await removeContainers(root, containerIds(root));
  } catch (e) {
    problems.push((e as Error).message);
  } finally {
    for (const mount of mountsUnder(root)) {
      problems.push(`${mount} was still mounted: unmounted`);
      try {
        execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
      } catch { /* gone */ }
    }
    rmSync(root, { recursive: true, force: true });
  }
  if (problems.length) throw new Error(`clean-up of ${root}: ${problems.join('; ')}`);
}

/** Debian's Chromium, which the browser tests (notebooks, the editor) drive with playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';

/** A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
