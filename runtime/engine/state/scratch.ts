import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tracer } from '../../kernel/step.js';
import { isSameProcessAlive, processStartTime } from '../../kernel/proc.js';
import { mountPointsUnder, unmount } from '../../kernel/mounts.js';

/*
 * Scratch directories under <root>/tmp (an import being unpacked, a layer
 * being deleted, a container's files mounted for export). Each is named after
 * the glass process that made it — `<kind>-<pid>-<starttime>-<random>` — so
 * that if that process is killed half-way, the next glass can tell the
 * directory is orphaned and clean it up, unmounting whatever was left mounted.
 */

const NAME = /^[a-z]+-(\d+)-(\d+)-/;

/** Make a fresh scratch directory for this process. */
export async function makeScratchDir(tmp: string, kind: string): Promise<string> {
  mkdirSync(tmp, { recursive: true });
  return mkdtemp(join(tmp, `${kind}-${process.pid}-${processStartTime(process.pid) ?? 0}-`));
}

/**
 * Remove scratch directories whose owning glass process is gone. A live
 * owner (another glass running right now) is left alone.
 */
export async function sweepScratch(trace: Tracer, tmp: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return;
  }
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m || isSameProcessAlive(Number(m[1]), Number(m[2]))) continue;
    const dir = join(tmp, name);
    try {
      for (const target of mountPointsUnder(dir)) await unmount(trace, target, 'Unmount what a glass process that was killed left mounted.');
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another glass may be sweeping the same directory; the next run tries again.
    }
  }
}
