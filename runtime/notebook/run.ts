/**
 * Running containers from a cell: through the Engine (run, runDetached), or
 * as a glass command line (sh`run --rm busybox hostname`), for cells that
 * mirror a lesson. Each result carries the Steps glass took: its explain
 * trace, which glass.show() draws as a table.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';
import type { CreateOptions, Step } from '../engine/index.js';
import { readTrace } from '../learn/session.js';
import { NotebookError, oneLineErrors } from './errors.js';
import { glassBin, session } from './session.js';

/** The engine's CreateOptions, with busybox as the default image, and the input to send to the container's stdin. */
export type RunOptions = Omit<CreateOptions, 'image'> & { image?: string; input?: string };

export interface RunOutput {
  id: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout, then stderr. */
  output: string;
  /** The explain trace of the whole run: create, start, wait, remove. */
  steps: Step[];
}

/** A result shows in a cell as the container's output (and its exit code when not 0). */
function asText(output: string, exitCode: number, steps: Step[]): string {
  const done = steps.filter((s) => s.phase !== 'started').length;
  return `${output}${output && !output.endsWith('\n') ? '\n' : ''}(exit code ${exitCode}; ${done} steps: glass.show(result) draws them)`;
}

/** A command as a busybox shell line, or argv, or the full CreateOptions. */
function options(what: string | string[] | RunOptions): RunOptions {
  if (typeof what === 'string') return { image: 'busybox', command: ['sh', '-c', what] };
  if (Array.isArray(what)) return { image: 'busybox', command: what };
  return what;
}

function createOptions(opts: RunOptions, labels: Record<string, string>): CreateOptions & { input?: string } {
  return { ...opts, image: opts.image ?? 'busybox', labels: withLabel(opts.labels, labels) };
}

/**
 * Run a container to its end and collect everything: its output, its exit
 * code and the Steps. `glass.run('hostname')` runs a busybox shell line;
 * `glass.run({ image, command, ... })` takes the engine's CreateOptions. The
 * container carries the notebook's label and is removed afterwards unless
 * `autoRemove: false`.
 */
export async function run(what: string | string[] | RunOptions): Promise<RunOutput> {
  const s = await session();
  const opts = options(what);
  const steps: Step[] = [];
  const r = await oneLineErrors(s.root, () =>
    s.engine.containers.run(createOptions(opts, s.labels), { onStep: (st) => steps.push(st) }),
  );
  const out: RunOutput = { ...r, output: r.stdout + r.stderr, steps };
  Object.defineProperty(out, inspect.custom, { value: () => asText(out.output, out.exitCode, steps), enumerable: false });
  return out;
}

/** Create and start a container that keeps running (like `glass run -d`); returns its id, name and the Steps. */
export async function runDetached(what: string | string[] | RunOptions): Promise<{ id: string; name: string; steps: Step[] }> {
  const s = await session();
  const opts = options(what);
  const steps: Step[] = [];
  const onStep = (st: Step) => void steps.push(st);
  return oneLineErrors(s.root, async () => {
    const c = await s.engine.containers.create(createOptions(opts, s.labels), { onStep });
    await s.engine.containers.start(c.id, { onStep });
    return { id: c.id, name: c.name, steps };
  });
}

function withLabel(labels: CreateOptions['labels'], mine: Record<string, string>): CreateOptions['labels'] {
  if (Array.isArray(labels)) return [...labels, ...Object.entries(mine).map(([k, v]) => `${k}=${v}`)];
  return { ...(labels ?? {}), ...mine };
}

export interface ShResult {
  /** The command line as run: "glass run --rm busybox hostname". */
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr as they came, interleaved. */
  output: string;
  steps: Step[];
}

/** Quote a value for the shell, as a learner would type it. */
function quote(v: unknown): string {
  const s = String(v);
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Commands whose non-zero exit can be the container's own (so only 125-127 are glass failing). */
const CONTAINER_EXIT = new Set(['run', 'start', 'attach', 'wait']);

/**
 * A glass command line, as in a terminal or a lesson:
 *
 *     await glass.sh`run --rm busybox hostname`
 *
 * runs `glass run --rm busybox hostname` with bash (pipes and redirections
 * work), on the notebook's state root, its containers labelled as the
 * notebook's. Interpolated values are quoted for the shell. Resolves with the
 * output, the exit code and the Steps; when glass itself refuses (a bad
 * option, a missing image), the cell fails with glass's one-line error.
 */
export async function sh(strings: TemplateStringsArray, ...values: unknown[]): Promise<ShResult> {
  const s = await session();
  const line = strings.reduce((acc, part, i) => acc + part + (i < values.length ? quote(values[i]) : ''), '').trim();
  const dir = mkdtempSync(join(tmpdir(), 'glass-notebook-'));
  const traceFile = join(dir, 'trace.jsonl');
  try {
    const r = await bash(`glass ${line}`, {
      ...process.env,
      PATH: `${dirname(glassBin())}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      GLASS_ROOT: s.root,
      GLASS_LEARN_LABEL: s.label,
      GLASS_TRACE_FILE: traceFile,
      FORCE_COLOR: '0',
    });
    const result: ShResult = { command: `glass ${line}`, ...r, steps: readTrace(traceFile) };
    Object.defineProperty(result, inspect.custom, { value: () => asText(result.output, result.exitCode, result.steps), enumerable: false });
    const sub = /^(?:--?\S+\s+)*(\S+)/.exec(line)?.[1] ?? '';
    const glassLine = r.stderr.split('\n').find((l) => /^(glass|Error): /.test(l));
    if (glassLine && r.exitCode !== 0 && (r.exitCode >= 125 || !CONTAINER_EXIT.has(sub))) throw new NotebookError(glassLine, String(r.exitCode), r.exitCode);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ exitCode: number; stdout: string; stderr: string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), (output += d)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), (output += d)));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 + 9 : 1), stdout, stderr, output }));
  });
}
