/**
 * How the extension runs glass. Containers need root and VS Code runs as the
 * user, so the setting `glass.command` says how: `sudo -n glass` by default,
 * or a path to glass for an editor that runs as root.
 *
 * Everything the extension runs (a lens's line in a terminal, Explain, a
 * lesson's blocks) is a shell line, as a learner would type it. So that
 * `glass` in those lines means the configured glass, the extension writes a
 * small `glass` script into its own storage and puts that folder first on
 * PATH: the script execs the configured command with the arguments. Through
 * sudo it keeps the three variables glass reads from its caller (GLASS_ROOT,
 * GLASS_LEARN_LABEL for a lesson's clean-up, GLASS_TRACE_FILE for Explain).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

export const PASSED_ENV = ['GLASS_ROOT', 'GLASS_LEARN_LABEL', 'GLASS_TRACE_FILE'];

export interface GlassSetup {
  /** The folder whose `glass` is the configured command: put it first on PATH. */
  binDir: string;
  /** The configured command, as written in the wrapper ("sudo -n /usr/local/bin/glass"). */
  command: string;
  /** The glass checkout the program belongs to (its lessons/ and runtime/learn/prelude.sh), when found. */
  checkout?: string;
  /** Why glass cannot be run as configured (one line for a notification), if that is already known. */
  problem?: string;
  /** The environment for everything the extension runs. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

/** A program name resolved on PATH (or a path, checked), skipping `skip`. */
export function which(program: string, path: string | undefined, skip?: string): string | undefined {
  const runnable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return runnable(program) ? program : undefined;
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir || dir === skip) continue;
    const p = join(dir, program);
    if (runnable(p)) return p;
  }
  return undefined;
}

/** The glass checkout above a glass program (bin/glass, often reached through /usr/local/bin/glass). */
export function checkoutOf(program: string): string | undefined {
  try {
    const dir = dirname(dirname(realpathSync(program)));
    return existsSync(join(dir, 'runtime', 'learn', 'prelude.sh')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * Write the wrapper for a `glass.command` setting. `uid` is the editor's:
 * an editor that already runs as root needs no sudo (and sudo may not even
 * be installed there).
 */
export function setUpGlass(setting: string, storageDir: string, opts: { root?: string; uid?: number; baseEnv?: NodeJS.ProcessEnv } = {}): GlassSetup {
  const baseEnv = opts.baseEnv ?? process.env;
  const binDir = join(storageDir, 'bin');
  mkdirSync(binDir, { recursive: true });
  let words = setting.trim().split(/\s+/).filter(Boolean);
  if (!words.length) words = ['sudo', '-n', 'glass'];
  let problem: string | undefined;
  let sudo: string[] = [];
  if (words[0] === 'sudo') {
    const programAt = words.findIndex((w, i) => i > 0 && !w.startsWith('-'));
    sudo = words.slice(0, programAt < 0 ? words.length : programAt);
    words = programAt < 0 ? [] : words.slice(programAt);
    if (opts.uid === 0) sudo = [];
  }
  const [program = 'glass', ...extra] = words;
  const resolved = which(program, baseEnv.PATH, binDir);
  if (!resolved) {
    problem = `glass was not found (glass.command is "${setting}"): put it on PATH with "sudo npm run install-cli" in your glass checkout, or set glass.command to its path (…/bin/glass).`;
  }
  if (!problem && sudo.length && !which('sudo', baseEnv.PATH)) {
    problem = 'glass needs root and sudo is not installed: install sudo, or run the editor as root and set glass.command to the path of glass.';
  }
  const argv = [...(sudo.length ? [...sudo, `--preserve-env=${PASSED_ENV.join(',')}`] : []), resolved ?? program, ...extra];
  const command = argv.map(shellQuote).join(' ');
  writeFileSync(
    join(binDir, 'glass'),
    `#!/bin/sh\n# Written by the glass VS Code extension from the setting glass.command: every "glass" it runs is this.\nexec ${command} "$@"\n`,
    { mode: 0o755 },
  );
  const checkout = resolved ? checkoutOf(resolved) : undefined;
  return {
    binDir,
    command,
    checkout,
    problem,
    env(more = {}) {
      const env: NodeJS.ProcessEnv = { ...baseEnv, ...more, PATH: `${binDir}${delimiter}${baseEnv.PATH ?? '/usr/bin:/bin'}` };
      if (opts.root) env.GLASS_ROOT = opts.root;
      // The extension host's own Node variables are not the learner's.
      delete env.ELECTRON_RUN_AS_NODE;
      delete env.VSCODE_IPC_HOOK;
      return env;
    },
  };
}

/**
 * What went wrong running glass, in one line a learner can act on, from
 * what sudo or the shell printed (undefined: glass itself ran and answered).
 */
export function setupProblem(output: string, exitCode: number): string | undefined {
  if (/sudo: (a )?password is required|sudo: a terminal is required/.test(output)) {
    return 'glass needs root, and sudo asked for a password: let sudo run glass without one (see the extension\'s README, "Running glass as root"), or set glass.command.';
  }
  if (/sorry, you are not allowed to (preserve the environment|set the following environment)/.test(output)) {
    return 'sudo runs glass but will not pass GLASS_ROOT, GLASS_LEARN_LABEL and GLASS_TRACE_FILE to it: add SETENV to the sudoers line (see the extension\'s README, "Running glass as root").';
  }
  if (/is not allowed to execute|is not in the sudoers file|may not run sudo/.test(output)) {
    return 'sudo does not let you run glass: add a sudoers line for it (see the extension\'s README, "Running glass as root").';
  }
  if (exitCode === 127 && /(not found|No such file)/.test(output)) {
    return 'glass could not be started: check glass.command (a path to glass, or "sudo -n glass" with glass on PATH: sudo npm run install-cli in your checkout).';
  }
  if (/glass: not built yet/.test(output)) return output.trim().split('\n').pop();
  return undefined;
}

export interface Captured {
  exitCode: number;
  output: string;
  timedOut: boolean;
}

/**
 * Run a shell line (bash, like a terminal) with glass set up, collecting its
 * output (stdout and stderr as they come). Its own process group, so a
 * timeout or `cancel` ends everything it started, by its PID.
 */
export function runCaptured(
  line: string,
  opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; onData?: (s: string) => void; cancel?: AbortSignal },
): Promise<Captured> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', line], { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    const take = (b: Buffer) => {
      const s = b.toString('utf8');
      if (output.length < 1_000_000) output += s;
      opts.onData?.(s);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, opts.timeoutMs)
      : undefined;
    opts.cancel?.addEventListener('abort', kill);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode: 127, output: output + e.message, timedOut });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      opts.cancel?.removeEventListener('abort', kill);
      resolve({ exitCode: code ?? (signal ? 128 + 9 : 1), output, timedOut });
    });
  });
}
