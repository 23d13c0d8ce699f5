import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LESSON_LINKS } from '../../runtime/catalog/lessons.js';
import { catalogIds, lessonLinks, readmeLessonList } from '../../runtime/learn/coverage.js';
import { isComing, loadLessons } from '../../runtime/learn/lessons.js';

const REPO = join(import.meta.dirname, '../..');
const lessons = loadLessons(join(REPO, 'lessons'));

describe('lesson coverage of the command catalog', () => {
  it('every command and flag is taught by a lesson, or belongs to one that is coming', () => {
    const missing: string[] = [];
    const coming: string[] = [];
    for (const id of catalogIds()) {
      const by = lessons.filter((l) => l.teaches.includes(id));
      if (!by.length) missing.push(id);
      else if (by.every(isComing)) coming.push(`${id} (${by.map((l) => l.id).join(', ')})`);
    }
    const comingLessons = lessons.filter(isComing).map((l) => `${l.id} [needs ${l.needs.join(', ')}]`);
    console.log(`lessons coming: ${comingLessons.join('; ') || 'none'}`);
    console.log(`catalog entries whose lessons are coming: ${coming.join(', ') || 'none'}`);
    if (missing.length) console.log(`catalog entries no lesson teaches: ${missing.join(', ')}`);
    expect(missing, "catalog entries that no lesson teaches (add them to a lesson's teaches:)").toEqual([]);
  });

  it("the catalog's lesson links (runtime/catalog/lessons.ts) are the lessons' own: run npm run lesson-links if not", () => {
    expect(LESSON_LINKS).toEqual(lessonLinks(lessons, catalogIds()));
  });
});

describe('the README', () => {
  it('lists every lesson, as the lessons say (npm run lesson-links rewrites it)', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const m = /<!-- lessons:start -->\n([\s\S]*?)\n?<!-- lessons:end -->/.exec(readme);
    expect(m, 'README.md has <!-- lessons:start --> and <!-- lessons:end --> markers').not.toBeNull();
    expect(m![1].trim()).toBe(readmeLessonList(lessons));
  });
});
