import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { GlassError } from '../errors.js';

/*
 * Before glass makes anything under a state root, it checks that the
 * directory is one it may own. glass creates, renames and deletes freely
 * under its root (and sweeps <root>/tmp), so a root that is `/`, a kernel
 * interface such as /proc or /sys, or someone else's non-empty directory
 * would have it write where it should not — or, on /proc, loop for ever in
 * mkdir. A root glass made (or adopted while empty) carries a marker file.
 */

/** The marker file at the top of every state root glass made. */
export const ROOT_MARKER = 'glass-root.json';
/** The layout version this glass writes and understands. */
export const ROOT_FORMAT = 1;

/**
 * Filesystems the kernel makes up on the fly (linux/magic.h): their files
 * are views of kernel state, not storage. statfs(2) names the filesystem a
 * path is on by these numbers.
 */
const PSEUDO_FILESYSTEMS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0x62656570: 'configfs',
  0x1cd1: 'devpts',
  0xcafe4a11: 'bpf',
  0x6165676c: 'pstore',
  0xde5e81e4: 'efivarfs',
  0x19800202: 'mqueue',
  0x65735543: 'fusectl',
  0x42494e4d: 'binfmt_misc',
  0x6e736673: 'nsfs',
  0xf97cff8c: 'selinuxfs',
  0x43415d53: 'smackfs',
  0x958458f6: 'hugetlbfs',
  0x0187: 'autofs',
};

/**
 * Where the kernel shows its interfaces and devices. Not every mount below
 * them is a pseudo-filesystem by type (on a cgroup v1 host /sys/fs/cgroup is
 * a tmpfs, /dev is devtmpfs, which statfs reports as tmpfs), so the paths
 * themselves are refused.
 */
const KERNEL_TREES = ['/proc', '/sys', '/dev'];

/** Entries that do not make a directory "someone else's". */
const IGNORED = /^(lost\+found|\.glass-root-[0-9a-f]+\.tmp)$/;

const refuse = (message: string): never => {
  throw new GlassError('INVALID_ARGUMENT', message);
};
const pointElsewhere = 'point --root (or GLASS_ROOT) at a directory of its own, e.g. /var/lib/glass';

/**
 * Check that `root` (absolute, from resolveRoot) is a directory glass may
 * own, and make it if it does not exist. Throws a GlassError whose message
 * says what is wrong and what to do. Creates nothing until the checks pass.
 */
export function prepareRoot(root: string): void {
  if (root === '/') {
    refuse(`the state root cannot be / (glass would make its directories at the top of the host's filesystem and delete in them): ${pointElsewhere}`);
  }
  const tree = KERNEL_TREES.find((t) => root === t || root.startsWith(t + '/'));
  if (tree) {
    refuse(`the state root ${root} is ${root === tree ? '' : `inside ${tree}, `}where the kernel shows its own interfaces, not a place for files: ${pointElsewhere}`);
  }
  const fs = filesystemType(root);
  if (fs) refuse(`the state root ${root} is on ${fs}, a kernel pseudo-filesystem that cannot hold glass's files: ${pointElsewhere}`);

  let isDir: boolean;
  try {
    isDir = lstatSync(root).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(root, { recursive: true });
    writeMarker(root);
    return;
  }
  if (!isDir) refuse(`the state root ${root} is a file, not a directory: ${pointElsewhere} (glass makes it if it does not exist)`);

  const entries = readdirSync(root);
  if (entries.includes(ROOT_MARKER)) {
    const format = markerFormat(root);
    if (format !== undefined && format > ROOT_FORMAT) {
      refuse(`the state root ${root} was laid out by a newer glass (format ${format}; this glass knows ${ROOT_FORMAT}): use that glass, or ${pointElsewhere}`);
    }
    return;
  }
  if (entries.every((e) => IGNORED.test(e))) {
    writeMarker(root); // an empty directory: glass adopts it
    return;
  }
  if (madeByOlderGlass(root, entries)) {
    try {
      writeMarker(root);
    } catch {
      // Best effort (a full or read-only disk): the root is recognised without it.
    }
    return;
  }
  refuse(
    `the state root ${root} is not empty and is not a glass state root (it has no ${ROOT_MARKER}); glass deletes freely under its root, so it will not share a directory: ${pointElsewhere}, or at a new or empty one`,
  );
}

/** The name of the pseudo-filesystem `path` (or its nearest existing parent) is on, if it is on one. */
function filesystemType(path: string): string | undefined {
  for (let at = path; ; at = dirname(at)) {
    try {
      return PSEUDO_FILESYSTEMS[statfsSync(at).type];
    } catch (e) {
      if (at === '/' || (e as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    }
  }
}

/** Glass before the marker made containers/ on its first command, and images/oci/ with its first image. */
function madeByOlderGlass(root: string, entries: string[]): boolean {
  const isDir = (p: string) => {
    try {
      return lstatSync(join(root, p)).isDirectory();
    } catch {
      return false;
    }
  };
  return (entries.includes('containers') && isDir('containers')) || (entries.includes('images') && isDir('images/oci'));
}

function markerFormat(root: string): number | undefined {
  try {
    const format = (JSON.parse(readFileSync(join(root, ROOT_MARKER), 'utf8')) as { format?: unknown }).format;
    return typeof format === 'number' ? format : undefined;
  } catch {
    return undefined; // unreadable: the file's presence is the mark
  }
}

/**
 * Write the marker atomically and without replacing one another process
 * wrote meanwhile: a temp file (ignored by the emptiness check, so two
 * glasses adopting one empty directory at once both succeed), then link(2),
 * which fails rather than overwrite.
 */
function writeMarker(root: string): void {
  const tmp = join(root, `.glass-root-${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(tmp, JSON.stringify({ format: ROOT_FORMAT, note: 'glass state root: glass owns everything in this directory' }) + '\n');
  try {
    linkSync(tmp, join(root, ROOT_MARKER));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}
