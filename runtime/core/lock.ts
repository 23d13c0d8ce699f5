import { mkdirSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A lock between glass processes sharing one state root. mkdir(2) either
 * creates a directory or fails because it exists, atomically, so whichever
 * process creates the lock directory holds the lock; the rest wait. A process
 * killed while holding it leaves the directory behind: a lock older than
 * STALE_MS is taken to be such a leftover and broken. Critical sections are
 * kept to a few renames and JSON writes, far below that age.
 */
const STALE_MS = 10_000;
const RETRY_MS = 20;

export async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let age = 0;
    try {
      age = Date.now() - statSync(lockDir).mtimeMs;
    } catch { /* released meanwhile */ }
    if (age > STALE_MS) rmSync(lockDir, { recursive: true, force: true });
    else await sleep(RETRY_MS + Math.random() * RETRY_MS);
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
