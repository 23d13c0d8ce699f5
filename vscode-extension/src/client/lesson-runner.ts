/**
 * A lesson taken in the editor: its blocks run as lessons/README.md ("Where
 * blocks run") says, in bash, from the lesson's scratch directory, with
 * LESSON_ID, LESSON_DIR, LESSON_OUTPUT, LESSON_EXIT, GLASS_LEARN_LABEL and
 * GLASS_TRACE_FILE set, and the checks with glass's own prelude
 * (runtime/learn/prelude.sh of the checkout) sourced. The one difference from
 * the terminal runner (runtime/learn/session.ts): `glass` is the configured
 * command (sudo), since the editor is not root. Progress goes to the same
 * file the terminal runner keeps (runtime/learn/progress.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '../../../runtime/engine/index.js';
import type { Block, Lesson, LessonStep } from '../../../runtime/learn/model.js';
import type { ProgressStore } from '../../../runtime/learn/progress.js';
import { LESSON_LABEL_KEY, readTrace } from '../../../runtime/learn/session.js';
import { runCaptured, type Captured, type GlassSetup } from './glass.js';

const BLOCK_MS = 180_000;

export interface StepRun {
  output: string;
  exitCode: number;
  steps: Step[];
  passed: boolean;
  /** Why it could not run at all (setup failed, timed out). */
  problem?: string;
}

export class LessonRunner {
  readonly dir: string;
  private readonly outputFile: string;
  private readonly traceFile: string;
  private lastExit: number | undefined;
  private started = false;
  private readonly setUpSteps = new Set<number>();
  private readonly ranSteps = new Set<number>();
  private readonly abort = new AbortController();

  constructor(
    readonly lesson: Lesson,
    private readonly glass: GlassSetup,
    private readonly store: ProgressStore,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `glass-lesson-${lesson.number}-`));
    this.outputFile = join(this.dir, '.output');
    this.traceFile = join(this.dir, '.trace');
    writeFileSync(this.outputFile, '');
  }

  private env(): NodeJS.ProcessEnv {
    return this.glass.env({
      LESSON_ID: this.lesson.id,
      LESSON_DIR: this.dir,
      LESSON_OUTPUT: this.outputFile,
      LESSON_EXIT: this.lastExit === undefined ? '' : String(this.lastExit),
      GLASS_LEARN_LABEL: `${LESSON_LABEL_KEY}=${this.lesson.id}`,
      GLASS_TRACE_FILE: this.traceFile,
    });
  }

  private bash(script: string, onData?: (s: string) => void): Promise<Captured> {
    return runCaptured(script, { env: this.env(), cwd: this.dir, timeoutMs: BLOCK_MS, onData, cancel: this.abort.signal });
  }

  private script(b: Block): Promise<Captured> {
    return this.bash(`set -e -o pipefail\n${b.code}`);
  }

  /** The lesson's setup (once) and the step's (once). */
  private async prepare(step: LessonStep): Promise<string | undefined> {
    if (!this.started && this.lesson.setup) {
      const r = await this.script(this.lesson.setup);
      if (r.exitCode !== 0) return `the lesson's setup failed (exit ${r.exitCode}): ${r.output.trim().split('\n').pop() ?? ''}`;
    }
    this.started = true;
    if (step.setup && !this.setUpSteps.has(step.index)) {
      const r = await this.script(step.setup);
      if (r.exitCode !== 0) return `the step's setup failed (exit ${r.exitCode}): ${r.output.trim().split('\n').pop() ?? ''}`;
      this.setUpSteps.add(step.index);
    }
    return undefined;
  }

  /** Run a command for the step (its run block, or what the learner typed), then its check. */
  async run(step: LessonStep, code: string, onData?: (s: string) => void): Promise<StepRun> {
    const problem = await this.prepare(step);
    if (problem) return { output: '', exitCode: 1, steps: [], passed: false, problem };
    this.ranSteps.add(step.index);
    writeFileSync(this.traceFile, '');
    const r = await this.bash(code, onData);
    writeFileSync(this.outputFile, r.output);
    this.lastExit = r.exitCode;
    const steps = readTrace(this.traceFile);
    const passed = await this.check(step);
    return { output: r.output, exitCode: r.exitCode, steps, passed, problem: r.timedOut ? `the command ran longer than ${BLOCK_MS / 1000} s and was stopped` : undefined };
  }

  /** The step's check alone (for a learner who did the step in a terminal); saves progress when it passes. */
  async check(step: LessonStep): Promise<boolean> {
    if (!step.check) return true;
    if (!this.glass.checkout) return false;
    const prelude = join(this.glass.checkout, 'runtime', 'learn', 'prelude.sh');
    const r = await this.bash(`set -e\nsource ${JSON.stringify(prelude)}\n${step.check.code}`);
    const passed = r.exitCode === 0 && !r.timedOut;
    if (passed) this.passed(step);
    return passed;
  }

  private passed(step: LessonStep): void {
    const last = step.index === this.lesson.steps.length;
    const saved = this.store.get(this.lesson.id);
    if (saved?.done) return;
    this.store.set(this.lesson.id, last ? this.lesson.steps.length : Math.max(step.index + 1, saved?.step ?? 1), last);
  }

  /** Leave the lesson: its cleanup blocks, then every container its commands made (by their label), then the scratch directory. */
  async finish(): Promise<void> {
    this.abort.abort();
    const cleanups = [...this.lesson.steps.filter((s) => s.cleanup && (this.ranSteps.has(s.index) || this.setUpSteps.has(s.index))).map((s) => s.cleanup!), ...(this.lesson.cleanup ? [this.lesson.cleanup] : [])];
    for (const b of cleanups) await runCaptured(`${b.code}`, { env: this.env(), cwd: this.dir, timeoutMs: 60_000 });
    await runCaptured(`glass ps -a -q --no-trunc --filter "label=$GLASS_LEARN_LABEL" | xargs -r glass rm -f >/dev/null`, { env: this.env(), cwd: this.dir, timeoutMs: 60_000 });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
