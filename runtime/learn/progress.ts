/**
 * Progress through the lessons, remembered per learner: a small JSON file in
 * the learner's XDG state directory ($XDG_STATE_HOME/glass, by default
 * ~/.local/state/glass). glass runs as root (sudo), so under sudo the
 * directory is the invoking user's (SUDO_USER), and what glass writes there
 * is given back to them: their progress is theirs, not root's.
 */
import { chownSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface LessonProgress {
  /** The step to do next (1-based); steps before it are done. */
  step: number;
  done: boolean;
  updated: string;
}

export interface Progress {
  version: 1;
  lessons: Record<string, LessonProgress>;
}

interface Owner {
  home: string;
  uid?: number;
  gid?: number;
}

/** Whose progress this is: the sudo caller when there is one, else this user. */
function owner(env: NodeJS.ProcessEnv): Owner {
  const sudoUser = env.SUDO_USER;
  if (process.getuid?.() === 0 && sudoUser && sudoUser !== 'root') {
    try {
      const entry = readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .map((l) => l.split(':'))
        .find((f) => f[0] === sudoUser);
      if (entry && entry[5]) return { home: entry[5], uid: Number(entry[2]), gid: Number(entry[3]) };
    } catch {
      // No passwd to read: fall back to this process's own home.
    }
  }
  return { home: env.HOME || '/root' };
}

/** The progress file: $XDG_STATE_HOME/glass/learn.json, else <home>/.local/state/glass/learn.json. */
export function progressFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(owner(env).home, '.local', 'state');
  return join(base, 'glass', 'learn.json');
}

export class ProgressStore {
  constructor(
    readonly file: string = progressFile(),
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The saved progress; an unreadable or corrupt file counts as none (and is kept aside as .corrupt). */
  read(): Progress {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return { version: 1, lessons: {} };
    }
    try {
      const data = JSON.parse(text) as Progress;
      if (data && typeof data === 'object' && data.lessons && typeof data.lessons === 'object') return { version: 1, lessons: data.lessons };
    } catch {
      // fall through
    }
    try {
      renameSync(this.file, this.file + '.corrupt');
    } catch {
      // Nothing to keep aside.
    }
    return { version: 1, lessons: {} };
  }

  get(id: string): LessonProgress | undefined {
    return this.read().lessons[id];
  }

  /** Record where a lesson stands (written atomically: a crash leaves the old file or the new one). */
  set(id: string, step: number, done: boolean): void {
    const progress = this.read();
    progress.lessons[id] = { step, done, updated: new Date().toISOString() };
    this.write(progress);
  }

  reset(id: string): void {
    const progress = this.read();
    delete progress.lessons[id];
    this.write(progress);
  }

  private write(progress: Progress): void {
    const dir = dirname(this.file);
    const who = owner(this.env);
    const made = mkdirSync(dir, { recursive: true, mode: 0o755 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(progress, null, 2) + '\n', { mode: 0o644 });
    if (who.uid !== undefined && who.gid !== undefined) {
      // Give what we made back to the sudo caller: from the first directory we created down to the file.
      if (made) {
        for (let d = dir; d.length >= made.length; d = dirname(d)) chownSync(d, who.uid, who.gid);
      }
      chownSync(tmp, who.uid, who.gid);
    }
    renameSync(tmp, this.file);
  }
}
