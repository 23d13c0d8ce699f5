/**
 * One lesson being taken: its scratch directory, the environment its blocks
 * run in, the learner's commands and the checks, and the clean-up that
 * leaves nothing behind.
 *
 * Lesson blocks are shell scripts, run by bash as a learner's terminal would
 * run them: that is the point of a lesson (the same commands the learner
 * types). Containers are removed through the Engine, by the label every
 * container a lesson's command creates carries.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine, Step } from '../engine/index.js';
import type { Block, Lesson, LessonStep } from './model.js';
import { projectRoot } from './lessons.js';

/** The label every container made by a lesson's commands carries (glass run/create add it from GLASS_LEARN_LABEL). */
export const LESSON_LABEL_KEY = 'glass.lesson';

/** What the learner's terminal is, for a command: where its output goes as it comes. */
export interface CommandIO {
  /** `sh run tty`: the command gets the terminal itself (stdin, stdout, stderr); its output is not captured. */
  tty?: boolean;
  /** The terminal's stdin is the command's (an interactive runner); otherwise the command reads nothing. */
  stdin?: boolean;
  /** Each chunk of output as it arrives (the runner prints it). */
  echo?: (chunk: Buffer) => void;
}

export interface CommandResult {
  exitCode: number;
  output: string;
  /** The kernel steps glass took for this command (its explain trace). */
  steps: Step[];
  timedOut: boolean;
}

export interface SessionOptions {
  engine: Engine;
  /** Time limit of each block (ms); none by default (a learner's terminal). --auto sets one. */
  timeoutMs?: number;
  /** Environment the blocks start from (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

const MAX_OUTPUT = 1024 * 1024;

export class LessonSession {
  /** The lesson's scratch directory (LESSON_DIR), removed at its end. */
  readonly dir: string;
  readonly label: string;
  private readonly outputFile: string;
  private readonly traceFile: string;
  private lastExit: number | undefined;
  private readonly running = new Set<number>();

  constructor(
    readonly lesson: Lesson,
    private readonly opts: SessionOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `glass-lesson-${lesson.number}-`));
    this.label = `${LESSON_LABEL_KEY}=${lesson.id}`;
    this.outputFile = join(this.dir, '.output');
    this.traceFile = join(this.dir, '.trace');
    writeFileSync(this.outputFile, '');
  }

  /** The environment every block runs in (lessons/README.md, "Where blocks run"). */
  private env(): NodeJS.ProcessEnv {
    const base = this.opts.env ?? process.env;
    return {
      ...base,
      PATH: `${join(projectRoot(), 'bin')}:${base.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      // The lesson's commands use the state root glass learn was given (--root or $GLASS_ROOT).
      GLASS_ROOT: this.opts.engine.root,
      LESSON_ID: this.lesson.id,
      LESSON_DIR: this.dir,
      LESSON_OUTPUT: this.outputFile,
      LESSON_EXIT: this.lastExit === undefined ? '' : String(this.lastExit),
      GLASS_LEARN_LABEL: this.label,
      GLASS_TRACE_FILE: this.traceFile,
    };
  }

  /**
   * Run a command the learner ran (or the step's suggested command, or its
   * solve): its output becomes $LESSON_OUTPUT and its status $LESSON_EXIT for
   * the check, and the steps glass took are returned for "under the hood".
   * Like a line typed at a terminal: no `set -e`.
   */
  async runCommand(code: string, io: CommandIO = {}): Promise<CommandResult> {
    writeFileSync(this.traceFile, '');
    const r = await this.spawnBash(code, { ...io, capture: !io.tty });
    writeFileSync(this.outputFile, r.output);
    this.lastExit = r.exitCode;
    return { ...r, steps: readTrace(this.traceFile) };
  }

  /** The step's check: true when it passes. Its own output is returned for a report. */
  async check(step: LessonStep): Promise<{ passed: boolean; output: string; timedOut: boolean }> {
    if (!step.check) return { passed: true, output: '', timedOut: false };
    const prelude = join(projectRoot(), 'runtime', 'learn', 'prelude.sh');
    // set -e, but not pipefail: in a check, `glass logs x | grep -q y` asks what grep found; with
    // pipefail, grep -q ending early would fail the check whenever glass got SIGPIPE.
    const r = await this.spawnBash(`set -e\nsource ${JSON.stringify(prelude)}\n${step.check.code}`, { capture: true });
    return { passed: r.exitCode === 0 && !r.timedOut, output: r.output, timedOut: r.timedOut };
  }

  /** Forget the last command (a step starts with no output and no exit status). */
  resetOutput(): void {
    writeFileSync(this.outputFile, '');
    this.lastExit = undefined;
  }

  /** A setup or cleanup block: quietly, with `set -e -o pipefail`. */
  async runScript(block: Block): Promise<{ exitCode: number; output: string; timedOut: boolean }> {
    return this.spawnBash(`set -e -o pipefail\n${block.code}`, { capture: true });
  }

  /**
   * Leave the lesson: run its cleanup, remove every container its commands
   * made (by their label), remove the scratch directory. Safe to call twice;
   * errors are collected, not thrown, so one failure does not stop the rest.
   */
  async finish(extraCleanup: Block[] = []): Promise<string[]> {
    const problems: string[] = [];
    for (const b of [...extraCleanup, ...(this.lesson.cleanup ? [this.lesson.cleanup] : [])]) {
      const r = await this.runScript(b).catch((e: Error) => ({ exitCode: 1, output: e.message, timedOut: false }));
      if (r.exitCode !== 0) problems.push(`cleanup (line ${b.line}) exited ${r.exitCode}: ${lastLine(r.output)}`);
    }
    problems.push(...(await removeLessonContainers(this.opts.engine, this.lesson.id)));
    rmSync(this.dir, { recursive: true, force: true });
    return problems;
  }

  /** Kill whatever block is still running (Ctrl-C in --auto, a timeout). */
  killAll(): void {
    for (const pid of this.running) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  private spawnBash(script: string, io: CommandIO & { capture: boolean }): Promise<{ exitCode: number; output: string; timedOut: boolean }> {
    return new Promise((resolve, reject) => {
      // Interactive commands stay in the terminal's process group, so Ctrl-C
      // reaches them as it would in a shell; unattended ones get their own
      // group, so a timeout can end everything they started.
      const interactive = io.tty || io.stdin;
      const child = spawn('bash', ['-c', script], {
        cwd: this.dir,
        env: this.env(),
        stdio: io.tty ? 'inherit' : [io.stdin ? 'inherit' : 'ignore', 'pipe', 'pipe'],
        detached: !interactive,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      const take = (b: Buffer) => {
        io.echo?.(b);
        if (size < MAX_OUTPUT) {
          chunks.push(b);
          size += b.length;
        }
      };
      child.stdout?.on('data', take);
      child.stderr?.on('data', take);
      if (!interactive && child.pid) this.running.add(child.pid);
      let timedOut = false;
      const timer =
        this.opts.timeoutMs && !interactive
          ? setTimeout(() => {
              timedOut = true;
              if (child.pid) process.kill(-child.pid, 'SIGKILL');
            }, this.opts.timeoutMs)
          : undefined;
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (child.pid) this.running.delete(child.pid);
        resolve({ exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0), output: Buffer.concat(chunks).toString('utf8'), timedOut });
      });
    });
  }
}

/** Remove the containers a lesson's commands made (they carry its label). Returns what could not be removed. */
export async function removeLessonContainers(engine: Engine, lessonId: string): Promise<string[]> {
  const problems: string[] = [];
  const mine = await engine.containers.list({ all: true, filters: { label: [`${LESSON_LABEL_KEY}=${lessonId}`] } });
  for (const c of mine) {
    try {
      await engine.containers.remove(c.Id, { force: true });
    } catch (e) {
      problems.push(`could not remove container ${c.Id.slice(0, 12)}: ${(e as Error).message}`);
    }
  }
  return problems;
}

/** The steps the CLI wrote to GLASS_TRACE_FILE (one JSON object a line). */
export function readTrace(file: string): Step[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const steps: Step[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      steps.push(JSON.parse(line) as Step);
    } catch {
      // A line cut short by a killed command: skip it.
    }
  }
  return steps;
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? '';
}
