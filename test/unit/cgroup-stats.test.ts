import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectLayout, CGROUP2_SUPER_MAGIC, TMPFS_MAGIC } from '../../runtime/kernel/cgroup/layout.js';
import {
  controllerDir,
  parseBlkio,
  parseIoStat,
  parseMemTotal,
  parseProcStat,
  readCgroupLimits,
  readCgroupUsage,
  readSystemCpu,
} from '../../runtime/kernel/cgroup/stats.js';

/**
 * The usage and limit readers on fake cgroup trees: the exact files and
 * values the kernel shows for a container, v2 and v1, no root needed.
 */
let tree: string;
beforeEach(() => {
  tree = mkdtempSync(join(tmpdir(), 'glass-fake-stats-'));
});
afterEach(() => rmSync(tree, { recursive: true, force: true }));

const files = (dir: string, contents: Record<string, string>) => {
  mkdirSync(dir, { recursive: true });
  for (const [f, v] of Object.entries(contents)) writeFileSync(join(dir, f), v);
};

describe('cgroup v2 (one tree)', () => {
  const layout = () => {
    writeFileSync(join(tree, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    return detectLayout({ root: tree, fsType: CGROUP2_SUPER_MAGIC, mountinfo: `30 23 0:27 / ${tree} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n` });
  };
  const cg = () => ({ name: 'glass-a', dirs: [join(tree, 'glass', 'glass-a')] });

  it('reads CPU, memory less inactive_file, its limit, pids and io.stat, naming each file', () => {
    const l = layout();
    const dir = cg().dirs[0]!;
    files(dir, {
      'cpu.stat': 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 0\n',
      'memory.current': '10485760\n',
      'memory.stat': 'anon 6291456\nfile 4194304\nactive_file 1048576\ninactive_file 3145728\n',
      'memory.max': '67108864\n',
      'pids.current': '3\n',
      'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:0 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n',
    });
    const u = readCgroupUsage(l, cg());
    expect(u).toMatchObject({ cpuNs: 2_500_000_000, memoryUsage: 10485760, inactiveFile: 3145728, memoryLimit: 67108864, pids: 3, blockRead: 4196, blockWrite: 8192 });
    expect(u.files.map((f) => [f.path.slice(dir.length + 1), f.value])).toEqual([
      ['cpu.stat', 'usage_usec 2500000'],
      ['io.stat', '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:0 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0'],
      ['memory.current', '10485760'],
      ['memory.stat', 'inactive_file 3145728'],
      ['memory.max', '67108864'],
      ['pids.current', '3'],
    ]);
  });

  it('reads "max" as no limit, and leaves out what a missing controller would have written', () => {
    const l = layout();
    files(cg().dirs[0]!, { 'cpu.stat': 'usage_usec 7\n', 'memory.max': 'max\n' });
    const u = readCgroupUsage(l, cg());
    expect(u.cpuNs).toBe(7000);
    expect(u.memoryLimit).toBeUndefined();
    expect(u.memoryUsage).toBeUndefined();
    expect(u.pids).toBeUndefined();
    expect(u.blockRead).toBeUndefined();
  });

  it('reads the limits runc writes: memory.max, memory.swap.max, memory.low, cpu.max, cpu.weight, cpuset.cpus, pids.max', () => {
    const l = layout();
    files(cg().dirs[0]!, {
      'memory.max': '33554432\n', 'memory.swap.max': '33554432\n', 'memory.low': '16777216\n',
      'cpu.max': '50000 100000\n', 'cpu.weight': '39\n', 'cpuset.cpus': '0\n', 'pids.max': '10\n',
    });
    const { files: read, ...limits } = readCgroupLimits(l, cg());
    expect(limits).toEqual({ memory: 33554432, memorySwap: 33554432, memoryReservation: 16777216, cpuQuotaUs: 50000, cpuPeriodUs: 100000, cpuWeight: 39, cpusetCpus: '0', pidsMax: 10 });
    expect(read.map((f) => f.path.split('/').pop())).toEqual(['cpu.max', 'memory.max', 'memory.swap.max', 'memory.low', 'cpu.weight', 'cpuset.cpus', 'pids.max']);
  });

  it('a container without limits: max everywhere', () => {
    const l = layout();
    files(cg().dirs[0]!, { 'memory.max': 'max\n', 'memory.swap.max': 'max\n', 'memory.low': '0\n', 'cpu.max': 'max 100000\n', 'cpu.weight': '100\n', 'cpuset.cpus': '\n', 'pids.max': 'max\n' });
    const { files: _f, ...limits } = readCgroupLimits(l, cg());
    expect(limits).toEqual({ memory: undefined, memorySwap: undefined, memoryReservation: undefined, cpuQuotaUs: undefined, cpuPeriodUs: 100000, cpuWeight: 100, cpusetCpus: undefined, pidsMax: undefined });
  });
});

describe('cgroup v1 (hybrid: one tree per controller)', () => {
  const TREES = [
    ['cpu,cpuacct', 'cgroup', 'rw,cpu,cpuacct'],
    ['cpuset', 'cgroup', 'rw,cpuset'],
    ['memory', 'cgroup', 'rw,memory'],
    ['pids', 'cgroup', 'rw,pids'],
    ['blkio', 'cgroup', 'rw,blkio'],
    ['unified', 'cgroup2', 'rw'],
  ];
  const layout = () => {
    const lines = [`31 23 0:28 / ${tree} rw - tmpfs tmpfs rw,mode=755`];
    TREES.forEach(([dir, type, opts], i) => {
      mkdirSync(join(tree, dir!));
      lines.push(`${40 + i} 31 0:${40 + i} / ${tree}/${dir} rw,relatime - ${type} cgroup ${opts}`);
    });
    writeFileSync(join(tree, 'unified/cgroup.controllers'), '');
    return detectLayout({ root: tree, fsType: TMPFS_MAGIC, mountinfo: lines.join('\n') + '\n' });
  };
  const cg = () => ({ name: 'glass-b', dirs: TREES.map(([d]) => join(tree, d!, 'glass', 'glass-b')) });
  const d = (controller: string) => join(tree, controller, 'glass', 'glass-b');

  it('finds each controller\'s directory (cpuacct shares the cpu,cpuacct tree)', () => {
    const l = layout();
    expect(l.kind).toBe('hybrid');
    expect(controllerDir(l, cg(), 'cpuacct')).toBe(d('cpu,cpuacct'));
    expect(controllerDir(l, cg(), 'memory')).toBe(d('memory'));
    expect(controllerDir(l, cg(), 'hugetlb')).toBeUndefined();
  });

  it('reads cpuacct.usage, memory.usage_in_bytes less total_inactive_file, its limit, pids.current and blkio', () => {
    const l = layout();
    files(d('cpu,cpuacct'), { 'cpuacct.usage': '2500000000\n' });
    files(d('memory'), {
      'memory.usage_in_bytes': '10485760\n',
      'memory.stat': 'cache 4194304\nrss 6291456\ninactive_file 3145728\ntotal_cache 4194304\ntotal_inactive_file 3145728\n',
      'memory.limit_in_bytes': '67108864\n',
    });
    files(d('pids'), { 'pids.current': '3\n' });
    files(d('blkio'), {
      'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n',
    });
    const u = readCgroupUsage(l, cg());
    expect(u).toMatchObject({ cpuNs: 2_500_000_000, memoryUsage: 10485760, inactiveFile: 3145728, memoryLimit: 67108864, pids: 3, blockRead: 4096, blockWrite: 8192 });
    expect(u.files.find((f) => f.path.endsWith('memory.stat'))!.value).toBe('total_inactive_file 3145728');
  });

  it('reads the near-2^63 "no limit" as none, and blkio.throttle.io_service_bytes where the recursive file is missing', () => {
    const l = layout();
    files(d('memory'), { 'memory.usage_in_bytes': '4096\n', 'memory.limit_in_bytes': '9223372036854771712\n' });
    files(d('blkio'), { 'blkio.throttle.io_service_bytes': '8:0 Read 512\n8:0 Write 0\nTotal 512\n' });
    const u = readCgroupUsage(l, cg());
    expect(u.memoryLimit).toBeUndefined();
    expect(u.memoryUsage).toBe(4096);
    expect([u.blockRead, u.blockWrite]).toEqual([512, 0]);
  });

  it('reads the limits: memory, memsw, soft limit, CFS quota and period, shares, cpuset, pids.max', () => {
    const l = layout();
    files(d('memory'), { 'memory.limit_in_bytes': '67108864\n', 'memory.memsw.limit_in_bytes': '134217728\n', 'memory.soft_limit_in_bytes': '9223372036854771712\n' });
    files(d('cpu,cpuacct'), { 'cpu.cfs_quota_us': '50000\n', 'cpu.cfs_period_us': '100000\n', 'cpu.shares': '512\n' });
    files(d('cpuset'), { 'cpuset.cpus': '0-1\n' });
    files(d('pids'), { 'pids.max': '10\n' });
    const { files: _f, ...limits } = readCgroupLimits(l, cg());
    expect(limits).toEqual({ memory: 67108864, memorySwap: 134217728, memoryReservation: undefined, cpuQuotaUs: 50000, cpuPeriodUs: 100000, cpuShares: 512, cpusetCpus: '0-1', pidsMax: 10 });
    files(d('cpu,cpuacct'), { 'cpu.cfs_quota_us': '-1\n' });
    files(d('pids'), { 'pids.max': 'max\n' });
    expect(readCgroupLimits(l, cg())).toMatchObject({ cpuQuotaUs: undefined, pidsMax: undefined });
  });
});

describe('the host\'s side', () => {
  it('sums /proc/stat\'s first seven cpu fields (user..softirq) in ns, and counts the cpuN lines', () => {
    const text = 'cpu  100 2 30 400 5 0 6 7 0 0\ncpu0 50 1 15 200 2 0 3 3 0 0\ncpu1 50 1 15 200 3 0 3 4 0 0\nintr 1 2\nctxt 5\n';
    expect(parseProcStat(text)).toEqual({ systemNs: (100 + 2 + 30 + 400 + 5 + 0 + 6) * 10_000_000, onlineCpus: 2 });
  });

  it('reads this machine: a growing system CPU time, at least one CPU', () => {
    const real = readSystemCpu();
    expect(real.onlineCpus).toBeGreaterThan(0);
    expect(real.systemNs).toBeGreaterThan(0);
    expect(readFileSync('/proc/stat', 'utf8')).toMatch(/^cpu /);
  });

  it('MemTotal in bytes', () => {
    expect(parseMemTotal('MemTotal:       24683292 kB\nMemFree:  1 kB\n')).toBe(24683292 * 1024);
    expect(parseMemTotal('nothing')).toBeUndefined();
  });

  it('blkio and io.stat sums over devices', () => {
    expect(parseBlkio('8:0 Read 1\n8:0 Write 2\n8:16 Read 10\n8:16 Write 20\n8:16 Total 30\nTotal 33\n')).toEqual({ read: 11, write: 22 });
    expect(parseBlkio('Total 0\n')).toEqual({ read: 0, write: 0 });
    expect(parseIoStat('8:0 rbytes=1 wbytes=2 rios=0 wios=0\n8:16 rbytes=10 wbytes=20\n')).toEqual({ read: 11, write: 22 });
  });
});
