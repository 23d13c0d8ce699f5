/**
 * The shipped lessons: finding them, reading them, and which of them a
 * learner can take today (the others are "coming": they need a runtime
 * feature that has not landed yet).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEATURES } from '../catalog/features.js';
import { GlassError } from '../engine/index.js';
import { LessonFormatError, type Lesson } from './model.js';
import { LESSON_FILE, parseLesson } from './parse.js';

/**
 * The glass checkout this code runs from (it holds bin/glass, lessons/ and
 * runtime/learn/prelude.sh), found by walking up from this module: from
 * runtime/learn/ in the sources, from dist/ in the bundled CLI.
 */
export function projectRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, 'bin', 'glass')) && existsSync(join(dir, 'runtime', 'learn', 'prelude.sh'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the glass checkout (bin/glass, lessons/) above ${fileURLToPath(from)}`);
    dir = up;
  }
}

export function defaultLessonsDir(): string {
  return join(projectRoot(), 'lessons');
}

/**
 * Read and parse every NN-slug.md in `dir`, in order (with `only`, just the
 * lesson it names: its number or id). Throws LessonFormatError on the first
 * malformed one.
 */
export function loadLessons(dir: string = defaultLessonsDir(), only?: string): Lesson[] {
  const abs = resolve(dir);
  let names: string[];
  try {
    if (!statSync(abs).isDirectory()) throw new Error('not a directory');
    names = readdirSync(abs);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    throw new GlassError('INVALID_ARGUMENT', `cannot read the lessons folder ${abs}: ${why} (--lessons takes a folder of NN-slug.md lesson files)`);
  }
  const lessons = names
    .filter((n) => LESSON_FILE.test(n))
    .filter((n) => only === undefined || (/^\d+$/.test(only) ? Number(n.slice(0, 2)) === Number(only) : n === `${only}.md`))
    .sort()
    .map((n) => {
      const file = join(abs, n);
      if (!statSync(file).isFile()) throw new LessonFormatError(file, 1, 'a lesson is a regular file');
      return parseLesson(readFileSync(file, 'utf8'), file);
    });
  const seen = new Map<number, string>();
  for (const l of lessons) {
    const other = seen.get(l.number);
    if (other) throw new LessonFormatError(l.file, 1, `lesson number ${l.number} is taken twice: ${other}.md and ${l.id}.md`);
    seen.set(l.number, l.id);
  }
  return lessons;
}

/** The features a lesson needs that glass does not have yet (empty: it can be taken). */
export function missingFeatures(lesson: Lesson, features: typeof FEATURES = FEATURES): string[] {
  return lesson.needs.filter((f) => !features[f]?.landed);
}

/** A lesson whose runtime features have not all landed. */
export function isComing(lesson: Lesson): boolean {
  return missingFeatures(lesson).length > 0;
}

/** Find a lesson by number ("1", "01") or id ("01-first-container"); undefined when none. */
export function findLesson(lessons: Lesson[], ref: string): Lesson | undefined {
  if (/^\d+$/.test(ref)) return lessons.find((l) => l.number === Number(ref));
  return lessons.find((l) => l.id === ref);
}
