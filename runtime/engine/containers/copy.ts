import { posix } from 'node:path';
import type { Writable } from 'node:stream';
import { detectCompression, peekStream } from '../../kernel/archive.js';
import {
  hostLstat,
  hostReadlink,
  hostRealpath,
  hostStat,
  packHost,
  statInRoot,
  tarIntoRoot,
  tarOutOfRoot,
  unpackHost,
  type ContainerRoot,
  type InRootTools,
  type RootStat,
} from '../../kernel/inroot.js';
import type { Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import {
  containerAbsPath,
  getRebaseName,
  goFileMode,
  hasTrailingSeparator,
  isDirMode,
  isRegularMode,
  isSymlinkMode,
  prepareArchiveCopy,
  rfc3339Nano,
  specifiesCurrentDir,
  splitPathDirEntry,
  type DestInfo,
} from './copy-rules.js';

/**
 * `docker cp` in the engine: the archive endpoints of Docker's Engine API
 * (GET and PUT /containers/{id}/archive, HEAD for the stat) and the copy
 * between a container and the host on top of them, as Docker's CLI does it.
 * Every container path is resolved inside the container's root (see
 * kernel/inroot.ts: the container's side runs chrooted).
 */

/** Docker's X-Docker-Container-Path-Stat (types.ContainerPathStat). */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** Go's os.FileMode: permission bits, type bits high up (a directory has 1<<31). */
  mode: number;
  /** RFC 3339 with nanoseconds. */
  mtime: string;
  /** For a symlink: its target, resolved inside the container ("/etc"). */
  linkTarget: string;
}

export interface CopyOptions {
  /** -a: keep the owners (uid/gid) of the source; otherwise root's in the container, the caller's on the host. */
  archive?: boolean;
  /** -L: if the source is a symlink, copy what it points to. */
  followLink?: boolean;
}

/** What the copy needs to know about the container. */
export interface CopyTarget {
  trace: Tracer;
  tools: InRootTools;
  root: ContainerRoot;
  /** The container as the user named it: errors say "in container web". */
  ref: string;
  /** --read-only: its root filesystem takes no writes. */
  readOnly: boolean;
  /**
   * For a stopped container: the volume or bind mount a path is under (its
   * files are not in the overlay), as the root to copy in and the path in it.
   * A running container sees its mounts through /proc/<pid>/root already.
   */
  mountAt?: (abs: string) => { root: ContainerRoot; path: string } | undefined;
  /** The container's volume or bind mount a path is under (running or not), for Docker's read-only checks. */
  mountOf?: (abs: string) => { readOnly: boolean } | undefined;
}

/** Where `abs` is: in a stopped container's mount, or in the container's root. */
function where(t: CopyTarget, abs: string): { root: ContainerRoot; path: string; inMount: boolean } {
  const m = t.mountAt?.(abs);
  return m ? { ...m, inMount: true } : { root: t.root, path: abs, inMount: false };
}

/**
 * An error Docker's daemon would answer (the CLI prints it after "Error
 * response from daemon:"); the others are the client's own checks.
 */
export class DaemonError extends GlassError {
  readonly fromDaemon = true;
  constructor(message: string) {
    super('INVALID_ARGUMENT', message, 1);
  }
}

/** Docker's 404: its CLI says "No such container:path: web:PATH" with this `path`. */
const notFound = (t: CopyTarget, path: string) => Object.assign(new GlassError('NO_SUCH_PATH', `Could not find the file ${path} in container ${t.ref}`, 1), { path });

function toPathStat(abs: string, st: RootStat): ContainerPathStat {
  // Go's filepath.Base: trailing slashes dropped, "/" stays "/".
  const trimmed = abs.replace(/\/+$/, '');
  return {
    name: trimmed === '' ? '/' : posix.basename(trimmed),
    size: st.size,
    mode: goFileMode(st.mode),
    mtime: rfc3339Nano(st.mtimeSec, st.mtimeNsec),
    linkTarget: st.linkTarget,
  };
}

/** HEAD /containers/{id}/archive: what `path` is in the container (NO_SUCH_PATH if nothing). */
export async function statPath(t: CopyTarget, path: string): Promise<{ abs: string; raw: RootStat; stat: ContainerPathStat }> {
  const abs = containerAbsPath(path);
  const w = where(t, abs);
  const raw = await statInRoot(t.trace, t.tools, w.root, w.path);
  if (!raw) throw notFound(t, path);
  return { abs, raw, stat: toPathStat(abs, raw) };
}

/**
 * Where the archive of `abs` comes from (Docker's ResolvePath): the
 * directory part resolved inside the root, the last name as it is (a
 * symlink stays a symlink), unless the path ends in "/" (then it is
 * followed too). `top` is the name the daemon gives the archive's top entry.
 */
function archiveSource(abs: string, raw: RootStat): { dir: string; member: string; top: string } {
  const base = abs.slice(abs.lastIndexOf('/') + 1);
  if (abs === '/' || abs === '/.') return { dir: '/', member: '.', top: '.' };
  if (base === '.') return { dir: raw.resolvedDir, member: '.', top: '.' };
  const top = posix.basename(abs.replace(/\/+$/, ''));
  if (base !== '') return { dir: raw.resolvedDir, member: base, top };
  // "/x/": x itself resolved (a symlink followed).
  if (raw.resolvedDir === '/') return { dir: '/', member: '.', top };
  return { dir: posix.dirname(raw.resolvedDir), member: posix.basename(raw.resolvedDir), top };
}

/**
 * GET /containers/{id}/archive: `path` as a tar stream written to `out`.
 * The top entry is named as the path's last element ("/etc/." gives "./...").
 */
export async function archivePath(
  t: CopyTarget,
  path: string,
  out: Writable,
  onStat?: (stat: ContainerPathStat) => void,
): Promise<ContainerPathStat> {
  const { abs, raw, stat } = await statPath(t, path);
  onStat?.(stat);
  const w = where(t, abs);
  let src = archiveSource(w.path, raw);
  // "/x/" with x a symlink: the stream's entries must start with "x", not with
  // where it points; packing "x/." through the symlink names them "x/./...".
  if (src.member !== src.top && src.top !== '.') src = { dir: posix.dirname(w.path.replace(/\/+$/, '')) || '/', member: `${src.top}/.`, top: src.top };
  const tar = tarOutOfRoot(t.trace, t.tools, w.root, src.dir, src.member);
  await Promise.all([pipeTo(tar.stream, out), tar.done]);
  return stat;
}

/** Resolve the destination's last element if it is a symlink (in the root), and say what it is. */
async function containerDest(t: CopyTarget, dstPath: string): Promise<{ info: DestInfo; raw?: RootStat }> {
  const abs = containerAbsPath(dstPath);
  const w = where(t, abs);
  let raw = await statInRoot(t.trace, t.tools, w.root, w.path);
  let path = abs;
  if (raw && isSymlinkMode(raw.mode) && !w.inMount) {
    path = raw.linkTarget + (hasTrailingSeparator(abs) ? '/' : '');
    raw = await statInRoot(t.trace, t.tools, t.root, raw.linkTarget);
  }
  return { info: { path, exists: !!raw, isDir: !!raw && isDirMode(raw.mode) }, raw };
}

/**
 * PUT /containers/{id}/archive: unpack a tar stream into the directory
 * `dir` of the container (symlinks followed inside the root, the last one
 * too, as Docker's extractToDir does).
 */
export async function extractToDir(t: CopyTarget, dir: string, input: NodeJS.ReadableStream, opts: { copyUIDGID?: boolean } = {}): Promise<void> {
  const abs = containerAbsPath(dir);
  const w = where(t, abs);
  let raw = await statInRoot(t.trace, t.tools, w.root, w.path);
  if (raw && isSymlinkMode(raw.mode)) raw = await statInRoot(t.trace, t.tools, w.root, raw.linkTarget);
  if (!raw) throw notFound(t, dir);
  if (!isDirMode(raw.mode)) throw new DaemonError('extraction point is not a directory');
  // Docker's checks: a read-only mount refuses; a --read-only rootfs refuses unless the path is in a mount.
  const mount = t.mountOf?.(abs);
  if (mount?.readOnly) throw new DaemonError('mounted volume is marked read-only');
  if (t.readOnly && !mount) throw new DaemonError('container rootfs is marked read-only');
  const peeked = await peekStream(input, 6);
  const compression = detectCompression(peeked.head);
  if (compression === 'zstd') throw new DaemonError('the archive is compressed with zstd; glass reads plain, gzip, bzip2 or xz tar archives');
  await tarIntoRoot(t.trace, t.tools, w.root, peeked.stream, w.path, { keepOwners: !!opts.copyUIDGID, compression: compression ?? undefined });
}

/** `glass cp CONTAINER:SRC DEST` (DEST a host path, absolute, its trailing "/" or "/." kept). */
export async function copyFromContainer(t: CopyTarget, srcPath: string, hostDest: string, opts: CopyOptions = {}): Promise<void> {
  await validateOutputPath(hostDest);
  let abs = containerAbsPath(srcPath);
  let rebaseName: string | undefined;
  let w = where(t, abs);
  if (opts.followLink) {
    const raw = await statInRoot(t.trace, t.tools, w.root, w.path);
    if (raw && isSymlinkMode(raw.mode) && !w.inMount) {
      ({ resolved: abs, rebaseName } = getRebaseName(abs, raw.linkTarget));
      w = where(t, abs);
    }
  }
  const raw = await statInRoot(t.trace, t.tools, w.root, w.path);
  if (!raw) throw notFound(t, srcPath);
  const src = archiveSource(w.path, raw);
  const srcBase = rebaseName ?? src.top;
  const dst = await hostDestination(hostDest);
  const plan = prepareArchiveCopy(srcBase, isDirMode(raw.mode), dst);
  if ('error' in plan) throw new GlassError('INVALID_ARGUMENT', plan.error, 1);
  const finalName = plan.rename?.to ?? srcBase;
  const tar = tarOutOfRoot(t.trace, t.tools, w.root, src.dir, src.member);
  const unpack = unpackHost(t.trace, tar.stream, plan.dir, {
    keepOwners: !!opts.archive,
    rename: finalName !== src.member ? { from: src.member, to: finalName } : undefined,
  });
  await firstFailure([unpack, tar.done]);
}

/** `glass cp SRC CONTAINER:DEST` (SRC a host path, absolute, its trailing "/" or "/." kept). */
export async function copyToContainer(t: CopyTarget, hostSrc: string, dstPath: string, opts: CopyOptions = {}): Promise<void> {
  const { info: dst, raw } = await containerDest(t, dstPath);
  if (raw && !isDirMode(raw.mode) && !isRegularMode(raw.mode) && ((raw.mode & 0o170000) === 0o020000 || (raw.mode & 0o170000) === 0o060000)) {
    throw new GlassError('INVALID_ARGUMENT', `destination "${t.ref}:${dstPath}" must be a directory or a regular file: got a device`, 1);
  }
  const src = await hostSource(hostSrc, !!opts.followLink);
  const { dir: srcDir, base: srcBase } = splitPathDirEntry(src.path);
  const name = src.rebaseName ?? srcBase;
  const plan = prepareArchiveCopy(name, src.isDir, dst);
  if ('error' in plan) throw new GlassError('INVALID_ARGUMENT', plan.error, 1);
  const finalName = plan.rename?.to ?? name;
  const tar = packHost(t.trace, srcDir, srcBase, finalName !== srcBase ? finalName : undefined);
  const extracted = extractToDir(t, plan.dir, tar.stream, { copyUIDGID: opts.archive });
  await firstFailure([extracted, tar.done]);
}

/** `glass cp - CONTAINER:DEST`: DEST must be a directory. */
export async function extractStream(t: CopyTarget, input: NodeJS.ReadableStream, dstPath: string, opts: CopyOptions = {}): Promise<void> {
  const { info } = await containerDest(t, dstPath);
  if (!info.isDir) throw new GlassError('INVALID_ARGUMENT', `destination "${t.ref}:${dstPath}" must be a directory`, 1);
  await extractToDir(t, info.path, input, { copyUIDGID: opts.archive });
}

// ---- the host's side, as Docker's CLI checks it --------------------------------------

/** Docker's ValidateOutputPath: the destination's directory exists; the destination, if it exists, is a directory or a file. */
async function validateOutputPath(path: string): Promise<void> {
  const dir = posix.dirname(posix.normalize(path).replace(/(.)\/+$/, '$1'));
  if (dir !== '.' && !(await hostStat(dir))) throw new GlassError('INVALID_ARGUMENT', `invalid output path: directory "${dir}" does not exist`, 1);
  const st = await hostStat(path);
  if (st && !st.isDir && !st.isFile) throw new GlassError('INVALID_ARGUMENT', `invalid output path: "${path}" must be a directory or a regular file`, 1);
}

/** Docker's CopyInfoDestinationPath: a symlink at the end is followed (10 at most); if missing, its parent must be a directory. */
async function hostDestination(path: string): Promise<DestInfo> {
  let p = path;
  for (let n = 0; ; n++) {
    const st = await hostLstat(p);
    if (st && !st.isSymlink) return { path: p, exists: true, isDir: st.isDir };
    if (!st) break;
    if (n >= 10) throw new GlassError('INVALID_ARGUMENT', `too many symlinks in ${path}`, 1);
    const target = await hostReadlink(p);
    p = target.startsWith('/') ? target : posix.join(splitPathDirEntry(p).dir, target);
  }
  const parent = splitPathDirEntry(p).dir;
  const st = await hostStat(parent);
  if (!st) throw new GlassError('INVALID_ARGUMENT', `stat ${parent}: no such file or directory`, 1);
  if (!st.isDir) throw new GlassError('INVALID_ARGUMENT', 'not a directory', 1);
  return { path: p, exists: false, isDir: false };
}

/** Docker's CopyInfoSourcePath: the directory part's symlinks resolved (all of them with -L). */
async function hostSource(path: string, followLink: boolean): Promise<{ path: string; isDir: boolean; rebaseName?: string }> {
  let resolved: string;
  let rebaseName: string | undefined;
  const missing = (p: string) => new GlassError('INVALID_ARGUMENT', `lstat ${p}: no such file or directory`, 1);
  if (followLink) {
    const real = await hostRealpath(path).catch(() => undefined);
    if (!real) throw missing(path.replace(/\/\.?$/, '') || '/');
    ({ resolved, rebaseName } = getRebaseName(path, real));
  } else {
    const slash = path.lastIndexOf('/');
    const dirPart = path.slice(0, slash + 1) || '.';
    const base = path.slice(slash + 1);
    const realDir = await hostRealpath(dirPart).catch(() => undefined);
    if (!realDir) throw missing(dirPart.replace(/\/$/, '') || '/');
    resolved = realDir === '/' ? `/${base}` : `${realDir}/${base}`;
    const baseOf = (p: string) => (specifiesCurrentDir(p) ? '.' : posix.basename(p));
    if (hasTrailingSeparator(path) && baseOf(path) !== baseOf(resolved)) rebaseName = baseOf(path);
  }
  const st = await hostLstat(resolved);
  if (!st) throw missing(resolved.replace(/\/\.?$/, '') || '/');
  return { path: resolved, isDir: st.isDir, rebaseName };
}

// ---- plumbing -----------------------------------------------------------------------

/** Wait for all; throw the first failure (a tar that stopped because the other failed says less). */
async function firstFailure(all: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(all);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Copy a stream to a writable without ending it (stdout stays open). */
async function pipeTo(stream: NodeJS.ReadableStream, out: Writable): Promise<void> {
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (!out.write(chunk)) {
      // Each wait removes its listeners again: a long copy into a slow reader waits many times.
      await new Promise<void>((resolve, reject) => {
        const done = (e?: Error) => {
          out.off('drain', done);
          out.off('error', done);
          if (e) reject(e);
          else resolve();
        };
        out.on('drain', done);
        out.on('error', done);
      });
    }
  }
}
