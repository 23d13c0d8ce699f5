import { describe, expect, it, onTestFinished } from 'vitest';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerIds, GLASS, isRoot, REPO, testRoot, waitFor } from '../helpers.js';
import { findLesson, loadLessons } from '../../runtime/learn/lessons.js';

// node-pty is CommonJS with a native addon.
const pty = createRequire(import.meta.url)('node-pty') as typeof import('node-pty');

const lesson = findLesson(loadLessons(join(REPO, 'lessons')), '1')!;
/** Long enough for a slow VM; each wait ends as soon as the text is on screen. */
const SCREEN_MS = 120_000;

/**
 * A learner at a real terminal: glass learn in a pseudo-terminal, keys typed
 * into it, the screen read back (colour codes stripped).
 */
class Terminal {
  private screen = '';
  /** Where the next expect() starts reading: each wait consumes what it matched. */
  private seen = 0;
  readonly exited: Promise<number>;
  private readonly proc: import('node-pty').IPty;

  constructor(root: string, args: string[], xdg: string) {
    this.proc = pty.spawn(GLASS, ['--root', root, 'learn', ...args], {
      cols: 110,
      rows: 40,
      cwd: REPO,
      env: { ...process.env, XDG_STATE_HOME: xdg, TERM: 'xterm-256color' } as Record<string, string>,
    });
    this.proc.onData((d) => {
      // eslint-disable-next-line no-control-regex
      this.screen += d.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    });
    this.exited = new Promise((resolve) => this.proc.onExit((e) => resolve(e.exitCode)));
    onTestFinished(() => {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    });
  }

  /** Wait until `text` appears after what was already read; returns the screen up to and including it. */
  async expect(text: string): Promise<string> {
    // The probe returns the screen's unread tail too, so a timeout shows what was on screen instead.
    const { at } = await waitFor(
      () => ({ at: this.screen.indexOf(text, this.seen), screen: this.screen.slice(this.seen).slice(-1500) }),
      (v) => v.at >= 0,
      { what: `the terminal to show ${JSON.stringify(text)}`, timeoutMs: SCREEN_MS },
    );
    const shown = this.screen.slice(this.seen, at + text.length);
    this.seen = at + text.length;
    return shown;
  }

  type(keys: string): void {
    this.proc.write(keys);
  }
}

function stateHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'glass-learn-state-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const PROMPT = 'Enter runs it, or type your own command';

describe.skipIf(!isRoot)(`glass learn ${lesson.number} in a real terminal, as a new learner takes it`, () => {
  it('shows the explanation; Enter runs the command, ✓ and the trace; a wrong command gets ✗ and the hint; Ctrl-C leaves nothing and the lesson resumes there', async () => {
    const root = testRoot();
    const xdg = stateHome();
    const [first, second] = lesson.steps;
    const t = new Terminal(root, [String(lesson.number)], xdg);
    await t.expect(`Lesson ${lesson.number}: ${lesson.title}`);
    // Step 1: its explanation and suggested command, rendered.
    await t.expect(`Step 1 of ${lesson.steps.length}: ${first.title}`);
    await t.expect(`$ ${first.run!.code.split('\n')[0]}`);
    await t.expect(PROMPT);
    // A command that does not do the step: ✗ and the hint.
    t.type('true\r');
    await t.expect('✗ Not yet: the check did not pass.');
    await t.expect('Hint:');
    await t.expect('Try again');
    // Enter runs the suggested command: ✓ and the trace of what it did.
    t.type('\r');
    await t.expect('✓ Step 1 done.');
    const hood = await t.expect('Under the hood');
    expect(hood).not.toContain('✗ Not yet');
    await t.expect('$ ');
    // Step 2: leave with Ctrl-C at its prompt.
    await t.expect(`Step 2 of ${lesson.steps.length}: ${second.title}`);
    await t.expect(second.run ? PROMPT : 'press');
    t.type('\x03');
    await t.expect('Leaving the lesson: removing its containers');
    await t.expect(`Progress saved: 'glass learn ${lesson.number}' resumes at step 2.`);
    expect(await t.exited).toBe(130);
    // Nothing of the lesson is left: no container, and progress is kept.
    expect(containerIds(root)).toEqual([]);
    const progress = JSON.parse(readFileSync(join(xdg, 'glass', 'learn.json'), 'utf8'));
    expect(progress.lessons[lesson.id]).toMatchObject({ step: 2, done: false });
    // Back again: it resumes at step 2.
    const again = new Terminal(root, [String(lesson.number)], xdg);
    await again.expect(`Resuming at step 2 of ${lesson.steps.length}`);
    await again.expect(`Step 2 of ${lesson.steps.length}: ${second.title}`);
    await again.expect(second.run ? PROMPT : 'press');
    again.type('\x03');
    expect(await again.exited).toBe(130);
    expect(containerIds(root)).toEqual([]);
  }, 4 * SCREEN_MS);

  it('--present types the command out before its output and waits for a key at each stage', async () => {
    const root = testRoot();
    const xdg = stateHome();
    const first = lesson.steps[0];
    const t = new Terminal(root, [String(lesson.number), '--present'], xdg);
    await t.expect('press a key to start');
    t.type(' ');
    await t.expect(`Step 1 of ${lesson.steps.length}: ${first.title}`);
    // Nothing is typed until a key is pressed.
    await t.expect('press a key to type the command');
    t.type(' ');
    // The command appears, typed out, and then waits: its output comes only after the next key.
    const typed = await t.expect('press a key to run it');
    const command = first.run!.code.split('\n')[0];
    expect(typed.replace(/\r?\n {2}> /g, '\n')).toContain(command);
    t.type(' ');
    const ran = await t.expect('✓ Step 1 done.');
    expect(ran).not.toContain('press a key to run it');
    await t.expect('press a key to look under the hood');
    t.type(' ');
    await t.expect('Under the hood');
    // Steps of the trace are shown with why they were needed, in the large layout.
    t.type('q');
    await t.expect('Progress saved');
    expect(await t.exited).toBe(130);
    expect(containerIds(root)).toEqual([]);
  }, 4 * SCREEN_MS);
});
