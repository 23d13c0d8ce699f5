import { posix } from 'node:path';
import type { LayerEntry, LowerView } from '../../kernel/overlay-upper.js';

/**
 * `docker diff`: what a container changed, from its upperdir, against the
 * image layers below it (pure rules; runtime/kernel/overlay-upper.ts reads
 * the trees). Docker's kinds and letters (archive.ChangeType):
 *
 *   C (0)  modified: a file replaced, or a directory something below changed in
 *   A (1)  added: not in the image
 *   D (2)  deleted: a whiteout in the upperdir, or something an opaque
 *          directory (deleted and made again) now hides
 *
 * The list comes in the order of a sorted walk: depth first, each
 * directory's names in byte order, a directory before its contents.
 */
export type ChangeKind = 0 | 1 | 2;

/** One change, as GET /containers/{id}/changes returns it. */
export interface Change {
  Path: string;
  Kind: ChangeKind;
}

export const MODIFIED: ChangeKind = 0;
export const ADDED: ChangeKind = 1;
export const DELETED: ChangeKind = 2;

/** `docker diff`'s letter for a kind. */
export function changeLetter(kind: ChangeKind): 'C' | 'A' | 'D' {
  return kind === ADDED ? 'A' : kind === DELETED ? 'D' : 'C';
}

/**
 * Mount points glass makes in a container whose image lacks them: the files
 * it bind-mounts its own /etc/hostname, /etc/hosts and /etc/resolv.conf on,
 * and the directories /proc, /sys and /dev are mounted on. They are glass's,
 * not the container's changes: Docker keeps the same in an "init" layer
 * between the image and the container's layer, so neither `diff` nor
 * `commit` ever sees them; glass leaves them out the same way.
 */
const MOUNT_POINT_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);
const MOUNT_POINT_DIRS = new Set(['/proc', '/sys', '/dev']);

export interface ChangesResult {
  changes: Change[];
  /** The upperdir entries a layer of these changes holds (commit), parents first. */
  layer: LayerEntry[];
}

/** Walk order: component by component, each compared as bytes. */
export function walkOrder(a: string, b: string): number {
  const pa = a.split('/').filter(Boolean);
  const pb = b.split('/').filter(Boolean);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = Buffer.compare(Buffer.from(pa[i]!), Buffer.from(pb[i]!));
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/** Go's sameFsTime: equal, or the same second with one side's nanoseconds zero (tar keeps whole seconds). */
function sameFsTime(a: bigint, b: bigint): boolean {
  const s = 1_000_000_000n;
  return a === b || (a / s === b / s && (a % s === 0n || b % s === 0n));
}

/** The changes of an upperdir (`upper`: readUpperDir's walk) over the image layers (`lower`). */
export function computeChanges(upper: LayerEntry[], lower: LowerView): ChangesResult {
  const byPath = new Map(upper.map((e) => [e.path, e]));
  const below = (dir: string) => upper.filter((e) => e.path.startsWith(dir + '/'));

  // 1. Glass's own mount points, and a directory made only to hold them.
  const hidden = new Set<string>();
  for (const e of upper) {
    if (MOUNT_POINT_FILES.has(e.path) && e.kind === 'file' && !lower.lookup(e.path)) hidden.add(e.path);
    if (MOUNT_POINT_DIRS.has(e.path) && e.kind === 'dir' && !lower.lookup(e.path) && below(e.path).length === 0) hidden.add(e.path);
  }
  const onlyHiddenBelow = (dir: string) => below(dir).every((e) => hidden.has(e.path));
  const holdsHidden = new Set([...hidden].map((p) => posix.dirname(p)));
  for (const dir of holdsHidden) {
    const e = byPath.get(dir);
    if (e?.kind === 'dir' && !lower.lookup(dir) && onlyHiddenBelow(dir)) hidden.add(dir);
  }

  // 2. Each entry's own kind; an unchanged directory has none.
  const kinds = new Map<string, ChangeKind>();
  const opaqueWithin = new Set<string>();
  for (const e of upper) {
    if (hidden.has(e.path)) continue;
    const parent = posix.dirname(e.path);
    // Below a directory made anew (opaque), every directory is new too: the image's copy shows through none of them.
    const replaced = e.kind === 'dir' && (e.opaque || opaqueWithin.has(parent));
    if (replaced) opaqueWithin.add(e.path);
    if (e.kind === 'whiteout') {
      kinds.set(e.path, DELETED);
      continue;
    }
    const old = lower.lookup(e.path);
    if (!old) {
      kinds.set(e.path, ADDED);
      continue;
    }
    if (e.kind === 'dir' && old.kind === 'dir' && !replaced) {
      // A directory is in the upperdir because something below it changed (overlayfs copies parents up);
      // it changed itself only if its owner, mode or (unless glass's mount points explain it) size or time did.
      const ownersAndMode = e.mode === old.mode && e.uid === old.uid && e.gid === old.gid;
      const sizeAndTime = e.size === old.size && sameFsTime(e.mtimeNs, old.mtimeNs);
      if (ownersAndMode && (sizeAndTime || holdsHidden.has(e.path))) continue;
    }
    kinds.set(e.path, MODIFIED);
  }

  // 3. What an opaque directory hides: the image's entries it no longer shows.
  for (const dir of opaqueWithin) {
    if (lower.lookup(dir)?.kind !== 'dir') continue;
    for (const name of lower.children(dir)) {
      const path = posix.join(dir, name);
      if (!byPath.has(path)) kinds.set(path, DELETED);
    }
  }

  // 4. Every directory above a change shows as changed, as Docker lists it.
  for (const path of [...kinds.keys()]) {
    for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) {
      if (kinds.has(dir)) break;
      kinds.set(dir, MODIFIED);
    }
  }

  const changes = [...kinds].map(([Path, Kind]) => ({ Path, Kind })).sort((a, b) => walkOrder(a.Path, b.Path));
  const layer = upper.filter((e) => kinds.has(e.path));
  return { changes, layer };
}
