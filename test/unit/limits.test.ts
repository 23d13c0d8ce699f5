import { describe, expect, it } from 'vitest';
import { checkResources, hostConfigResources, mergeUpdate, parseCpus, parseResourceOptions, ramInBytes, type Resources } from '../../runtime/engine/containers/limits.js';
import type { CgroupCapabilities } from '../../runtime/kernel/cgroup/limits.js';
import { parseArgs } from '../../runtime/cli/parse.js';

/** Docker 20.10's flag parsing and daemon checks for resource limits, without root. */
const host: CgroupCapabilities = { cpus: 2, cpuset: '0-1', swapLimit: true, oomKillDisable: true };
const check = (r: Resources, h: Partial<CgroupCapabilities> = {}) => checkResources(r, { ...host, ...h });

describe('sizes (go-units RAMInBytes)', () => {
  it.each([
    ['32m', 32 * 1024 ** 2],
    ['32M', 32 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['512k', 512 * 1024],
    ['100', 100],
    ['100b', 100],
    ['64MiB', 64 * 1024 ** 2],
    ['2 GB', 2 * 1024 ** 3],
  ])('%s is %d bytes', (s, n) => expect(ramInBytes(s)).toBe(n));
  it.each(['10x', '-1', '', 'm', '1.2.3', '1e3'])('%s does not parse', (s) => expect(ramInBytes(s)).toBeUndefined());
});

describe('flag values, with Docker\'s wording', () => {
  it('parses sizes, integers and --cpus', () => {
    expect(parseResourceOptions({ memory: '32m', memorySwap: '-1', cpus: '0.5', cpuShares: '512', pidsLimit: 10, cpusetCpus: '0' })).toEqual({
      memory: 33554432,
      memorySwap: -1,
      nanoCpus: 500_000_000,
      cpuShares: 512,
      pidsLimit: 10,
      cpusetCpus: '0',
    });
    expect(parseResourceOptions({})).toEqual({});
  });
  it('refuses what Docker\'s flag parser refuses', () => {
    expect(() => parseResourceOptions({ memory: '10x' })).toThrow(`invalid argument "10x" for "-m, --memory" flag: invalid size: '10x'`);
    expect(() => parseResourceOptions({ memory: '-5m' })).toThrow(`invalid argument "-5m" for "-m, --memory" flag: invalid size: '-5m'`);
    expect(() => parseResourceOptions({ memorySwap: '-2' })).toThrow(`invalid argument "-2" for "--memory-swap" flag: invalid size: '-2'`);
    expect(() => parseResourceOptions({ memoryReservation: 'lots' })).toThrow(`for "--memory-reservation" flag: invalid size: 'lots'`);
    expect(() => parseResourceOptions({ cpus: 'abc' })).toThrow('invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number');
    expect(() => parseResourceOptions({ cpus: '0.0000000001' })).toThrow('value is too precise');
    expect(() => parseResourceOptions({ cpuShares: 'x' })).toThrow('invalid argument "x" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "x": invalid syntax');
  });
  it('reads --cpus as a rational number, in billionths', () => {
    expect(parseCpus('1.5')).toBe(1_500_000_000);
    expect(parseCpus('3/2')).toBe(1_500_000_000);
    expect(parseCpus('.25')).toBe(250_000_000);
    expect(parseCpus('5e-1')).toBe(500_000_000);
    expect(parseCpus(2)).toBe(2_000_000_000);
  });
  it('the CLI has the flags on run and create (-m, -c as Docker)', () => {
    const p = parseArgs(['run', '-m', '32m', '-c', '512', '--cpus', '0.5', '--pids-limit', '10', '--oom-kill-disable', 'busybox']);
    expect(p.flags.memory).toBe('32m');
    expect(p.flags['cpu-shares']).toBe(512);
    expect(p.flags['pids-limit']).toBe(10);
    expect(p.flags['oom-kill-disable']).toBe(true);
    expect(parseArgs(['create', '--memory-swap', '-1', '--cpuset-cpus', '0', 'busybox']).flags['memory-swap']).toBe('-1');
  });
});

describe('the daemon\'s checks (verifyPlatformContainerResources)', () => {
  const fails = (r: Resources, message: string, h: Partial<CgroupCapabilities> = {}) => expect(() => check(r, h)).toThrow(message);
  it('memory', () => {
    fails({ memory: 1024 }, 'Minimum memory limit allowed is 6MB');
    fails({ memory: -1 }, 'Minimum memory limit allowed is 6MB');
    fails({ memory: 64 << 20, memorySwap: 32 << 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
    fails({ memorySwap: 32 << 20 }, 'You should always set the Memory limit when using Memoryswap limit, see usage');
    fails({ memoryReservation: 1 << 20 }, 'Minimum memory reservation allowed is 6MB');
    fails({ memory: 16 << 20, memoryReservation: 32 << 20 }, 'Minimum memory limit can not be less than memory reservation limit, see usage');
  });
  it('fills in Docker\'s swap default (as much swap as memory), or drops swap with its warning', () => {
    expect(check({ memory: 32 << 20 })).toEqual({ resources: { memory: 32 << 20, memorySwap: 64 << 20 }, warnings: [] });
    expect(check({ memory: 32 << 20, memorySwap: -1 }).resources).toEqual({ memory: 32 << 20, memorySwap: -1 });
    expect(check({ memory: 32 << 20 }, { swapLimit: false })).toEqual({
      resources: { memory: 32 << 20, memorySwap: -1 },
      warnings: ['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.'],
    });
  });
  it('--oom-kill-disable where the host has it, else dropped with a warning', () => {
    expect(check({ memory: 32 << 20, oomKillDisable: true }).resources.oomKillDisable).toBe(true);
    const v2 = check({ memory: 32 << 20, oomKillDisable: true }, { oomKillDisable: false });
    expect(v2.resources.oomKillDisable).toBeUndefined();
    expect(v2.warnings).toEqual(['Your kernel does not support OomKillDisable. OomKillDisable discarded.']);
  });
  it('cpu', () => {
    fails({ nanoCpus: 5e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    fails({ nanoCpus: -5e8 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    fails({ nanoCpus: 1e6 }, 'Range of CPUs is from 0.01 to 2.00'); // a quota under 1 ms: the kernel would refuse it
    fails({ nanoCpus: 5e8, cpuPeriod: 100000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
    fails({ nanoCpus: 5e8, cpuQuota: 50000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    fails({ cpuPeriod: 500 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    fails({ cpuPeriod: -1 }, 'CPU cfs period can not be less than 1ms');
    fails({ cpuQuota: 500 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
    fails({ cpuQuota: -5 }, 'invalid --cpu-quota -5');
    fails({ cpuShares: -5 }, 'invalid --cpu-shares -5');
    expect(check({ cpuQuota: -1 }).resources).toEqual({ cpuQuota: -1 });
  });
  it('cpuset', () => {
    fails({ cpusetCpus: '0-5' }, 'Requested CPUs are not available - requested 0-5, available: 0-1');
    fails({ cpusetCpus: '0-x' }, 'Invalid value 0-x for cpuset cpus: invalid format: 0-x');
    expect(check({ cpusetCpus: '1' }).resources).toEqual({ cpusetCpus: '1' });
  });
  it('pids: 0 and -1 mean no limit', () => {
    expect(check({ pidsLimit: -1 }).resources).toEqual({});
    expect(check({ pidsLimit: 10 }).resources).toEqual({ pidsLimit: 10 });
  });
});

describe('update and inspect', () => {
  it('merges as moby\'s UpdateContainer', () => {
    expect(mergeUpdate({ memory: 32 << 20, memorySwap: 64 << 20 }, { memory: 48 << 20 }, 'c')).toEqual({ memory: 48 << 20, memorySwap: 64 << 20 });
    expect(() => mergeUpdate({ memory: 32 << 20, memorySwap: 64 << 20 }, { memory: 128 << 20 }, 'c')).toThrow(
      'Cannot update container c: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time',
    );
    expect(() => mergeUpdate({ nanoCpus: 5e8 }, { cpuQuota: 20000 }, 'c')).toThrow('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
    expect(mergeUpdate({ pidsLimit: 10 }, { pidsLimit: 20, cpuShares: 512 }, 'c')).toEqual({ pidsLimit: 20, cpuShares: 512 });
  });
  it('shows HostConfig\'s resource fields as Docker does', () => {
    expect(hostConfigResources({ memory: 32 << 20, memorySwap: 64 << 20, nanoCpus: 5e8, pidsLimit: 10 })).toEqual({
      CpuShares: 0, Memory: 33554432, NanoCpus: 500000000, CpuPeriod: 0, CpuQuota: 0, CpusetCpus: '', MemoryReservation: 0, MemorySwap: 67108864, OomKillDisable: false, PidsLimit: 10,
    });
    expect(hostConfigResources(undefined).PidsLimit).toBeNull();
  });
});
