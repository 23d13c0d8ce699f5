import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classify, CGROUP2_SUPER_MAGIC, detectLayout, parseCgroupMounts, TMPFS_MAGIC, type CgroupHost } from '../../runtime/kernel/cgroup/layout.js';
import { KernelError } from '../../runtime/kernel/errors.js';
import { braced } from '../../runtime/kernel/cgroup/common.js';

const V1 = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
33 31 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
34 31 0:31 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
35 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu,cpuacct
`;
const HYBRID = V1 + '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n';
const V2 = '30 23 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';

describe('cgroup layout detection', () => {
  it('reads one hierarchy per superblock with its controllers', () => {
    const h = parseCgroupMounts(V1);
    expect(h.map((x) => [x.version, x.mountpoint, x.controllers])).toEqual([
      [1, '/sys/fs/cgroup/cpu,cpuacct', ['cpu', 'cpuacct']],
      [1, '/sys/fs/cgroup/memory', ['memory']],
      [1, '/sys/fs/cgroup/systemd', ['name=systemd']],
    ]);
  });

  it('tells v1, hybrid and v2 apart by filesystem type', () => {
    expect(classify(TMPFS_MAGIC, parseCgroupMounts(V1))).toBe('v1');
    expect(classify(TMPFS_MAGIC, parseCgroupMounts(HYBRID))).toBe('hybrid');
    expect(classify(CGROUP2_SUPER_MAGIC, parseCgroupMounts(V2))).toBe('v2');
    const hybrid = parseCgroupMounts(HYBRID);
    expect(hybrid.at(-1)).toMatchObject({ version: 2, mountpoint: '/sys/fs/cgroup/unified' });
  });

  it('writes one brace-expanded command for many hierarchies', () => {
    expect(braced(['/sys/fs/cgroup/cpu/glass-x', '/sys/fs/cgroup/memory/glass-x'], 'cgroup.procs')).toBe('/sys/fs/cgroup/{cpu,memory}/glass-x/cgroup.procs');
    expect(braced(['/sys/fs/cgroup/glass-x'])).toBe('/sys/fs/cgroup/glass-x');
  });
});

describe('cgroup layout detection from given inputs (no /sys/fs/cgroup needed)', () => {
  const withTree = (fn: (tree: string) => void) => {
    const tree = mkdtempSync(join(tmpdir(), 'glass-fake-cgroup-'));
    try {
      fn(tree);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  };
  const noCgroups = (host: CgroupHost, detail: RegExp) => {
    let err: unknown;
    try {
      detectLayout(host);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).code).toBe('NO_CGROUPS');
    const root = host.root ?? '/sys/fs/cgroup';
    expect((err as KernelError).message).toContain(`no cgroup filesystem is mounted at ${root} (`);
    expect((err as KernelError).message).toMatch(detail);
    expect((err as KernelError).message).toMatch(
      /\): glass needs cgroups \(v1 or v2\) to find and kill every process of a container; mount one \(mount -t cgroup2 none \S+\) or use a systemd host, which mounts them at boot$/,
    );
  };

  it('reads a v2 root and its controllers', () =>
    withTree((tree) => {
      writeFileSync(join(tree, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
      const mountinfo = `30 23 0:27 / ${tree} rw,nosuid - cgroup2 cgroup2 rw\n41 30 0:99 / ${tree}/elsewhere rw - cgroup2 cgroup2 rw\n`;
      expect(detectLayout({ root: tree, mountinfo, fsType: CGROUP2_SUPER_MAGIC })).toEqual({
        kind: 'v2',
        root: tree,
        hierarchies: [{ version: 2, mountpoint: tree, controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] }],
      });
    }));

  it('reads a hybrid root: v1 trees under a tmpfs, and the v2 tree', () =>
    withTree((tree) => {
      mkdirSync(join(tree, 'unified'));
      writeFileSync(join(tree, 'unified/cgroup.controllers'), '');
      const mountinfo = HYBRID.replaceAll('/sys/fs/cgroup', tree) + '50 23 0:50 / /elsewhere rw - cgroup cgroup rw,pids\n';
      const layout = detectLayout({ root: tree, mountinfo, fsType: TMPFS_MAGIC });
      expect(layout.kind).toBe('hybrid');
      expect(layout.hierarchies.map((h) => h.mountpoint)).toEqual(['cpu,cpuacct', 'memory', 'systemd', 'unified'].map((d) => join(tree, d)));
    }));

  it('refuses a root that is no cgroup filesystem', () => {
    noCgroups({ root: '/srv/cg', fsType: 0xef53, mountinfo: V2 }, /the filesystem there is of type 0xef53, neither cgroup2 nor a tmpfs holding cgroup v1 trees/);
  });

  it('refuses a tmpfs with no cgroup hierarchy mounted under it', () => {
    noCgroups({ fsType: TMPFS_MAGIC, mountinfo: '31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n' }, /\/proc\/self\/mountinfo lists no cgroup hierarchy under \/sys\/fs\/cgroup/);
    noCgroups({ root: '/mnt/cg', fsType: CGROUP2_SUPER_MAGIC, mountinfo: V2 }, /lists no cgroup hierarchy at \/mnt\/cg/);
  });

  it('refuses a root that does not exist, or a plain directory (real statfs)', () => {
    noCgroups({ root: '/nonexistent/glass-cgroup', mountinfo: '' }, /\/nonexistent\/glass-cgroup cannot be read: ENOENT/);
    withTree((tree) => noCgroups({ root: tree }, /neither cgroup2 nor a tmpfs|lists no cgroup hierarchy under/));
  });
});
