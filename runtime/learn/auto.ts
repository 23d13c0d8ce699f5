/**
 * `glass learn --auto`: every step of a lesson, unattended, as CI runs it:
 * setup, the check (which must FAIL: nothing is done yet), the solve, the
 * check again (which must pass), cleanup. A check that passes before its
 * solve would tick a step the learner never did: it fails the lesson.
 */
import type { Engine } from '../engine/index.js';
import { solveOf, type Lesson, type LessonStep } from './model.js';
import { LessonSession } from './session.js';

export type StepOutcome =
  | 'passed'
  /** The check passed before the solve ran: it cannot tell a learner who did the step from one who did not. */
  | 'check-passes-unsolved'
  /** The check failed after the solve: the step cannot be completed as written. */
  | 'check-failed'
  | 'setup-failed'
  | 'solve-failed'
  | 'cleanup-failed'
  /** Not run: an earlier step of the lesson failed. */
  | 'not-run'
  /** --without-solve: the check failed as it should, and the learner would see the hint. */
  | 'hint-shown';

export interface StepResult {
  step: LessonStep;
  outcome: StepOutcome;
  /** What went wrong, in a line or two (the failing script's last output). */
  detail?: string;
}

export interface LessonResult {
  lesson: Lesson;
  steps: StepResult[];
  /** A failure of the lesson's own setup or cleanup. */
  problems: string[];
}

export interface AutoOptions {
  engine: Engine;
  /** Time limit of each block, ms (default 180 s: generous for a slow VM, short of a hang). */
  timeoutMs?: number;
  /** Run the steps before this one, then this one's setup and check without its solve, then stop (a test of the check). */
  withoutSolve?: number;
  /** Called as each step finishes (a live report). */
  onStep?: (r: StepResult) => void;
  /** Aborts between blocks (Ctrl-C): the lesson still cleans up. */
  signal?: AbortSignal;
}

export async function runLessonAuto(lesson: Lesson, opts: AutoOptions): Promise<LessonResult> {
  const session = new LessonSession(lesson, { engine: opts.engine, timeoutMs: opts.timeoutMs ?? 180_000 });
  const result: LessonResult = { lesson, steps: [], problems: [] };
  const abort = () => session.killAll();
  opts.signal?.addEventListener('abort', abort);
  const pendingCleanup: LessonStep[] = [];
  const done = (r: StepResult) => {
    result.steps.push(r);
    opts.onStep?.(r);
  };
  try {
    if (lesson.setup) {
      const r = await session.runScript(lesson.setup);
      if (r.exitCode !== 0) {
        result.problems.push(`the lesson's setup (line ${lesson.setup.line}) exited ${r.exitCode}: ${tail(r.output)}`);
        for (const step of lesson.steps) done({ step, outcome: 'not-run' });
        return result;
      }
    }
    let failed = false;
    for (const step of lesson.steps) {
      if (failed || opts.signal?.aborted || (opts.withoutSolve !== undefined && step.index > opts.withoutSolve)) {
        if (opts.withoutSolve === undefined) done({ step, outcome: 'not-run' });
        continue;
      }
      const r = await runStep(session, step, opts.withoutSolve === step.index);
      if (step.cleanup) pendingCleanup.push(step);
      if (r.outcome === 'passed' && step.cleanup) {
        pendingCleanup.pop();
        const c = await session.runScript(step.cleanup);
        if (c.exitCode !== 0) Object.assign(r, { outcome: 'cleanup-failed', detail: `exit ${c.exitCode}: ${tail(c.output)}` });
      }
      done(r);
      if (r.outcome !== 'passed') failed = true;
    }
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    result.problems.push(...(await session.finish(pendingCleanup.map((s) => s.cleanup!))));
  }
  return result;
}

async function runStep(session: LessonSession, step: LessonStep, withoutSolve: boolean): Promise<StepResult> {
  session.resetOutput();
  if (step.setup) {
    const r = await session.runScript(step.setup);
    if (r.exitCode !== 0) return { step, outcome: 'setup-failed', detail: `exit ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}: ${tail(r.output)}` };
  }
  if (step.check) {
    const before = await session.check(step);
    if (withoutSolve) {
      return before.passed
        ? { step, outcome: 'check-passes-unsolved', detail: tail(before.output) }
        : { step, outcome: 'hint-shown', detail: step.hint };
    }
    if (before.passed) return { step, outcome: 'check-passes-unsolved', detail: 'the check passed before the step was done' };
  }
  const solve = solveOf(step);
  if (solve) {
    const r = await session.runCommand(solve.code);
    if (r.timedOut) return { step, outcome: 'solve-failed', detail: `timed out: ${tail(r.output)}` };
    // A solve may end non-zero on purpose (a lesson about exit codes); the check decides.
    if (!step.check && r.exitCode !== 0) return { step, outcome: 'solve-failed', detail: `exit ${r.exitCode}: ${tail(r.output)}` };
    if (step.check) {
      const after = await session.check(step);
      if (!after.passed) {
        return { step, outcome: 'check-failed', detail: `solve exited ${r.exitCode}: ${tail(r.output)}${after.output.trim() ? ` | check: ${tail(after.output)}` : ''}` };
      }
    }
  }
  return { step, outcome: 'passed' };
}

function tail(s: string, lines = 3): string {
  return s.trim().split('\n').slice(-lines).join(' ⏎ ').slice(0, 400);
}

export function countOutcomes(results: LessonResult[]): { passed: number; failed: number; notRun: number } {
  let passed = 0;
  let failed = 0;
  let notRun = 0;
  for (const r of results) {
    for (const s of r.steps) {
      if (s.outcome === 'passed' || s.outcome === 'hint-shown') passed++;
      else if (s.outcome === 'not-run') notRun++;
      else failed++;
    }
    failed += r.problems.length;
  }
  return { passed, failed, notRun };
}
