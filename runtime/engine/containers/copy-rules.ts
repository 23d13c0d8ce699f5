import { posix } from 'node:path';

/**
 * The path rules of `docker cp`, as pure functions (Docker's pkg/archive
 * copy.go and cli/command/container/cp.go): which side is the container,
 * what a trailing "/" or "/." means, and how the archive's top entry is
 * renamed so that the copy lands where the user meant.
 *
 *   SRC is a file       DEST missing: becomes DEST; DEST/ missing: error;
 *                       DEST a file: overwritten; DEST a directory: DEST/<name>
 *   SRC is a directory  DEST missing: made, with SRC's contents; DEST a file: error;
 *                       DEST a directory: DEST/<name>, or with SRC/. its contents
 */

/** `CONTAINER:PATH` or a local path. A path with "/" first, or "." first (./a:b), is local. */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** Ends in "/." (or is "."): "the contents of this directory". */
export const specifiesCurrentDir = (path: string): boolean => posix.basename(path) === '.' || path === '.' || path.endsWith('/.');

export const hasTrailingSeparator = (path: string): boolean => path.length > 0 && path.endsWith('/');

/** A path that must be a directory: it ends in "/" or "/.". */
export const assertsDirectory = (path: string): boolean => hasTrailingSeparator(path) || specifiesCurrentDir(path);

/**
 * Docker's SplitPathDirEntry: the directory and the entry in it that a path
 * names, after cleaning; "/a/b/." gives ("/a/b", ".").
 */
export function splitPathDirEntry(path: string): { dir: string; base: string } {
  let cleaned = posix.normalize(path);
  if (cleaned.length > 1 && cleaned.endsWith('/')) cleaned = cleaned.slice(0, -1);
  if (specifiesCurrentDir(path)) cleaned = cleaned === '/' ? '/.' : `${cleaned}/.`;
  return { dir: posix.dirname(cleaned), base: posix.basename(cleaned) };
}

/** A container path made absolute ("etc/passwd" is "/etc/passwd", as Docker takes it), keeping a trailing "/" or "/.". */
export function containerAbsPath(path: string): string {
  let abs = posix.normalize(posix.join('/', path));
  if (abs.length > 1 && abs.endsWith('/')) abs = abs.slice(0, -1);
  if (specifiesCurrentDir(path)) return abs === '/' ? '/.' : `${abs}/.`;
  if (hasTrailingSeparator(path) && abs !== '/') return `${abs}/`;
  return abs;
}

/**
 * Docker's GetRebaseName: `path` resolved (through a symlink) to `resolved`;
 * keep its trailing "/" or "/.", and if the last name changed, the name the
 * archive's top entry must be renamed back to.
 */
export function getRebaseName(path: string, resolved: string): { resolved: string; rebaseName?: string } {
  let r = resolved;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(r)) r += '/.';
  if (hasTrailingSeparator(path) && !hasTrailingSeparator(r)) r += '/';
  const base = (p: string) => (specifiesCurrentDir(p) ? '.' : posix.basename(p) || '/');
  return base(path) !== base(r) ? { resolved: r, rebaseName: base(path) } : { resolved: r };
}

/** What the copy's destination is. */
export interface DestInfo {
  /** The destination path (symlinks at its end followed). */
  path: string;
  exists: boolean;
  isDir: boolean;
}

/** Where to unpack the archive, and how to rename its top entry: Docker's PrepareArchiveCopy. */
export type CopyPlan = { dir: string; rename?: { from: string; to: string } } | { error: 'cannot copy directory' | 'no such directory' };

/**
 * `srcBase`: the archive's top entry ("passwd", "etc", or "." for "/etc/.");
 * `srcIsDir`: whether it is a directory.
 */
export function prepareArchiveCopy(srcBase: string, srcIsDir: boolean, dst: DestInfo): CopyPlan {
  const { dir: dstDir, base: dstBase } = splitPathDirEntry(dst.path);
  if (dst.exists && dst.isDir) return { dir: dst.path }; // unpacked into it, as it is
  if (dst.exists && srcIsDir) return { error: 'cannot copy directory' };
  if (!dst.exists && !srcIsDir && assertsDirectory(dst.path)) return { error: 'no such directory' };
  // A file over a file, or a new name: unpack beside it, with the entry renamed to the destination's name.
  return srcBase === dstBase ? { dir: dstDir } : { dir: dstDir, rename: { from: srcBase, to: dstBase } };
}

/**
 * Go's os.FileMode of a Unix st_mode, as Docker puts it in the
 * X-Docker-Container-Path-Stat header: permission bits, then type bits high
 * up (a directory is 1<<31).
 */
export function goFileMode(stMode: number): number {
  let m = stMode & 0o777;
  const type = stMode & 0o170000;
  if (type === 0o040000) m += 2 ** 31;
  else if (type === 0o120000) m += 2 ** 27;
  else if (type === 0o060000) m += 2 ** 26;
  else if (type === 0o020000) m += 2 ** 26 + 2 ** 21;
  else if (type === 0o010000) m += 2 ** 25;
  else if (type === 0o140000) m += 2 ** 24;
  if (stMode & 0o4000) m += 2 ** 23;
  if (stMode & 0o2000) m += 2 ** 22;
  if (stMode & 0o1000) m += 2 ** 20;
  return m;
}

export const isDirMode = (stMode: number): boolean => (stMode & 0o170000) === 0o040000;
export const isSymlinkMode = (stMode: number): boolean => (stMode & 0o170000) === 0o120000;
export const isRegularMode = (stMode: number): boolean => (stMode & 0o170000) === 0o100000;

/** Go's time.Time in JSON: RFC 3339 with nanoseconds, trailing zeros dropped. */
export function rfc3339Nano(sec: number, nsec: number): string {
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  const frac = String(nsec).padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}
