import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { cgroupDriver } from '../../runtime/kernel/cgroup/index.js';
import { hostCgroupFs, type CgroupFs } from '../../runtime/kernel/cgroup/fs.js';
import { CGROUP2_SUPER_MAGIC, TMPFS_MAGIC } from '../../runtime/kernel/cgroup/layout.js';
import { sharesToWeight } from '../../runtime/kernel/cgroup/v2/cpu.js';
import { DEFAULT_DEVICE_RULES } from '../../runtime/kernel/cgroup/v1/devices.js';
import type { CgroupLimits } from '../../runtime/kernel/cgroup/limits.js';
import type { Step } from '../../runtime/kernel/step.js';

/**
 * The limits the drivers write, on fake cgroupfs trees (no root): the exact
 * files and values runc writes for each Docker flag, and the Steps that say
 * so. The fake keeps what the drivers rely on: a mkdir'd cgroup gets
 * cgroup.procs and (v2) cgroup.subtree_control, and "+memory -cpu" written to
 * subtree_control turns controllers on and off.
 */
let tree: string;
let writes: Array<[string, string]>;
let steps: Step[];
const trace = (s: Step) => steps.push(s);

function fakeFs(): CgroupFs {
  return {
    mkdir(path) {
      mkdirSync(path);
      writeFileSync(join(path, 'cgroup.procs'), '');
      if (existsSync(join(dirname(path), 'cgroup.subtree_control'))) writeFileSync(join(path, 'cgroup.subtree_control'), '');
      for (const f of ['cpuset.cpus', 'cpuset.mems']) if (existsSync(join(dirname(path), f))) writeFileSync(join(path, f), '');
    },
    rmdir: hostCgroupFs.rmdir,
    read: hostCgroupFs.read,
    write(path, data) {
      writes.push([path.slice(tree.length + 1), data]);
      if (basename(path) === 'cgroup.subtree_control') {
        const on = new Set(readFileSync(path, 'utf8').split(/\s+/).filter(Boolean));
        for (const w of data.split(/\s+/)) (w.startsWith('+') ? on.add(w.slice(1)) : on.delete(w.slice(1)));
        writeFileSync(path, [...on].join(' '));
      } else writeFileSync(path, data);
    },
    exists: hostCgroupFs.exists,
    list: (p) => (existsSync(p) ? readdirSync(p, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : []),
  };
}

beforeEach(() => {
  tree = mkdtempSync(join(tmpdir(), 'glass-fake-limits-'));
  writes = [];
  steps = [];
});
afterEach(() => rmSync(tree, { recursive: true, force: true }));

describe('cgroup v2: the files and values runc writes', () => {
  const v2 = () => {
    writeFileSync(join(tree, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma\n');
    if (!existsSync(join(tree, 'cgroup.subtree_control'))) writeFileSync(join(tree, 'cgroup.subtree_control'), 'memory pids');
    writeFileSync(join(tree, 'cgroup.procs'), '');
    return cgroupDriver({ root: tree, fsType: CGROUP2_SUPER_MAGIC, mountinfo: `30 23 0:27 / ${tree} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n` }, fakeFs());
  };
  const started = (l: CgroupLimits) => {
    const d = v2();
    const cg = d.create(trace, 'glass-x');
    writeFileSync(join(cg.dirs[0]!, 'memory.swap.max'), 'max\n'); // the kernel's file, with the memory controller on
    writes = [];
    steps = [];
    d.applyLimits(trace, cg, l);
    return cg;
  };

  it('makes glass/ and hands the controllers down through each level\'s subtree_control', () => {
    const cg = v2().create(trace, 'glass-x');
    expect(cg.dirs).toEqual([join(tree, 'glass', 'glass-x')]);
    expect(writes).toEqual([
      ['cgroup.subtree_control', '+cpu +cpuset +io'], // memory and pids were on already (systemd turns them on)
      ['glass/cgroup.subtree_control', '+cpu +cpuset +io +memory +pids'],
    ]);
    expect(steps.map((s) => s.command)).toEqual([
      `echo "+cpu +cpuset +io" > ${tree}/cgroup.subtree_control`,
      `mkdir ${tree}/glass`,
      `echo "+cpu +cpuset +io +memory +pids" > ${tree}/glass/cgroup.subtree_control`,
      `mkdir ${tree}/glass/glass-x`,
    ]);
    // A second container finds it all in place: only its own mkdir.
    writes = [];
    steps = [];
    v2().create(trace, 'glass-y');
    expect(writes).toEqual([]);
    expect(steps.map((s) => s.command)).toEqual([`mkdir ${tree}/glass/glass-y`]);
  });

  it.each<[string, CgroupLimits, Array<[string, string]>]>([
    ['-m 32m (memory-swap 64m, Docker\'s default)', { memory: 32 << 20, memorySwap: 64 << 20 }, [['memory.swap.max', '33554432'], ['memory.max', '33554432']]],
    ['-m 32m --memory-swap 32m (no swap)', { memory: 32 << 20, memorySwap: 32 << 20 }, [['memory.swap.max', '0'], ['memory.max', '33554432']]],
    ['-m 32m --memory-swap -1', { memory: 32 << 20, memorySwap: -1 }, [['memory.swap.max', 'max'], ['memory.max', '33554432']]],
    ['--memory-reservation 16m', { memoryReservation: 16 << 20 }, [['memory.low', '16777216']]],
    ['--cpu-shares 1024', { cpuShares: 1024 }, [['cpu.weight', '39']]],
    ['--cpu-shares 512', { cpuShares: 512 }, [['cpu.weight', '20']]],
    ['--cpus 0.5', { nanoCpus: 5e8 }, [['cpu.max', '50000 100000']]],
    ['--cpus 1.5', { nanoCpus: 1.5e9 }, [['cpu.max', '150000 100000']]],
    ['--cpu-quota 20000', { cpuQuota: 20000 }, [['cpu.max', '20000']]],
    ['--cpu-quota 20000 --cpu-period 50000', { cpuQuota: 20000, cpuPeriod: 50000 }, [['cpu.max', '20000 50000']]],
    ['--cpu-period 50000', { cpuPeriod: 50000 }, [['cpu.max', 'max 50000']]],
    ['--cpuset-cpus 0', { cpusetCpus: '0' }, [['cpuset.cpus', '0']]],
    ['--pids-limit 10', { pidsLimit: 10 }, [['pids.max', '10']]],
  ])('%s', (_flag, limits, expected) => {
    started(limits);
    expect(writes).toEqual(expected.map(([f, v]) => [`glass/glass-x/${f}`, v]));
    expect(steps.map((s) => s.command)).toEqual(expected.map(([f, v]) => `echo ${/\s/.test(v) ? `"${v}"` : v} > ${tree}/glass/glass-x/${f}`));
  });

  it('--oom-kill-disable: no such switch on v2, said in the trace, nothing written', () => {
    started({ memory: 32 << 20, memorySwap: 64 << 20, oomKillDisable: true });
    expect(writes.map(([f]) => f)).toEqual(['glass/glass-x/memory.swap.max', 'glass/glass-x/memory.max']);
    expect(steps.at(-1)).toMatchObject({ title: 'No --oom-kill-disable on cgroup v2', phase: 'failed' });
  });

  it('runc\'s shares → weight formula', () => {
    expect([2, 512, 1024, 2048, 262144, 1, 1_000_000].map(sharesToWeight)).toEqual([1, 20, 39, 79, 10000, 1, 10000]);
  });

  it('pause is cgroup.freeze; capabilities come from the root', async () => {
    const d = v2();
    const cg = d.create(trace, 'glass-x');
    writeFileSync(join(cg.dirs[0]!, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    writes = [];
    await d.freeze(trace, cg, true);
    expect(writes).toEqual([['glass/glass-x/cgroup.freeze', '1']]);
    expect(d.isFrozen(cg)).toBe(true);
    writeFileSync(join(cg.dirs[0]!, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    await d.freeze(trace, cg, false);
    expect(d.isFrozen(cg)).toBe(false);
    expect(d.capabilities()).toMatchObject({ swapLimit: true, oomKillDisable: false });
  });
});

describe('cgroup v1 (hybrid): the files and values runc writes', () => {
  const v1 = (memsw = true) => {
    const lines: string[] = [];
    const hier: Array<[string, string]> = [['cpu', 'cpu'], ['cpuset', 'cpuset'], ['memory', 'memory'], ['pids', 'pids'], ['devices', 'devices'], ['freezer', 'freezer'], ['unified', '']];
    hier.forEach(([dir, opt], i) => {
      mkdirSync(join(tree, dir));
      writeFileSync(join(tree, dir, 'cgroup.procs'), '');
      const type = opt ? 'cgroup' : 'cgroup2';
      lines.push(`${40 + i} 31 0:${40 + i} / ${tree}/${dir} rw,relatime - ${type} cgroup rw${opt ? `,${opt}` : ''}`);
    });
    writeFileSync(join(tree, 'cpuset/cpuset.cpus'), '0-1\n');
    writeFileSync(join(tree, 'cpuset/cpuset.mems'), '0\n');
    writeFileSync(join(tree, 'unified/cgroup.controllers'), '');
    const d = cgroupDriver({ root: tree, fsType: TMPFS_MAGIC, mountinfo: lines.join('\n') + '\n' }, fakeFs());
    const cg = d.create(trace, 'glass-x');
    // One command a learner could type for the ten directories.
    expect(steps.filter((s) => s.command.startsWith('mkdir')).map((s) => s.command)).toEqual([
      `mkdir ${tree}/{cpu,cpuset,memory,pids,devices,freezer,unified}/glass`,
      `mkdir ${tree}/{cpu,cpuset,memory,pids,devices,freezer,unified}/glass/glass-x`,
    ]);
    // The kernel's files in a fresh memory cgroup.
    writeFileSync(join(tree, 'memory/glass/glass-x/memory.limit_in_bytes'), '9223372036854771712\n');
    if (memsw) writeFileSync(join(tree, 'memory/glass/glass-x/memory.memsw.limit_in_bytes'), '9223372036854771712\n');
    writeFileSync(join(tree, 'memory/glass/glass-x/memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
    writes = [];
    steps = [];
    return { d, cg };
  };
  const limitWrites = () => writes.filter(([f]) => !f.includes('devices.'));

  it('puts every hierarchy\'s directory under glass/, the cpusets filled in from the parents', () => {
    const { cg } = v1();
    expect(cg.dirs).toEqual(['cpu', 'cpuset', 'memory', 'pids', 'devices', 'freezer', 'unified'].map((h) => join(tree, h, 'glass', 'glass-x')));
    expect(readFileSync(join(tree, 'cpuset/glass/cpuset.cpus'), 'utf8')).toBe('0-1');
    expect(readFileSync(join(tree, 'cpuset/glass/glass-x/cpuset.mems'), 'utf8')).toBe('0');
  });

  it.each<[string, CgroupLimits, Array<[string, string]>]>([
    ['-m 32m (memory-swap 64m)', { memory: 32 << 20, memorySwap: 64 << 20 }, [['memory/glass/glass-x/memory.limit_in_bytes', '33554432'], ['memory/glass/glass-x/memory.memsw.limit_in_bytes', '67108864']]],
    ['-m 32m --memory-swap -1: memsw first', { memory: 32 << 20, memorySwap: -1 }, [['memory/glass/glass-x/memory.memsw.limit_in_bytes', '-1'], ['memory/glass/glass-x/memory.limit_in_bytes', '33554432']]],
    ['--memory-reservation 16m', { memoryReservation: 16 << 20 }, [['memory/glass/glass-x/memory.soft_limit_in_bytes', '16777216']]],
    ['--oom-kill-disable', { memory: 32 << 20, oomKillDisable: true }, [['memory/glass/glass-x/memory.limit_in_bytes', '33554432'], ['memory/glass/glass-x/memory.oom_control', '1']]],
    ['--cpu-shares 512', { cpuShares: 512 }, [['cpu/glass/glass-x/cpu.shares', '512']]],
    ['--cpus 0.5', { nanoCpus: 5e8 }, [['cpu/glass/glass-x/cpu.cfs_period_us', '100000'], ['cpu/glass/glass-x/cpu.cfs_quota_us', '50000']]],
    ['--cpuset-cpus 1', { cpusetCpus: '1' }, [['cpuset/glass/glass-x/cpuset.cpus', '1']]],
    ['--pids-limit 10', { pidsLimit: 10 }, [['pids/glass/glass-x/pids.max', '10']]],
  ])('%s', (_flag, limits, expected) => {
    const { d, cg } = v1();
    d.applyLimits(trace, cg, limits);
    expect(limitWrites()).toEqual(expected);
  });

  it('without swap accounting: only memory, and the trace says why', () => {
    const { d, cg } = v1(false);
    d.applyLimits(trace, cg, { memory: 32 << 20, memorySwap: 64 << 20 });
    expect(limitWrites()).toEqual([['memory/glass/glass-x/memory.limit_in_bytes', '33554432']]);
    expect(steps.find((s) => s.title === 'No swap limit on this host')).toBeTruthy();
    expect(d.capabilities().swapLimit).toBe(false);
  });

  it('devices: deny all, then Docker\'s default list; every device when privileged', () => {
    const { d, cg } = v1();
    d.applyLimits(trace, cg, {});
    const dev = join(tree, 'devices/glass/glass-x');
    expect(writes).toEqual([['devices/glass/glass-x/devices.deny', 'a'], ...DEFAULT_DEVICE_RULES.map(([r]) => ['devices/glass/glass-x/devices.allow', r])]);
    expect(DEFAULT_DEVICE_RULES.map(([r]) => r)).toEqual(['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm']);
    expect(steps[0]!.command).toBe(`echo a > ${dev}/devices.deny`);
    writes = [];
    d.applyLimits(trace, cg, {}, { privileged: true });
    expect(writes).toEqual([['devices/glass/glass-x/devices.allow', 'a *:* rwm']]);
    writes = [];
    d.applyLimits(trace, cg, { pidsLimit: 5 }, { update: true }); // update: limits only
    expect(writes).toEqual([['pids/glass/glass-x/pids.max', '5']]);
  });

  it('pause is freezer.state', async () => {
    const { d, cg } = v1();
    const state = join(tree, 'freezer/glass/glass-x/freezer.state');
    await d.freeze(trace, cg, true);
    expect(readFileSync(state, 'utf8')).toBe('FROZEN');
    expect(d.isFrozen(cg)).toBe(true);
    await d.freeze(trace, cg, false);
    expect(writes.map(([, v]) => v)).toEqual(['FROZEN', 'THAWED']);
    expect(d.isFrozen(cg)).toBe(false);
  });
});
