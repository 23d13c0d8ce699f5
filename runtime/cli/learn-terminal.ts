/**
 * A lesson in the terminal. Each step: its explanation, the suggested
 * command (Enter runs it, or the learner types their own), the output, the
 * check (✓, or ✗ and the hint), then "under the hood": the explain trace of
 * what they ran. Progress is saved after every step; Ctrl-C at a prompt
 * leaves the lesson, removes its containers and keeps the place.
 *
 * --present is the same lesson for an instructor in front of a class: a
 * cleared screen per step, each command typed out at a human pace, nothing
 * moves until a key is pressed, and a large under-the-hood panel.
 */
import chalk from 'chalk';
import { createInterface } from 'node:readline';
import { solveOf, type Lesson, type LessonStep } from '../learn/model.js';
import type { ProgressStore } from '../learn/progress.js';
import type { Step } from '../engine/index.js';
import { LessonSession, type CommandResult } from '../learn/session.js';
import { shorten } from '../learn/trace.js';
import type { Ctx } from './context.js';
import { renderMarkdown, wrap } from './markdown.js';

export interface TeachOptions {
  present: boolean;
  restart: boolean;
  store: ProgressStore;
}

/** The learner pressed Ctrl-C (or closed the input) at a prompt: leave the lesson. */
class Leave extends Error {}

const out = (s: string) => void process.stdout.write(s);
const width = () => Math.max(40, Math.min(process.stdout.columns || 80, 100));

/**
 * Ctrl-C outside a prompt (while a check or setup runs, while a command is
 * typed out) must not kill glass with the lesson's containers left running:
 * it is noted, and the lesson is left at the next prompt. While the learner's
 * own command runs, Ctrl-C is that command's (it stops a `logs -f`).
 */
let interrupted = false;
let childOwnsCtrlC = false;
const onSigint = () => {
  if (!childOwnsCtrlC) interrupted = true;
};

function leaveIfInterrupted(): void {
  if (interrupted) {
    out('\n');
    throw new Leave();
  }
}

/** Read one line; Ctrl-C or end of input leaves the lesson. */
function ask(prompt: string): Promise<string> {
  leaveIfInterrupted();
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    let answered = false;
    rl.on('SIGINT', () => {
      answered = true;
      rl.close();
      out('\n');
      reject(new Leave());
    });
    rl.on('close', () => {
      if (!answered) reject(new Leave());
    });
    rl.question(prompt, (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
  });
}

/** Wait for one key press (presenter mode); Ctrl-C or q leaves. */
function key(): Promise<string> {
  leaveIfInterrupted();
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.once('data', (b: Buffer) => {
      stdin.setRawMode(false);
      stdin.pause();
      const k = b.toString('utf8');
      if (k === '\x03' || k === 'q' || k === '\x04') reject(new Leave());
      else resolve(k);
    });
  });
}

/** Run a child with the terminal's Ctrl-C going to it, not to us (as a shell does). */
async function withChildOwningCtrlC<T>(fn: () => Promise<T>): Promise<T> {
  childOwnsCtrlC = true;
  try {
    return await fn();
  } finally {
    childOwnsCtrlC = false;
  }
}

export async function teachLesson(ctx: Ctx, lesson: Lesson, opts: TeachOptions): Promise<number> {
  const { store, present } = opts;
  if (opts.restart) store.reset(lesson.id);
  const saved = store.get(lesson.id);
  const startAt = saved && !saved.done && saved.step > 1 && saved.step <= lesson.steps.length ? saved.step : 1;
  const session = new LessonSession(lesson, { engine: ctx.engine });
  interrupted = false;
  process.on('SIGINT', onSigint);
  const root = ctx.engine.root;
  let current: LessonStep | undefined;
  let currentCleanupDone = true;
  try {
    if (present) clear();
    out(chalk.bold.underline(`Lesson ${lesson.number}: ${lesson.title}`) + chalk.dim(`  (${lesson.minutes} min, ${lesson.steps.length} steps)`) + '\n\n');
    if (lesson.intro) out(renderMarkdown(lesson.intro, width()) + '\n\n');
    if (lesson.setup) await quiet(session, lesson.setup.code, 'the lesson’s setup');
    if (startAt > 1) {
      out(chalk.yellow(`Resuming at step ${startAt} of ${lesson.steps.length} ('glass learn ${lesson.number} --restart' starts over).`) + '\n');
      out(chalk.dim(`Catching up: redoing ${startAt === 2 ? 'step 1' : `steps 1–${startAt - 1}`} quietly…`) + '\n');
      for (const step of lesson.steps.slice(0, startAt - 1)) await catchUp(session, step);
      out('\n');
    }
    if (present) await pause('start');
    for (const step of lesson.steps.slice(startAt - 1)) {
      current = step;
      currentCleanupDone = !step.cleanup;
      store.set(lesson.id, step.index, false);
      // Progress moves on as soon as the check passes: leaving at the under-the-hood panel keeps the step done.
      await teachStep(session, lesson, step, root, present, () => store.set(lesson.id, step.index + 1, false));
      if (step.cleanup) await quiet(session, step.cleanup.code, `step ${step.index}'s cleanup`);
      currentCleanupDone = true;
      store.set(lesson.id, step.index + 1, false);
    }
    store.set(lesson.id, lesson.steps.length, true);
    current = undefined;
    const problems = await session.finish();
    if (present) clear();
    out('\n' + chalk.green.bold(`✓ Lesson ${lesson.number} complete: ${lesson.title}`) + '\n');
    for (const p of problems) out(chalk.yellow(`  note: ${p}`) + '\n');
    out(chalk.dim("'glass learn' lists the lessons and your progress.") + '\n');
    return 0;
  } catch (e) {
    if (!(e instanceof Leave)) {
      await session.finish(current?.cleanup && !currentCleanupDone ? [current.cleanup] : []).catch(() => []);
      throw e;
    }
    out(chalk.dim('Leaving the lesson: removing its containers…') + '\n');
    const problems = await session.finish(current?.cleanup && !currentCleanupDone ? [current.cleanup] : []);
    for (const p of problems) out(chalk.yellow(`  note: ${p}`) + '\n');
    const at = store.get(lesson.id)?.step ?? 1;
    out(`Progress saved: 'glass learn ${lesson.number}' resumes at step ${at}.\n`);
    return 130;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function teachStep(session: LessonSession, lesson: Lesson, step: LessonStep, root: string, present: boolean, passed: () => void): Promise<void> {
  const w = width();
  if (present) clear();
  out(chalk.bold(`── Step ${step.index} of ${lesson.steps.length}: ${step.title} `) + chalk.dim('─'.repeat(Math.max(0, w - step.title.length - 20))) + '\n\n');
  session.resetOutput();
  if (step.setup) await quiet(session, step.setup.code, `step ${step.index}'s setup`);
  if (step.prose) out(renderMarkdown(step.prose, w) + '\n\n');
  if (!step.run && !step.check) {
    if (present) await pause('continue');
    else await ask(chalk.dim('Press Enter to continue '));
    passed();
    return;
  }
  const suggested = step.run ?? solveOf(step)!;
  const tty = step.run?.tty ?? false;
  let first = true;
  for (;;) {
    let command: string;
    if (present) {
      await pause('type the command');
      await typeOut(suggested.code);
      await pause('run it'); // (a Ctrl-C while it was typed leaves here)
      command = suggested.code;
    } else {
      if (first && step.run) out(commandBox(step.run.code) + '\n');
      const answer = await ask(
        step.run
          ? chalk.dim(first ? 'Enter runs it, or type your own command (Ctrl-C leaves the lesson): ' : 'Try again (Enter runs the suggested command, or type yours): ')
          : chalk.dim('Type your command (Ctrl-C leaves the lesson): '),
      );
      command = answer.trim() ? answer : suggested.code;
      if (answer.trim()) out(chalk.dim(`$ ${answer.trim()}`) + '\n');
    }
    const result = await withChildOwningCtrlC(() => session.runCommand(command, { tty, stdin: true, echo: (b) => out(b.toString('utf8')) }));
    if (first && step.after) out('\n' + renderMarkdown(step.after, w) + '\n');
    first = false;
    const check = await session.check(step);
    if (check.passed) {
      passed();
      out('\n' + chalk.green.bold('✓ ') + chalk.green(`Step ${step.index} done.`) + '\n');
      if (present) {
        await pause('look under the hood');
        await showPaged(underTheHood(result, root, true, w));
      } else {
        out(underTheHood(result, root, false, w) + '\n');
      }
      if (present) await pause('next step');
      else out('\n');
      return;
    }
    out('\n' + chalk.red.bold('✗ ') + chalk.red('Not yet: the check did not pass.') + '\n');
    if (step.hint) out(wrap(renderMarkdown(`**Hint:** ${step.hint}`, w - 2), w, '  ') + '\n\n');
    if (present) await pause('try again');
  }
}

/** Redo a finished step's setup and solve (and cleanup) so a resumed lesson finds the state it left. */
async function catchUp(session: LessonSession, step: LessonStep): Promise<void> {
  if (step.setup) await session.runScript(step.setup);
  const solve = solveOf(step);
  if (solve) await session.runCommand(solve.code);
  if (step.cleanup) await session.runScript(step.cleanup);
}

async function quiet(session: LessonSession, code: string, what: string): Promise<void> {
  const r = await session.runScript({ code, line: 0 });
  if (r.exitCode !== 0) out(chalk.yellow(`note: ${what} exited ${r.exitCode}: ${r.output.trim().split('\n').pop() ?? ''}`) + '\n');
}

function commandBox(code: string): string {
  return code
    .split('\n')
    .map((l, i) => `  ${chalk.green(i === 0 ? '$' : '>')} ${chalk.bold(l)}`)
    .join('\n');
}

function clear(): void {
  out('\x1b[2J\x1b[H');
}

async function pause(what: string): Promise<void> {
  out(chalk.dim(`  ▸ press a key to ${what} (q leaves)`));
  try {
    await key();
  } finally {
    out('\r\x1b[2K');
  }
}

/** Presenter mode: a cleared screen per page, so a class reads the panel from the top, a key for the next page. */
async function showPaged(text: string): Promise<void> {
  const lines = text.split('\n');
  const rows = Math.max(10, (process.stdout.rows || 24) - 2);
  for (let i = 0; i < lines.length; i += rows) {
    clear();
    out(lines.slice(i, i + rows).join('\n') + '\n');
    if (i + rows < lines.length) await pause('see more');
  }
}

/** Type a command out at a human pace (demo-magic style), so a class can read it as it appears. */
async function typeOut(code: string): Promise<void> {
  out(`  ${chalk.green('$')} `);
  for (const ch of code) {
    out(ch === '\n' ? `\n  ${chalk.green('>')} ` : chalk.bold(ch));
    await new Promise((r) => setTimeout(r, ch === ' ' ? 60 : 25 + Math.random() * 35));
  }
  out('\n');
}

// ---------------------------------------------------------------------------
// Under the hood: the explain trace of what the learner ran, shortened for reading.

/** A run takes ~35 steps; more than this and the middle ones are left out (never a failed one, never the last ones: pivot_root, exec). */
const MAX_STEPS = 40;
const KEEP_LAST = 12;

/** The steps to show, in order, and how many were left out before the last ones. */
function pick(steps: Step[]): { shown: (Step & { n: number })[]; left: number } {
  const numbered = steps.map((s, i) => ({ ...s, n: i + 1 }));
  if (numbered.length <= MAX_STEPS) return { shown: numbered, left: 0 };
  const head = numbered.slice(0, MAX_STEPS - KEEP_LAST);
  const tail = numbered.slice(-KEEP_LAST);
  const failedMiddle = numbered.slice(MAX_STEPS - KEEP_LAST, -KEEP_LAST).filter((s) => s.phase === 'failed');
  return { shown: [...head, ...failedMiddle, ...tail], left: numbered.length - head.length - tail.length - failedMiddle.length };
}

export function underTheHood(result: CommandResult, root: string, large: boolean, w: number): string {
  const steps = result.steps.filter((s) => s.phase !== 'started');
  const head = chalk.bold.blue('Under the hood') + chalk.dim(' — what glass asked the kernel to do');
  if (!steps.length) return `${head}\n  ${chalk.dim('glass took no kernel steps for this command (it ran none, or only read its own records).')}`;
  const { shown, left } = pick(steps);
  const lines = [head];
  shown.forEach((s, i) => {
    if (left && i > 0 && s.n !== shown[i - 1].n + 1) lines.push(chalk.dim(`  … ${left} more steps ('--explain' on the command shows every one)`));
    const mark = s.phase === 'failed' ? chalk.red(' ✗') : chalk.dim(String(s.n).padStart(2));
    const who = s.by === 'shim' ? chalk.magenta(' [shim]') : '';
    if (large) lines.push('');
    lines.push(` ${mark} ${chalk.bold(shorten(s.title, root))}${who}`);
    if (large && s.why) lines.push(wrap(chalk.dim(s.why), w, '      '));
    if (s.command) lines.push(`      ${chalk.green('$')} ${clip(shorten(s.command, root), w - 8)}`);
    if (s.phase === 'failed' && s.error) lines.push(`      ${chalk.red(s.error)}`);
  });
  return lines.join('\n');
}


function clip(s: string, max: number): string {
  return s.length > max ? s.slice(0, Math.max(10, max - 1)) + '…' : s;
}

