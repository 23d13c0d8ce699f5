import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { shellJoin } from './archive.js';
import { KernelError } from './errors.js';
import { report, type Tracer } from './step.js';

/**
 * Copying files in and out of a container (`glass cp`), with every path
 * resolved inside the container's root.
 *
 * The container's side runs in a chroot (native/inroot.c): the kernel then
 * resolves "/", ".." and every symlink of the container against its own
 * root, so `/x -> /etc` in an image is the container's /etc, never the
 * host's, and a process in the container cannot race glass into a host file.
 * There the host's static busybox packs or unpacks a tar stream; on the
 * host's side GNU tar unpacks or packs it. The stream between them is the
 * only thing that crosses.
 *
 *   running container   chroot /proc/<init pid>/root: the container's own
 *                       view, its overlay and volumes, through its mount namespace
 *   stopped container   the overlay mounted again in a private mount namespace
 *                       of the helper only, gone when it exits (even if killed)
 */

export type ContainerRoot =
  | { kind: 'running'; pid: number; startTime?: number }
  | { kind: 'stopped'; merged: string; lowersTopFirst: string[]; upper: string; work: string }
  /** A stopped container's volume or bind mount: the host directory it mounts. */
  | { kind: 'dir'; dir: string };

/** The programs that do it: glass-shim (its `inroot` mode) and the host's static busybox. */
export interface InRootTools {
  shim: string;
  busybox: string;
}

/** What lstat(2) says about a path in the container. */
export interface RootStat {
  /** st_mode: type and permission bits. */
  mode: number;
  size: number;
  mtimeSec: number;
  mtimeNsec: number;
  /** For a symlink: where it leads, resolved inside the root ("/etc"); else "". */
  linkTarget: string;
  /** The path's directory part (up to its last "/") with every symlink resolved inside the root. */
  resolvedDir: string;
}

function rootArgv(tools: InRootTools, root: ContainerRoot): string[] {
  if (root.kind === 'running') return ['inroot', 'pid', String(root.pid), String(root.startTime ?? ''), tools.busybox];
  if (root.kind === 'dir') return ['inroot', 'dir', root.dir, tools.busybox];
  return ['inroot', 'overlay', root.merged, root.lowersTopFirst.join(':'), root.upper, root.work, tools.busybox];
}

/** The shell command a learner could type for `cmd` run in the container's root. */
export function shownInRoot(root: ContainerRoot, cmd: string[]): string {
  if (root.kind === 'running') return `chroot /proc/${root.pid}/root ${shellJoin(cmd)}`;
  if (root.kind === 'dir') return `chroot ${root.dir} ${shellJoin(cmd)}`;
  const mount = `mount -t overlay overlay -o nodev,lowerdir=${root.lowersTopFirst.join(':')},upperdir=${root.upper},workdir=${root.work} ${root.merged}`;
  return `unshare --mount --propagation private sh -c ${shellJoin([`${mount} && chroot ${root.merged} ${shellJoin(cmd)}`])}`;
}

const WHERE = (root: ContainerRoot) =>
  root.kind === 'running'
    ? "inside the running container's root, /proc/<pid>/root (its own mount namespace: overlay and volumes as it sees them), chrooted so that every symlink resolves inside it"
    : root.kind === 'dir'
      ? "in the host directory the stopped container mounts there (a volume or bind mount), chrooted so that every symlink resolves inside it"
      : "in the stopped container's overlay, mounted again in a private mount namespace that ends with the copy (nothing stays mounted on the host), chrooted so that every symlink resolves inside it";

/** lstat(2) a path inside the root. undefined when it does not exist (ENOENT, or ENOTDIR: a file used as a directory). */
export async function statInRoot(trace: Tracer, tools: InRootTools, root: ContainerRoot, path: string): Promise<RootStat | undefined> {
  const run = await collect(spawn(tools.shim, [...rootArgv(tools, root), 'stat', path], { stdio: ['ignore', 'pipe', 'pipe'] }));
  report(trace, {
    title: `Look up ${path} in the container`,
    why: `cp needs to know what ${path} is (file, directory, symlink) before copying; it is looked up ${WHERE(root)}.`,
    command: shownInRoot(root, ['stat', path]),
  });
  if (run.code === 3) return undefined;
  if (run.code !== 0) throw new KernelError('KERNEL', `could not look up ${path} in the container: ${firstLine(run.stderr)}`);
  const [mode, size, sec, nsec, linkTarget, resolvedDir] = run.stdout.toString('utf8').split('\0');
  return { mode: Number(mode), size: Number(size), mtimeSec: Number(sec), mtimeNsec: Number(nsec), linkTarget: linkTarget ?? '', resolvedDir: resolvedDir || '/' };
}

/** A tar process streaming out: its output, and its end (rejects with tar's own message). */
export interface TarOut {
  stream: Readable;
  done: Promise<void>;
}

/**
 * Pack `member` of directory `dir` (both paths in the container) as a tar
 * stream, as it is: symlinks stay symlinks, owners are kept as numbers.
 */
export function tarOutOfRoot(trace: Tracer, tools: InRootTools, root: ContainerRoot, dir: string, member: string): TarOut {
  const cmd = ['busybox', 'tar', '--numeric-owner', '-cf', '-', '-C', dir, '--', member];
  const info = {
    title: `Pack ${joinPath(dir, member)} from the container as a tar stream`,
    why: `tar keeps each file's mode, owners, times and links; it runs ${WHERE(root)}.`,
    command: shownInRoot(root, cmd),
  };
  report(trace, { ...info, phase: 'started' });
  const child = spawn(tools.shim, [...rootArgv(tools, root), ...cmd.slice(1)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { stream: held(child), done: finished(trace, info, child, `pack ${joinPath(dir, member)} in the container`) };
}

/**
 * Unpack a tar stream into directory `dir` of the container. Without
 * `keepOwners` everything belongs to the container's root (0:0); with it,
 * the owners the archive records (as numbers).
 */
export async function tarIntoRoot(
  trace: Tracer,
  tools: InRootTools,
  root: ContainerRoot,
  input: NodeJS.ReadableStream,
  dir: string,
  opts: { keepOwners: boolean; compression?: 'gzip' | 'bzip2' | 'xz' },
): Promise<void> {
  const z = opts.compression === 'gzip' ? ['-z'] : opts.compression === 'bzip2' ? ['-j'] : opts.compression === 'xz' ? ['-J'] : [];
  const cmd = ['busybox', 'tar', '--numeric-owner', ...(opts.keepOwners ? [] : ['-o']), ...z, '-xf', '-', '-C', dir];
  const info = {
    title: `Unpack the tar stream into ${dir} in the container`,
    why: `${opts.keepOwners ? 'The files keep the owners the archive records (-a).' : "The files belong to the container's root (tar -o), as docker cp without -a."} tar runs ${WHERE(root)}, so a symlink in the container cannot send a file to the host.`,
    command: shownInRoot(root, cmd),
  };
  report(trace, { ...info, phase: 'started' });
  const child = spawn(tools.shim, [...rootArgv(tools, root), ...cmd.slice(1)], { stdio: ['pipe', 'ignore', 'pipe'] });
  const done = finished(trace, info, child, `unpack into ${dir} in the container`);
  await Promise.all([pump(input, child.stdin!), done]);
}

// ---- the host's side ----------------------------------------------------------

/** What the host path is, as lstat(2) sees it (undefined: it does not exist). */
export async function hostLstat(path: string): Promise<{ isDir: boolean; isFile: boolean; isSymlink: boolean } | undefined> {
  try {
    const st = await fs.lstat(path);
    return { isDir: st.isDirectory(), isFile: st.isFile(), isSymlink: st.isSymbolicLink() };
  } catch (e) {
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  }
}

/** stat(2), following symlinks (undefined: it does not exist). */
export async function hostStat(path: string): Promise<{ isDir: boolean; isFile: boolean } | undefined> {
  try {
    const st = await fs.stat(path);
    return { isDir: st.isDirectory(), isFile: st.isFile() };
  } catch (e) {
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  }
}

/** realpath(3) on the host (Go's filepath.EvalSymlinks). */
export const hostRealpath = (path: string): Promise<string> => fs.realpath(path);

export const hostReadlink = (path: string): Promise<string> => fs.readlink(path);

/**
 * GNU tar's --transform that renames the archive's top entry `from` (and
 * everything under it) to `to`, leaving symlink targets alone (flag S), as
 * Docker's RebaseArchiveEntries does.
 */
export function renameTransform(from: string, to: string): string {
  const delim = [',', '|', '#', '%', '@', ';', '~', '!'].find((d) => !from.includes(d) && !to.includes(d)) ?? '\x01';
  const bre = from.replace(/[\\.[\]*^$]/g, (c) => `\\${c}`);
  const repl = to.replace(/[\\&]/g, (c) => `\\${c}`);
  return `--transform=s${delim}^${bre}\\(/\\|$\\)${delim}${repl}\\1${delim}S`;
}

/** Pack host `dir`/`member` (as a tar stream), renamed to `renameTo` if given. */
export function packHost(trace: Tracer, dir: string, member: string, renameTo?: string): TarOut {
  const args = ['--numeric-owner', ...(renameTo !== undefined ? [renameTransform(member, renameTo)] : []), '-C', dir, '-cf', '-', '--', member];
  const info = {
    title: `Pack ${joinPath(dir, member)} on the host as a tar stream`,
    why: 'cp moves files as a tar stream: one format for files, directories, links, modes and times, in both directions.',
    command: shellJoin(['tar', ...args]),
  };
  report(trace, { ...info, phase: 'started' });
  const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  return { stream: held(child), done: finished(trace, info, child, `pack ${joinPath(dir, member)}`) };
}

/**
 * Unpack a stream from the container into host directory `dir`, renaming its
 * top entry `rename.from` to `rename.to`. Without `keepOwners` the files
 * belong to the user glass runs as, as docker cp's do; with it, to the
 * owners the container has (as numbers). GNU tar's defaults are the wall
 * against a hostile stream: no absolute names, no "..", and a symlink that
 * points out is made last, so nothing is written through it; tar saying it
 * had to apply one of those fails the copy.
 */
export async function unpackHost(
  trace: Tracer,
  input: NodeJS.ReadableStream,
  dir: string,
  opts: { keepOwners: boolean; rename?: { from: string; to: string } },
): Promise<void> {
  const args = [
    '--numeric-owner',
    opts.keepOwners ? '--same-owner' : '--no-same-owner',
    ...(opts.rename ? [renameTransform(opts.rename.from, opts.rename.to)] : []),
    '-C',
    dir,
    '-xf',
    '-',
  ];
  const info = {
    title: `Unpack the tar stream into ${dir} on the host`,
    why: opts.keepOwners
      ? 'With -a the files keep the owners (uid and gid numbers) they have in the container.'
      : 'The files belong to the user glass runs as, as docker cp makes them, whatever their owners in the container.',
    command: shellJoin(['tar', ...args]),
  };
  report(trace, { ...info, phase: 'started' });
  const child = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  const done = finished(trace, info, child, `unpack into ${dir}`, (stderr) => {
    const escape = /Removing leading `[^']*' from [^\n]*|[^\n]*Member name contains '\.\.'/.exec(stderr);
    return escape ? `the stream from the container has members that would land outside ${dir} (tar: ${escape[0]})` : undefined;
  });
  await Promise.all([pump(input, child.stdin!), done]);
}

// ---- plumbing -------------------------------------------------------------------

function joinPath(dir: string, member: string): string {
  return member === '.' ? dir : `${dir.replace(/\/$/, '')}/${member}`;
}

function firstLine(s: string | Buffer): string {
  return String(s).trim().split('\n').filter((l) => !/^tar: (Exiting|Error is not recoverable)/.test(l))[0] ?? '';
}

/**
 * A child's stdout, kept for whoever reads it later: Node resumes (and so
 * discards) a child's unread output when the child exits, and a small tar
 * may be done before its reader starts.
 */
function held(child: ChildProcess): Readable {
  const out = new PassThrough();
  child.stdout!.pipe(out);
  // A reader that gave up (the other tar failed): let this tar finish into the void rather than block on a full pipe.
  out.once('close', () => child.stdout!.resume());
  return out;
}

/** Wait for a child's exit, gathering stderr, and stdout too unless the caller streams it. */
async function collect(child: ChildProcess, streamed = false): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  if (!streamed) child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  return { code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') };
}

/** The end of a tar process: the step done, or failed with tar's first line. */
function finished(
  trace: Tracer,
  info: { title: string; why: string; command: string },
  child: ChildProcess,
  what: string,
  refuse?: (stderr: string) => string | undefined,
): Promise<void> {
  return collect(child, true).then(({ code, stderr }) => {
    const refused = refuse?.(stderr);
    const error = refused ?? (code !== 0 ? `could not ${what}: ${firstLine(stderr) || `tar exited with ${code}`}` : undefined);
    if (error) {
      report(trace, { ...info, phase: 'failed', error });
      throw new KernelError('KERNEL', error, 1);
    }
    report(trace, { ...info, phase: 'done' });
  });
}

/** Copy `input` into a child's stdin, ending it; a reader that stops early (tar failed) is not our error: tar's status says. */
async function pump(input: NodeJS.ReadableStream, sink: NodeJS.WritableStream): Promise<void> {
  sink.on('error', () => {});
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if ((sink as unknown as { destroyed?: boolean }).destroyed) break;
      const ok = sink.write(chunk);
      if (!ok) await new Promise<void>((resolve) => {
        const go = () => { sink.removeListener('close', go); sink.removeListener('drain', go); resolve(); };
        sink.once('drain', go);
        sink.once('close', go);
      });
    }
  } finally {
    sink.end();
  }
}
