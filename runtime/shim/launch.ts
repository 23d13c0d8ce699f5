import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { KernelError } from '../kernel/errors.js';
import { report, type Tracer } from '../kernel/step.js';
import { nativeStep } from './steps.js';
import { encodeSpec, SHIM_PROTOCOL_VERSION, type ShimSpec } from './spec.js';
import { installRoot } from '../kernel/install.js';

export { encodeSpec, SHIM_PROTOCOL_VERSION, type ShimSpec } from './spec.js';
export { readExitSteps } from './steps.js';

/**
 * Starting a container means starting its shim (native/shim.c): the small C
 * monitor that clones the container's init into new namespaces and stays its
 * parent. native/README.md is the protocol; this file is the runtime's half.
 */

export function shimBinary(): string {
  const bin = process.env.GLASS_SHIM ?? join(installRoot(), 'native', 'build', 'glass-shim');
  if (!existsSync(bin)) {
    throw new KernelError('NATIVE_NOT_BUILT', `the glass shim is not built (${bin} is missing): run \`npm run setup\` (it compiles native/ with make) and try again`);
  }
  return bin;
}

export interface ShimStarted {
  shimPid: number;
  initPid: number;
}

export interface LaunchOptions {
  stateDir: string;
  spec: ShimSpec;
  trace: Tracer;
  /** Called once the init exists but waits: place it in its cgroup, attach to its stdio. */
  beforeGo: (initPid: number) => Promise<void>;
  /**
   * Another mode of the shim (`glass-shim exec <state-dir> <exec-dir>`): its
   * arguments, the file its spec goes to, and how the trace names it.
   * Default: `glass-shim <stateDir>`, <stateDir>/shim.spec.
   */
  mode?: { args: string[]; specFile: string; title: string; why: string };
}

/** The shim's first status line must be "version <SHIM_PROTOCOL_VERSION>". */
function versionError(bin: string, line: string): KernelError | undefined {
  const m = /^version (\S+)$/.exec(line);
  if (m && m[1] === String(SHIM_PROTOCOL_VERSION)) return undefined;
  const theirs = m ? `speaks protocol version ${m[1]}` : `sent no protocol version (its first line was ${JSON.stringify(line)})`;
  return new KernelError('SHIM_PROTOCOL', `the glass shim ${bin} ${theirs}, this glass speaks version ${SHIM_PROTOCOL_VERSION}: it was built from other sources; rebuild it with \`npm run build\``);
}

/**
 * Launch the shim and drive its start-up protocol: check its protocol
 * version, read status lines, run host-side set-up when the init's pid is
 * known, send "go", and wait for the exec to succeed or fail.
 */
export function launchShim(opts: LaunchOptions): Promise<ShimStarted> {
  const { stateDir, trace } = opts;
  const bin = shimBinary();
  const mode = opts.mode ?? {
    args: [stateDir],
    specFile: join(stateDir, 'shim.spec'),
    title: 'Start the container shim',
    why: 'Node.js cannot call clone() or pivot_root(); a small C program does those steps and then stays behind as the container\'s monitor.',
  };
  writeFileSync(mode.specFile, encodeSpec(opts.spec));
  const logFd = openSync(join(stateDir, 'shim.log'), 'a');
  report(trace, { title: mode.title, why: mode.why, command: `${bin} ${mode.args.join(' ')}` });
  const child = spawn(bin, mode.args, { stdio: ['ignore', 'ignore', logFd, 'pipe', 'pipe'], detached: true });
  closeSync(logFd);
  child.unref();
  const status = child.stdio[3] as Readable;
  const control = child.stdio[4] as Writable;
  control.on('error', () => {}); // the shim may already be gone: reported through the status pipe

  return new Promise<ShimStarted>((resolve, reject) => {
    let shimPid = 0;
    let initPid = 0;
    let settled = false;
    let versionChecked = false;
    // "step exec" comes just before execve(): done once "ready" follows, failed if "failed exec" does.
    let execCommand: string | undefined;
    let buffered = '';
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      status.destroy();
      control.destroy();
      if (err) reject(err);
      else resolve({ shimPid, initPid });
    };
    const onLine = (line: string) => {
      if (!versionChecked) {
        versionChecked = true;
        const err = versionError(bin, line);
        if (err) return finish(err); // closing the control pipe makes a running init give up
        return;
      }
      const sp = line.indexOf(' ');
      const word = sp < 0 ? line : line.slice(0, sp);
      const rest = sp < 0 ? '' : line.slice(sp + 1);
      const tab = rest.indexOf('\t');
      const key = tab < 0 ? rest : rest.slice(0, tab);
      const text = tab < 0 ? '' : rest.slice(tab + 1);
      switch (word) {
        case 'shim':
          shimPid = Number(rest);
          break;
        case 'step':
          if (key === 'exec') execCommand = text;
          else report(trace, { ...nativeStep(key), command: text, by: 'shim' });
          break;
        case 'failed':
          report(trace, { ...nativeStep(key), command: key === 'exec' ? execCommand ?? '' : '', by: 'shim', phase: 'failed', error: text });
          if (key === 'exec') execCommand = undefined;
          break;
        case 'pid':
          initPid = Number(rest);
          opts
            .beforeGo(initPid)
            .then(() => control.write('go\n'))
            .catch((e) => {
              // Closing the control pipe without "go" makes the init give up; the shim cleans up.
              control.destroy();
              finish(e instanceof Error ? e : new Error(String(e)));
            });
          break;
        case 'ready':
          if (execCommand !== undefined) report(trace, { ...nativeStep('exec'), command: execCommand, by: 'shim' });
          finish();
          break;
        case 'error': {
          const m = /^(\d+) ([\s\S]*)$/.exec(rest);
          const code = m ? Number(m[1]) : 125;
          const message = m ? m[2]! : rest;
          const kind = code === 127 ? 'COMMAND_NOT_FOUND' : code === 126 ? 'COMMAND_NOT_EXECUTABLE' : 'SHIM_FAILED';
          finish(new KernelError(kind, message, code));
          break;
        }
      }
    };
    status.setEncoding('utf8');
    status.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while (!settled && (nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        onLine(line);
      }
    });
    status.on('error', () => {});
    status.on('close', () => {
      if (settled) return;
      let log = '';
      try {
        log = readFileSync(join(stateDir, 'shim.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
      } catch { /* none */ }
      finish(new KernelError('SHIM_FAILED', `the container shim stopped before the container started${log ? `: ${log}` : ''}`));
    });
  });
}
