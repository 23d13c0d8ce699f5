import chalk from 'chalk';
import { GlassError } from '../../engine/index.js';
import { countOutcomes, runLessonAuto, type StepResult } from '../../learn/auto.js';
import { findLesson, isComing, loadLessons, missingFeatures } from '../../learn/lessons.js';
import { LessonFormatError, type Lesson } from '../../learn/model.js';
import { ProgressStore } from '../../learn/progress.js';
import { FEATURES } from '../../catalog/features.js';
import { bool, str, type Ctx } from '../context.js';
import { teachLesson } from '../learn-terminal.js';

/**
 * `glass learn`: list the lessons with progress; `glass learn N`: take one in
 * the terminal (or `--present` it to a class); `glass learn --auto [N]`: run
 * every step unattended, as CI does.
 */
export async function learn(ctx: Ctx): Promise<number> {
  let lessons: Lesson[];
  const ref = ctx.args[0];
  try {
    // A lesson named on the command line is read alone: a malformed other lesson does not stop it.
    lessons = loadLessons(str(ctx.flags.lessons), ref);
  } catch (e) {
    if (e instanceof LessonFormatError) throw new GlassError('INVALID_ARGUMENT', `bad lesson: ${e.message}`);
    throw e;
  }
  const lesson = ref === undefined ? undefined : findLesson(lessons, ref);
  if (ref !== undefined && !lesson) {
    throw new GlassError('INVALID_ARGUMENT', `no lesson '${ref}': 'glass learn' lists them`);
  }
  if (lesson && isComing(lesson)) {
    const missing = missingFeatures(lesson);
    throw new GlassError(
      'INVALID_ARGUMENT',
      `lesson ${lesson.number} (${lesson.title}) is coming: it needs ${missing.map((f) => `${f} (${FEATURES[f].what})`).join(' and ')}, which glass does not have yet`,
    );
  }
  if (bool(ctx.flags.auto)) return auto(ctx, lesson ? [lesson] : lessons.filter((l) => !isComing(l)));
  if (!lesson) return list(ctx, lessons);
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new GlassError(
      'INVALID_ARGUMENT',
      `'glass learn ${ref}' is interactive and needs a terminal: run it in one, or use 'glass learn --auto ${ref}' to run every step unattended`,
    );
  }
  return teachLesson(ctx, lesson, { present: bool(ctx.flags.present), restart: bool(ctx.flags.restart), store: new ProgressStore() });
}

/** A path as a shell would need it typed. */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function list(ctx: Ctx, lessons: Lesson[]): number {
  const progress = new ProgressStore().read().lessons;
  const rows = lessons.map((l) => {
    const p = progress[l.id];
    const state = isComing(l)
      ? chalk.dim(`coming (needs ${missingFeatures(l).join(', ')})`)
      : p?.done
        ? chalk.green('done')
        : p
          ? chalk.yellow(`in progress: step ${p.step} of ${l.steps.length}`)
          : 'not started';
    return [String(l.number).padStart(2), l.title, isComing(l) ? '' : `${l.minutes} min`, state];
  });
  const w1 = Math.max(6, ...rows.map((r) => r[1].length));
  ctx.out(`${chalk.bold('   # ' + 'LESSON'.padEnd(w1) + '  TIME    PROGRESS')}\n`);
  for (const r of rows) ctx.out(`  ${r[0]} ${r[1].padEnd(w1)}  ${r[2].padEnd(6)}  ${r[3]}\n`);
  const next = lessons.find((l) => !isComing(l) && !progress[l.id]?.done);
  const dir = str(ctx.flags.lessons);
  const lessonsFlag = dir ? ` --lessons ${shellQuote(dir)}` : '';
  if (next) ctx.out(`\nStart or resume one with 'glass learn${lessonsFlag} ${next.number}' (the lessons are Markdown files in ${dir ?? 'lessons/'}).\n`);
  return 0;
}

const MARK: Record<StepResult['outcome'], string> = {
  passed: '✓',
  'hint-shown': '✓',
  'not-run': '-',
  'check-passes-unsolved': '✗',
  'check-failed': '✗',
  'setup-failed': '✗',
  'solve-failed': '✗',
  'cleanup-failed': '✗',
};

const WHY: Record<StepResult['outcome'], string> = {
  passed: '',
  'hint-shown': '',
  'not-run': 'not run: an earlier step failed',
  'check-passes-unsolved': 'its check passes before the step is done, so it cannot tell whether a learner did it',
  'check-failed': 'its check fails after its solve',
  'setup-failed': 'its setup failed',
  'solve-failed': 'its solve failed',
  'cleanup-failed': 'its cleanup failed',
};

async function auto(ctx: Ctx, lessons: Lesson[]): Promise<number> {
  const abort = new AbortController();
  const onInt = () => abort.abort();
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onInt);
  const results = [];
  try {
    for (const lesson of lessons) {
      if (abort.signal.aborted) break;
      ctx.out(`${chalk.bold(`Lesson ${lesson.number}: ${lesson.title}`)} ${chalk.dim(`(${lesson.file})`)}\n`);
      const result = await runLessonAuto(lesson, {
        engine: ctx.engine,
        signal: abort.signal,
        onStep: (r) => {
          const ok = MARK[r.outcome] === '✓';
          const mark = ok ? chalk.green('✓') : r.outcome === 'not-run' ? chalk.dim('-') : chalk.red('✗');
          ctx.out(`  ${mark} ${r.step.index}. ${r.step.title}${ok ? '' : `: ${WHY[r.outcome]}`}\n`);
          if (!ok && r.detail) ctx.out(`      ${chalk.dim(r.detail)}\n`);
          if (!ok && r.outcome !== 'not-run') ctx.out(`      ${chalk.dim(`${lesson.file}:${r.step.line}`)}\n`);
        },
      });
      for (const p of result.problems) ctx.out(`  ${chalk.red('✗')} ${p}\n`);
      results.push(result);
    }
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onInt);
  }
  const { passed, failed, notRun } = countOutcomes(results);
  ctx.out(`${passed} passed, ${failed} failed${notRun ? `, ${notRun} not run` : ''}\n`);
  if (abort.signal.aborted) return 130;
  return failed || notRun ? 1 : 0;
}
