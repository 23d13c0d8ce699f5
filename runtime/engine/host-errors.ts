import { accessSync, constants } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';

/*
 * Errors the host's system calls raise (Node's ErrnoException: code ENOSPC,
 * syscall "write", maybe a path) say what failed but not what to do about it.
 * describeHostError turns the ones a user can act on into one line that names
 * the path and the way out; the CLI prints it instead of "internal error".
 */

/** What the C library's strerror(3) says for an errno name, as Go and coreutils print it. */
const STRERROR: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'file exists',
  ENOTEMPTY: 'directory not empty',
  EBUSY: 'device or resource busy',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EXDEV: 'invalid cross-device link',
  EBADF: 'bad file descriptor',
  ENXIO: 'no such device or address',
  ENOMEM: 'cannot allocate memory',
  EPIPE: 'broken pipe',
  EINVAL: 'invalid argument',
};

export type HostError = NodeJS.ErrnoException & { code: string };

/** An error raised by a system call (it has an errno name such as "ENOSPC"), as opposed to one of glass's own. */
export function isHostError(e: unknown): e is HostError {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z0-9]+$/.test((e as NodeJS.ErrnoException).code!);
}

/** strerror(3)'s words for the error ("no space left on device"), else Node's own. */
export function errnoText(e: NodeJS.ErrnoException): string {
  if (e.code && STRERROR[e.code]) return STRERROR[e.code]!;
  const m = /^E[A-Z0-9]+: ([^,]+)/.exec(e.message);
  return m ? m[1]! : e.message;
}

/** Go's shape for a failed call on a path: "write /dev/stdout: no space left on device". */
export function syscallMessage(e: NodeJS.ErrnoException, path = e.path): string {
  const op = e.syscall ?? 'access';
  return `${path ? `${op} ${path}` : op}: ${errnoText(e)}`;
}

/**
 * Node's recursive mkdir reports ENOENT when the real trouble is a parent it
 * cannot write to (it stats the path after mkdir(2) fails and returns that
 * error instead). access(2) on the existing parent tells the cause: EROFS for
 * a read-only filesystem, EACCES for one that refuses.
 */
function trueCause(e: HostError): HostError {
  if (e.code !== 'ENOENT' || e.syscall !== 'mkdir' || !e.path) return e;
  try {
    accessSync(dirname(e.path), constants.W_OK);
  } catch (probe) {
    const code = (probe as NodeJS.ErrnoException).code;
    if (code === 'EROFS' || code === 'EACCES') {
      return Object.assign(new Error(`${code}: ${STRERROR[code]}, mkdir '${e.path}'`), { code, syscall: 'mkdir', path: e.path });
    }
  }
  return e;
}

const inside = (path: string, root: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * One line a user can act on for a host error, naming the path and what to
 * do; undefined when `e` is not a host error. `root` is the state root: a
 * failure inside it is explained in terms of the root (free space there, point
 * --root elsewhere); elsewhere (an output file, an env file) in terms of that
 * path.
 */
export function describeHostError(error: unknown, root: string): string | undefined {
  if (!isHostError(error)) return undefined;
  const e = trueCause(error);
  const path = e.path;
  // Without a path (a write(2) on an open file) the engine was writing its own files: under the root.
  const inRoot = path === undefined || inside(path, root);
  const what = syscallMessage(e);
  const at = path === undefined ? '' : ` (${e.syscall ?? 'access'} ${path})`;
  switch (e.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return inRoot
        ? `${e.code === 'EDQUOT' ? 'disk quota exceeded' : 'no space left'} on the filesystem of the state root ${root}${at}: free space (glass rm, glass rmi, or the host's own files) and try again`
        : `${what}: free space on that filesystem, or write somewhere else`;
    case 'EROFS':
      return inRoot
        ? `the state root ${root} is on a read-only filesystem${at}: point --root at a writable directory, or remount it read-write`
        : `${what}: that filesystem is mounted read-only: write somewhere else`;
    case 'EACCES':
    case 'EPERM':
      return inRoot
        ? `${what}: the state root ${root} refuses glass, though it runs as root (an immutable file, see lsattr; a root-squashed network share; a security module): fix that, or point --root at another directory`
        : `${what}: check its owner and mode (ls -l), or use another path`;
    case 'ENOENT':
      return inRoot
        ? `${what}: a file glass needs under the state root ${root} is gone (removed by hand, or by another glass at the same moment): try the command again`
        : `${what}: check the path`;
    case 'ENOTDIR':
    case 'EISDIR':
    case 'ELOOP':
    case 'ENAMETOOLONG':
      return `${what}: check the path`;
    case 'EMFILE':
    case 'ENFILE':
      return `${what}: glass ran out of file descriptors: raise the limit (ulimit -n) or end other programs, then try again`;
    case 'EIO':
      return `${what}: the disk or filesystem${inRoot ? ` of the state root ${root}` : ''} failed to read or write: look at the kernel log (dmesg)`;
    case 'EBUSY':
      return `${what}: it is in use (mounted, or open in a process): find who uses it with fuser -vm ${path ?? root}, then try again`;
    case 'ENOMEM':
      return `${what}: the host is out of memory: end other programs and try again`;
    default:
      return undefined;
  }
}
