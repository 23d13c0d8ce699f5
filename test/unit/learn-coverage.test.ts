import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { COMMANDS, GLOBAL_FLAGS } from '../../runtime/catalog/commands.js';
import { isComing, loadLessons } from '../../runtime/learn/lessons.js';

const lessons = loadLessons(join(import.meta.dirname, '../../lessons'));

/** Every catalog id (command, command.flag, global.flag) and the catalog's own lesson link for it. */
function catalogItems(): { id: string; link?: string }[] {
  const items: { id: string; link?: string }[] = [];
  for (const c of COMMANDS) {
    items.push({ id: c.name, link: c.lesson });
    for (const f of c.flags) items.push({ id: `${c.name}.${f.name}`, link: f.lesson });
  }
  for (const f of GLOBAL_FLAGS) items.push({ id: `global.${f.name}`, link: f.lesson });
  return items;
}

describe('lesson coverage of the command catalog', () => {
  it('every command and flag is taught by a lesson, or belongs to one that is coming', () => {
    const teaching = (id: string) => lessons.filter((l) => l.teaches.includes(id));
    const missing: string[] = [];
    const coming: string[] = [];
    for (const { id } of catalogItems()) {
      const by = teaching(id);
      if (!by.length) missing.push(id);
      else if (by.every(isComing)) coming.push(`${id} (${by.map((l) => l.id).join(', ')})`);
    }
    const comingLessons = lessons.filter(isComing).map((l) => `${l.id} [needs ${l.needs.join(', ')}]`);
    console.log(`lessons coming: ${comingLessons.join('; ') || 'none'}`);
    console.log(`catalog entries whose lessons are coming: ${coming.join(', ') || 'none'}`);
    if (missing.length) console.log(`catalog entries no lesson teaches: ${missing.join(', ')}`);
    expect(missing, 'catalog entries that no lesson teaches (add them to a lesson\'s teaches:)').toEqual([]);
  });

  it("the catalog's lesson link of each command and flag names a lesson that teaches it", () => {
    const wrong: string[] = [];
    for (const { id, link } of catalogItems()) {
      const lesson = lessons.find((l) => l.id === link);
      if (!link) wrong.push(`${id}: no lesson link`);
      else if (!lesson) wrong.push(`${id}: links to '${link}', which is not a lesson`);
      else if (!lesson.teaches.includes(id)) wrong.push(`${id}: links to ${link}, whose teaches: does not list it`);
    }
    expect(wrong).toEqual([]);
  });
});
