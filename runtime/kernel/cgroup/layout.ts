import { statfsSync, readFileSync } from 'node:fs';

/**
 * Which cgroup layout does this host have? Like crun, we decide from the
 * filesystem type mounted at /sys/fs/cgroup (statfs f_type), not from the
 * kernel version or distribution:
 *
 *   cgroup2fs at /sys/fs/cgroup                    → v2 ("unified"): one tree
 *   tmpfs at /sys/fs/cgroup, cgroup2 at .../unified → hybrid: v1 trees for the
 *                                                     controllers + a v2 tree
 *   tmpfs, no unified                               → v1: one tree per controller
 *
 * A hybrid host may even have a controller (e.g. hugetlb) attached to the v2
 * tree. glass never enables controllers there; it only places the process in
 * every tree so that each of them can find and kill it.
 */
export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const TMPFS_MAGIC = 0x01021994;

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
  hierarchies: Hierarchy[];
}

const unescapeMountinfo = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));

/** Parse /proc/self/mountinfo for cgroup mounts: one entry per hierarchy (superblock). */
export function parseCgroupMounts(mountinfo: string): Hierarchy[] {
  const seen = new Set<string>();
  const out: Hierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype, , superOpts = ''] = right.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const dev = fields[2]!;
    if (seen.has(dev)) continue; // the same hierarchy mounted twice
    seen.add(dev);
    const mountpoint = unescapeMountinfo(fields[4]!);
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

export function detectLayout(cgroupRoot = '/sys/fs/cgroup'): CgroupLayout {
  const type = statfsSync(cgroupRoot).type;
  const hierarchies = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8')).filter(
    (h) => h.mountpoint === cgroupRoot || h.mountpoint.startsWith(cgroupRoot + '/'),
  );
  const kind = classify(type, hierarchies);
  if (kind === 'v2') return { kind, hierarchies: hierarchies.filter((h) => h.mountpoint === cgroupRoot) };
  return { kind, hierarchies };
}
