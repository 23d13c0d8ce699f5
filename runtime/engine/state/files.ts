import { writeFileSync, renameSync, readFileSync, lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/*
 * These helpers handle small metadata files (a few hundred bytes). They keep
 * async signatures but do synchronous I/O: for tiny files a thread-pool round
 * trip per call costs more than the I/O itself, and `glass run` does dozens.
 */

/**
 * Atomic write: write a sibling temp file, then rename over the target.
 * rename(2) within one filesystem is atomic, so a reader sees the old file or
 * the new one, never half of either, even if glass is killed mid-write.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** readJson that returns undefined when the file does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return await readJson<T>(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
