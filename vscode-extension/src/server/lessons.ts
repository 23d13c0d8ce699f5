/**
 * The lessons the hovers link to, read with glass's own lesson parser
 * (runtime/learn) from the lessons folder the client names. A folder that is
 * missing or holds a malformed lesson gives links without titles, never an
 * error: a hover must always work.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadLessons } from '../../../runtime/learn/lessons.js';
import type { Lesson } from '../../../runtime/learn/model.js';

export interface LessonRef {
  title: string;
  uri: string;
}

export class Lessons {
  private cache?: { mtime: number; lessons: Lesson[] };
  constructor(private dir: string | undefined) {}

  setDir(dir: string | undefined): void {
    this.dir = dir;
    this.cache = undefined;
  }

  private all(): Lesson[] {
    if (!this.dir) return [];
    try {
      const mtime = statSync(this.dir).mtimeMs;
      if (this.cache?.mtime !== mtime) this.cache = { mtime, lessons: loadLessons(this.dir) };
      return this.cache.lessons;
    } catch {
      return [];
    }
  }

  find(id: string): LessonRef | undefined {
    const l = this.all().find((x) => x.id === id);
    return l && this.dir ? { title: l.title, uri: pathToFileURL(join(this.dir, `${l.id}.md`)).href } : undefined;
  }
}
