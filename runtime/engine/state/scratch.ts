import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Tracer } from '../../kernel/step.js';
import { isSameProcessAlive, processStartTime } from '../../kernel/proc.js';
import { mountPointsUnder, unmount } from '../../kernel/mounts.js';

/*
 * Scratch directories under <root>/tmp (an import being unpacked, a layer
 * being deleted, a container's files mounted for export). If the glass
 * process that made one is killed half-way, the next glass cleans it up,
 * unmounting whatever was left mounted. It must know the directory is glass's
 * and its owner is gone, without guessing from names: each scratch directory
 * <root>/tmp/<kind>-<random> has an owner record, <root>/tmp-owners/<kind>-
 * <random> ({pid, start}: a pid alone may be reused, pid + start time may
 * not), written before the directory exists. The sweep removes only
 * directories whose record names a process that is gone; anything else in
 * <root>/tmp (no record, or a live owner) is never touched.
 *
 * The record lives outside the directory because export mounts the
 * container's files on the directory itself, which would hide a record
 * inside it from the sweep; and outside <root>/tmp so that <root>/tmp holds
 * only scratch while glass works (a record outlives its directory until its
 * process makes its next scratch directory or exits).
 *
 *   1. write the record to tmp-owners/.new-<pid>-<start>-<random> (a crash here
 *      leaves only this file; its name says whose it is, and the sweep removes
 *      it once that process is gone)
 *   2. link(2) it to tmp-owners/<name> (atomic, and fails rather than replace
 *      a record that exists), remove the .new- name
 *   3. mkdir tmp/<name> (fails if something has that name: try another)
 */

const NEW = /^\.new-(\d+)-(\d*)-/;

interface OwnerRecord {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); null if unknown. */
  start: number | null;
  kind: string;
  created: string;
}

const myStart = processStartTime(process.pid) ?? null;
/** Scratch directories this process made (their records are removed at exit). */
const mine = new Set<string>();

/** Where the owner records of the scratch directories in `tmp` live. */
export const ownersOf = (tmp: string) => join(dirname(tmp), `${basename(tmp)}-owners`);
const recordOf = (dir: string) => join(ownersOf(dirname(dir)), basename(dir));

/** Make a fresh scratch directory owned by this process. */
export async function makeScratchDir(tmp: string, kind: string): Promise<string> {
  const owners = ownersOf(tmp);
  mkdirSync(tmp, { recursive: true });
  mkdirSync(owners, { recursive: true });
  forgetRemoved();
  const record: OwnerRecord = { pid: process.pid, start: myStart, kind, created: new Date().toISOString() };
  for (;;) {
    const name = `${kind}-${randomBytes(6).toString('hex')}`;
    const dir = join(tmp, name);
    const staged = join(owners, `.new-${process.pid}-${myStart ?? ''}-${randomBytes(6).toString('hex')}`);
    try {
      writeFileSync(staged, JSON.stringify(record) + '\n');
      linkSync(staged, join(owners, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    } finally {
      rmSync(staged, { force: true });
    }
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      rmSync(join(owners, name), { force: true });
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // not ours: leave it be
      throw e;
    }
    mine.add(dir);
    watchExit();
    return dir;
  }
}

/**
 * Remove scratch directories whose owning glass process is gone, unmounting
 * what it left mounted in them first. A live owner (another glass running
 * right now, or this one) is left alone, as is anything without a record.
 */
export async function sweepScratch(trace: Tracer, tmp: string): Promise<void> {
  const owners = ownersOf(tmp);
  let names: string[];
  try {
    names = readdirSync(owners);
  } catch {
    return;
  }
  for (const name of names) {
    const record = join(owners, name);
    const staged = NEW.exec(name);
    if (staged) {
      if (!isSameProcessAlive(Number(staged[1]), staged[2] ? Number(staged[2]) : undefined)) rmSync(record, { force: true });
      continue;
    }
    const owner = readRecord(record);
    if (!owner || isSameProcessAlive(owner.pid, owner.start ?? undefined)) continue;
    const dir = join(tmp, name);
    try {
      for (const target of mountPointsUnder(dir)) await unmount(trace, target, 'Unmount what a glass process that was killed left mounted.');
      rmSync(dir, { recursive: true, force: true });
      rmSync(record, { force: true }); // the record goes last: a sweep cut short is retried
    } catch {
      // Another glass may be sweeping the same directory; the next run tries again.
    }
  }
}

function readRecord(path: string): OwnerRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as OwnerRecord;
    return Number.isInteger(r.pid) && r.pid > 0 ? r : undefined;
  } catch {
    return undefined; // unreadable: not provably glass's, so never touched
  }
}

/** Drop the records of this process's scratch directories that their users have removed. */
function forgetRemoved(): void {
  for (const dir of mine) {
    if (existsSync(dir)) continue;
    rmSync(recordOf(dir), { force: true });
    mine.delete(dir);
  }
}

let watching = false;
/**
 * At exit, remove what this process's scratch directories left: the records,
 * and a directory its user did not get to remove (a command that failed half
 * way). One with something still mounted in it is left for the next sweep,
 * which unmounts before it deletes: never delete through a mount.
 */
function watchExit(): void {
  if (watching) return;
  watching = true;
  process.on('exit', () => {
    for (const dir of mine) {
      try {
        if (existsSync(dir)) {
          if (mountPointsUnder(dir).length > 0) continue;
          rmSync(dir, { recursive: true, force: true });
        }
        rmSync(recordOf(dir), { force: true });
      } catch {
        // The next glass's sweep finishes the job.
      }
    }
  });
}
