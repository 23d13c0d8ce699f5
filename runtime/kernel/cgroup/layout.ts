import { statfsSync, readFileSync } from 'node:fs';
import { parseMountinfo, readMountinfo } from '../mountinfo.js';
import { KernelError } from '../errors.js';

/**
 * Which cgroup layout does this host have? Like crun, we decide from the
 * filesystem type mounted at /sys/fs/cgroup (statfs f_type), not from the
 * kernel version or distribution:
 *
 *   cgroup2fs at /sys/fs/cgroup                    → v2 ("unified"): one tree
 *   tmpfs at /sys/fs/cgroup, cgroup2 at .../unified → hybrid: v1 trees for the
 *                                                     controllers + a v2 tree
 *   tmpfs, no unified                               → v1: one tree per controller
 *   anything else, or no cgroup mounts at all       → NO_CGROUPS: glass refuses
 *
 * A hybrid host may even have a controller (e.g. hugetlb) attached to the v2
 * tree. glass never enables controllers there; it only places the process in
 * every tree so that each of them can find and kill it.
 */
export const CGROUP2_SUPER_MAGIC = 0x63677270;
/** A single v1 hierarchy mounted straight at /sys/fs/cgroup (seen in some containers). */
export const CGROUP_SUPER_MAGIC = 0x27e0eb;
export const TMPFS_MAGIC = 0x01021994;
export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

export type LayoutKind = 'v1' | 'hybrid' | 'v2';

export interface Hierarchy {
  version: 1 | 2;
  /** Where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory. */
  mountpoint: string;
  /** Controllers bound to it: ['memory'], ['cpu','cpuacct'], ['name=systemd'], or v2's list. */
  controllers: string[];
}

export interface CgroupLayout {
  kind: LayoutKind;
  /** Where cgroups are mounted: /sys/fs/cgroup, or a fake tree in tests. */
  root: string;
  hierarchies: Hierarchy[];
}

/**
 * What layout detection reads from the host. Each input can be handed in, so
 * a test can describe a host (a fake tree under a temp dir, its mountinfo
 * lines, the filesystem type statfs would report) without root.
 */
export interface CgroupHost {
  /** Default /sys/fs/cgroup. */
  root?: string;
  /** The text of /proc/self/mountinfo (default: read it). */
  mountinfo?: string;
  /** statfs(root).f_type (default: ask the kernel). */
  fsType?: number;
}

/** Parse /proc/self/mountinfo for cgroup mounts: one entry per hierarchy (superblock). */
export function parseCgroupMounts(mountinfo: string): Hierarchy[] {
  const seen = new Set<string>();
  const out: Hierarchy[] = [];
  for (const { device, mountPoint: mountpoint, fsType: fstype, superOptions: superOpts } of parseMountinfo(mountinfo)) {
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    if (seen.has(device)) continue; // the same hierarchy mounted twice
    seen.add(device);
    if (fstype === 'cgroup2') {
      let controllers: string[] = [];
      try {
        controllers = readFileSync(`${mountpoint}/cgroup.controllers`, 'utf8').trim().split(/\s+/).filter(Boolean);
      } catch { /* unreadable: treat as none */ }
      out.push({ version: 2, mountpoint, controllers });
    } else {
      const known = new Set(['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'xattr', 'clone_children', 'noprefix']);
      const controllers = superOpts.split(',').filter((o) => !known.has(o) && !o.startsWith('release_agent='));
      out.push({ version: 1, mountpoint, controllers });
    }
  }
  return out;
}

export function classify(rootFsType: number, hierarchies: Hierarchy[]): LayoutKind {
  if (rootFsType === CGROUP2_SUPER_MAGIC) return 'v2';
  return hierarchies.some((h) => h.version === 2) ? 'hybrid' : 'v1';
}

/**
 * The host's cgroup layout, or NO_CGROUPS when nothing cgroup-like is
 * mounted at the root: glass finds and kills a container's processes through
 * its cgroup, so it does not carry on without one.
 */
export function detectLayout(host: CgroupHost = {}): CgroupLayout {
  const root = host.root ?? DEFAULT_CGROUP_ROOT;
  let type = host.fsType;
  if (type === undefined) {
    try {
      type = statfsSync(root).type;
    } catch (e) {
      throw noCgroups(root, `${root} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (type !== CGROUP2_SUPER_MAGIC && type !== TMPFS_MAGIC && type !== CGROUP_SUPER_MAGIC) {
    throw noCgroups(root, `the filesystem there is of type 0x${type.toString(16)}, neither cgroup2 nor a tmpfs holding cgroup v1 trees`);
  }
  const mounted = parseCgroupMounts(host.mountinfo ?? readMountinfo()).filter(
    (h) => h.mountpoint === root || h.mountpoint.startsWith(root + '/'),
  );
  const kind = classify(type, mounted);
  const hierarchies = kind === 'v2' ? mounted.filter((h) => h.mountpoint === root) : mounted;
  if (hierarchies.length === 0) {
    throw noCgroups(root, `/proc/self/mountinfo lists no cgroup hierarchy ${kind === 'v2' ? 'at' : 'under'} ${root}`);
  }
  return { kind, root, hierarchies };
}

function noCgroups(root: string, detail: string): KernelError {
  return new KernelError(
    'NO_CGROUPS',
    `no cgroup filesystem is mounted at ${root} (${detail}): glass needs cgroups (v1 or v2) to find and kill every process of a container; mount one (mount -t cgroup2 none ${root}) or use a systemd host, which mounts them at boot`,
  );
}
