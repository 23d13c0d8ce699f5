import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerIds, glass, isRoot, REPO, testRoot } from '../helpers.js';
import { isComing, loadLessons } from '../../runtime/learn/lessons.js';
import { runLessonAuto } from '../../runtime/learn/auto.js';
import { createEngine } from '../../runtime/engine/index.js';
import type { Lesson } from '../../runtime/learn/model.js';

/**
 * Every shipped lesson, run as CI runs it. The lessons are shared out over
 * several test files (by `part`), so vitest runs them side by side: each
 * lesson runs real containers for tens of seconds.
 */
export const PARTS = 3;
/** A lesson runs many real containers: minutes on a slow VM, seconds here. */
const LESSON_MS = 600_000;

/** Lessons with a test file of their own (learn-auto-<number>.test.ts), left out of the parts. */
export const OWN_FILE: readonly number[] = [9, 10, 11, 12, 13, 14, 15, 16, 17];

export function shippedLessons(part: number | { lesson: number }): Lesson[] {
  const shipped = loadLessons(join(REPO, 'lessons')).filter((l) => !isComing(l));
  if (typeof part !== 'number') return shipped.filter((l) => l.number === part.lesson);
  return shipped.filter((l) => !OWN_FILE.includes(l.number)).filter((_, i) => i % PARTS === part);
}

/** One part of the shipped lessons, or `{ lesson: n }`: lesson n alone (its own file). */
export function lessonSuite(part: number | { lesson: number }): void {
  const shipped = shippedLessons(part);
  if (typeof part !== 'number' && shipped.length !== 1) throw new Error(`lesson ${part.lesson} is not a shipped lesson`);
  describe.skipIf(!isRoot)(`glass learn --auto, lessons ${shipped.map((l) => l.number).join(', ')}: end to end`, () => {
    it.each(shipped.map((l) => [l.id, l] as const))('%s: every check fails before its step and passes after its solve; nothing is left', async (_id, lesson) => {
      const root = testRoot();
      const xdg = stateHome();
      try {
        const r = await glass(root, ['learn', '--auto', String(lesson.number)], { timeout: LESSON_MS, env: { XDG_STATE_HOME: xdg } });
        expect(r.stderr).toBe('');
        expect(r.stdout).toContain(`Lesson ${lesson.number}: ${lesson.title}`);
        expect(r.stdout).toContain(`${lesson.steps.length} passed, 0 failed\n`);
        expect(r.exitCode).toBe(0);
        for (const step of lesson.steps) expect(r.stdout).toContain(`✓ ${step.index}. ${step.title}`);
        // The lesson removed what it made: no container is left in its root.
        expect(containerIds(root)).toEqual([]);
      } finally {
        rmSync(xdg, { recursive: true, force: true });
      }
    }, LESSON_MS);

    it.each(shipped.map((l) => [l.id, l] as const))('%s: without its solve, a step\'s check fails and the learner gets the hint', async (_id, lesson) => {
      const root = testRoot();
      const engine = createEngine({ root });
      // The last step with a check: every step before it is solved, this one is not.
      const target = [...lesson.steps].reverse().find((s) => s.check)!;
      const result = await runLessonAuto(lesson, { engine, withoutSolve: target.index });
      const last = result.steps[result.steps.length - 1];
      expect(result.steps.slice(0, -1).map((s) => s.outcome)).toEqual(result.steps.slice(0, -1).map(() => 'passed'));
      expect(last.step.index).toBe(target.index);
      expect(last.outcome).toBe('hint-shown');
      expect(last.detail).toBe(target.hint);
      expect(target.hint!.length).toBeGreaterThan(10);
      expect(result.problems).toEqual([]);
      expect(containerIds(root)).toEqual([]);
    }, LESSON_MS);
  });

}

/** Progress of these tests goes to a directory of their own, not the user's. */
function stateHome(): string {
  return mkdtempSync(join(tmpdir(), 'glass-learn-state-'));
}
