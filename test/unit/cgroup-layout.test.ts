import { describe, expect, it } from 'vitest';
import { classify, CGROUP2_SUPER_MAGIC, parseCgroupMounts, TMPFS_MAGIC } from '../../runtime/kernel/cgroup/layout.js';
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
