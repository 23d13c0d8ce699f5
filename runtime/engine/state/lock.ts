import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isSameProcessAlive, processStartTime } from '../../kernel/proc.js';

/**
 * A lock between glass processes sharing one state root. mkdir(2) either
 * creates a directory or fails because it exists, atomically, so whichever
 * process creates the lock directory holds the lock; the rest wait. The holder
 * writes its pid and start time into it: a process killed while holding the
 * lock is seen to be gone, and its lock broken, at once. A lock with no owner
 * file yet is taken to be a leftover only once it is older than STALE_MS;
 * critical sections are a few renames and JSON writes, far below that age.
 */
const STALE_MS = 10_000;
const RETRY_MS = 20;
const OWNER = 'owner';
const me = `${process.pid} ${processStartTime(process.pid) ?? ''}`;

export async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lockDir);
      try {
        writeFileSync(join(lockDir, OWNER), me);
      } catch (e) {
        rmSync(lockDir, { recursive: true, force: true });
        throw e;
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (abandoned(lockDir)) rmSync(lockDir, { recursive: true, force: true });
    else await sleep(RETRY_MS + Math.random() * RETRY_MS);
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Was the lock left by a process that is gone (or so old it must have been)? */
function abandoned(lockDir: string): boolean {
  try {
    const [pid, start] = readFileSync(join(lockDir, OWNER), 'utf8').split(' ');
    return !isSameProcessAlive(Number(pid), start ? Number(start) : undefined);
  } catch {
    // No owner file (yet): fall back on the lock's age.
  }
  try {
    return Date.now() - statSync(lockDir).mtimeMs > STALE_MS;
  } catch {
    return false; // released meanwhile
  }
}
