/**
 * How the lessons cover the command catalog: every command and flag should
 * be taught by a lesson (or by one that is coming), and the catalog links
 * each to the lesson that first teaches it.
 */
import { COMMANDS, GLOBAL_FLAGS } from '../catalog/commands.js';
import { FEATURES } from '../catalog/features.js';
import type { Lesson } from './model.js';
import { isComing } from './lessons.js';

/** Every catalog id: commands, command.flag, global.flag. */
export function catalogIds(): string[] {
  const ids: string[] = [];
  for (const c of COMMANDS) {
    ids.push(c.name);
    for (const f of c.flags) ids.push(`${c.name}.${f.name}`);
  }
  for (const f of GLOBAL_FLAGS) ids.push(`global.${f.name}`);
  return ids;
}

/** For each id some lesson teaches: the first such lesson that can be taken today, else the first coming one. */
export function lessonLinks(lessons: Lesson[], ids: string[]): Record<string, string> {
  const links: Record<string, string> = {};
  const ordered = [...lessons.filter((l) => !isComing(l)), ...lessons.filter(isComing)];
  for (const id of ids) {
    const by = ordered.find((l) => l.teaches.includes(id));
    if (by) links[id] = by.id;
  }
  return links;
}

/** The README's table of lessons. */
export function readmeLessonList(lessons: Lesson[]): string {
  const rows = lessons.map((l) => {
    const title = `[${l.title}](lessons/${l.id}.md)`;
    if (!isComing(l)) return `| ${l.number} | ${title} | ${l.minutes} min, ${l.steps.length} steps |`;
    return `| ${l.number} | ${title} | coming: needs ${l.needs.filter((f) => !FEATURES[f]?.landed).join(', ')} |`;
  });
  return ['| # | lesson | |', '|---|---|---|', ...rows].join('\n');
}
