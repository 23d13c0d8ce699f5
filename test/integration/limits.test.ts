import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { execa } from 'execa';
import { cgroupDriver, cgroupName } from '../../runtime/kernel/cgroup/index.js';
import { cleanRoot, glass, isRoot, newRoot, sleep, waitFor } from '../helpers.js';
import { settledLeaksOf, snapshot } from '../leaks.js';

/**
 * Resource limits on the real kernel. The cgroup files are found through the
 * layout glass detects (one directory per controller on v1 and hybrid hosts,
 * one directory on v2), so these run unchanged on either.
 */
const driver = isRoot ? cgroupDriver() : undefined;
const v2 = driver?.layout.kind === 'v2';
const dirOf = (id: string, controller: string) => driver!.controllerDir(driver!.plan(cgroupName(id)), controller)!;
const read = (id: string, controller: string, file: string) => readFileSync(join(dirOf(id, controller), file), 'utf8').trim();

/** CPU time the container's cgroup has used, in seconds: cpuacct.usage (v1, ns) or cpu.stat usage_usec (v2). */
function cpuSeconds(id: string): number {
  if (v2) return Number(/usage_usec (\d+)/.exec(read(id, 'cpu', 'cpu.stat'))![1]) / 1e6;
  return Number(read(id, 'cpuacct', 'cpuacct.usage')) / 1e9;
}

/** The share of one CPU the container used over `ms`, from its cgroup's counter. */
async function cpuShare(ids: string[], ms: number): Promise<number[]> {
  const before = ids.map(cpuSeconds);
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return ids.map((id, i) => (cpuSeconds(id) - before[i]!) / secs);
}

describe.skipIf(!isRoot)('resource limits on this host\'s cgroups', () => {
  let root: string;
  const made: string[] = [];
  const run = async (args: string[]) => {
    const r = await glass(root, ['run', '-d', ...args]);
    expect(r.stderr).toBe('');
    const id = r.stdout.trim();
    made.push(id);
    return id;
  };
  beforeAll(async () => {
    root = newRoot();
    await glass(root, ['run', '--rm', 'busybox', 'true']); // the busybox image, built once
  });
  afterAll(async () => {
    if (made.length) await glass(root, ['rm', '-f', ...made]);
    await cleanRoot(root);
  });

  it('-m 32m: tail /dev/zero is OOM-killed, exit 137, State.OOMKilled true; the limit is in the cgroup file', async () => {
    const r = await glass(root, ['run', '--name', 'oom', '-m', '32m', 'busybox', 'tail', '/dev/zero']);
    expect(r.exitCode).toBe(137);
    expect((await glass(root, ['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}', 'oom'])).stdout).toBe('true 137 33554432\n');
    expect((await glass(root, ['rm', 'oom'])).exitCode).toBe(0);
    // A container that exits on its own was not OOM-killed.
    const ok = await glass(root, ['run', '--name', 'fine', '-m', '32m', 'busybox', 'true']);
    expect(ok.exitCode).toBe(0);
    expect((await glass(root, ['inspect', '-f', '{{.State.OOMKilled}}', 'fine'])).stdout).toBe('false\n');
    await glass(root, ['rm', 'fine']);
    const id = await run(['-m', '32m', 'busybox', 'sleep', '60']);
    expect(read(id, 'memory', v2 ? 'memory.max' : 'memory.limit_in_bytes')).toBe('33554432');
  });

  it('--pids-limit 10 holds a fork bomb at 10 and the host stays responsive', async () => {
    const id = await run(['--pids-limit', '10', 'busybox', 'sh', '-c', 'bomb() { bomb | bomb & }; bomb 2>/dev/null; sleep 600']);
    expect(read(id, 'pids', 'pids.max')).toBe('10');
    const current = await waitFor(() => Number(read(id, 'pids', 'pids.current')), (n) => n >= 10, { what: 'the fork bomb to reach pids.max' });
    expect(current).toBe(10);
    for (let i = 0; i < 5; i++) {
      await sleep(200);
      expect(Number(read(id, 'pids', 'pids.current'))).toBeLessThanOrEqual(10);
    }
    const t0 = Date.now();
    await execa('sh', ['-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done']);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await glass(root, ['rm', '-f', id])).exitCode).toBe(0);
    made.splice(made.indexOf(id), 1);
  });

  it('--cpus 0.5 keeps a busy loop at 50% ± 10% of one CPU, read from the cgroup\'s usage counter', async () => {
    const id = await run(['--cpus', '0.5', 'busybox', 'sh', '-c', 'while :; do :; done']);
    expect(v2 ? read(id, 'cpu', 'cpu.max') : `${read(id, 'cpu', 'cpu.cfs_quota_us')} ${read(id, 'cpu', 'cpu.cfs_period_us')}`).toBe('50000 100000');
    await sleep(500);
    const [share] = await cpuShare([id], 4000);
    expect(share).toBeLessThan(0.6);
    // The cap is what the kernel enforces; reaching it needs a CPU to spare. On a host
    // busier than its CPU count (load above the CPUs) the loop gets less than its cap.
    if (loadavg()[0]! < availableParallelism() - 0.5) expect(share).toBeGreaterThan(0.4);
  });

  it('--cpu-shares 512 against 1024 on one contended CPU (--cpuset-cpus 0) splits about 1:2', async () => {
    const busy = ['busybox', 'sh', '-c', 'while :; do :; done'];
    const low = await run(['--cpuset-cpus', '0', '--cpu-shares', '512', ...busy]);
    const high = await run(['--cpuset-cpus', '0', '--cpu-shares', '1024', ...busy]);
    expect(read(low, 'cpuset', 'cpuset.cpus')).toBe('0');
    await sleep(500);
    const [a, b] = await cpuShare([low, high], 4000);
    expect(b! / a!).toBeGreaterThan(1.5);
    expect(b! / a!).toBeLessThan(2.6);
  });

  it('update changes a running container\'s cgroup files; pause freezes it (ps "(Paused)"), stop still works', async () => {
    const id = await run(['--name', 'upd', '-m', '32m', 'busybox', 'sh', '-c', 'while :; do sleep 0.1; done']);
    const up = await glass(root, ['update', '-m', '64m', '--memory-swap', '128m', '--pids-limit', '20', 'upd']);
    expect(up).toMatchObject({ exitCode: 0, stdout: 'upd\n' });
    expect(read(id, 'memory', v2 ? 'memory.max' : 'memory.limit_in_bytes')).toBe('67108864');
    expect(read(id, 'pids', 'pids.max')).toBe('20');
    expect((await glass(root, ['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}', 'upd'])).stdout).toBe('67108864 20\n');
    expect((await glass(root, ['update', '-m', '1k', 'upd'])).stderr).toBe('Error: Minimum memory limit allowed is 6MB\n');
    expect((await glass(root, ['pause', 'upd'])).stdout).toBe('upd\n');
    expect(v2 ? read(id, 'pids', 'cgroup.freeze') : read(id, 'freezer', 'freezer.state')).toBe(v2 ? '1' : 'FROZEN');
    expect((await glass(root, ['ps', '--format', '{{.Names}} {{.Status}}', '-f', 'name=upd'])).stdout).toMatch(/^upd Up .* \(Paused\)\n$/);
    expect((await glass(root, ['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'upd'])).stdout).toBe('paused true\n');
    expect(await glass(root, ['pause', 'upd'])).toMatchObject({ exitCode: 1, stderr: `Error: Container ${id} is already paused\n` });
    expect((await glass(root, ['unpause', 'upd'])).stdout).toBe('upd\n');
    expect(await glass(root, ['unpause', 'upd'])).toMatchObject({ exitCode: 1, stderr: `Error: Container ${id} is not paused\n` });
    await glass(root, ['pause', 'upd']);
    expect((await glass(root, ['stop', '-t', '1', 'upd'])).exitCode).toBe(0);
    expect((await glass(root, ['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'upd'])).stdout).toBe('exited false\n');
    expect(await glass(root, ['pause', 'upd'])).toMatchObject({ exitCode: 1, stderr: `Error: Container ${id} is not running\n` });
    const actions = (await glass(root, ['events', '--since', '0', '--until', '0s', '--filter', 'container=upd', '--format', '{{.Action}}'])).stdout.split('\n');
    expect(actions).toEqual(expect.arrayContaining(['update', 'pause', 'unpause']));
  });

  it.skipIf(!v2)('cgroup v2: the container reads its own limits at /sys/fs/cgroup, read-only, and sees none of the host\'s tree', async () => {
    const r = await glass(root, ['run', '--rm', '-m', '32m', '--cpus', '0.5', '--pids-limit', '10', 'busybox', 'sh', '-c',
      'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max; ls -d /sys/fs/cgroup/glass 2>&1; touch /sys/fs/cgroup/x 2>&1; true']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^33554432\n50000 100000\n10\nls: \/sys\/fs\/cgroup\/glass: No such file or directory\ntouch: \/sys\/fs\/cgroup\/x: Read-only file system\n$/);
  });

  it('bad limits are refused at create with Docker\'s words and exit 125, nothing left behind', async () => {
    const before = snapshot();
    const cases: Array<[string[], string]> = [
      [['-m', '10x'], `glass: invalid argument "10x" for "-m, --memory" flag: invalid size: '10x'\nSee 'glass run --help'.\n`],
      [['-m', '1k'], 'glass: Minimum memory limit allowed is 6MB\n'],
      [['-m', '64m', '--memory-swap', '32m'], 'glass: Minimum memoryswap limit should be larger than memory limit, see usage\n'],
      [['--cpus', '99'], /^glass: Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available\n$/ as unknown as string],
      [['--cpuset-cpus', '0-999'], /^glass: Requested CPUs are not available - requested 0-999, available: [\d,-]+\n$/ as unknown as string],
      [['--cpus', '0.5', '--cpu-period', '100000'], 'glass: Conflicting options: Nano CPUs and CPU Period cannot both be set\n'],
      [['--cpu-shares', '-5'], /^glass: invalid --cpu-shares -5/ as unknown as string],
      [['--cpu-quota', '-5'], /^glass: invalid --cpu-quota -5/ as unknown as string],
    ];
    for (const [flags, message] of cases) {
      const r = await glass(root, ['run', '--rm', ...flags, 'busybox', 'true']);
      expect(r.exitCode, flags.join(' ')).toBe(125);
      if (typeof message === 'string') expect(r.stderr).toBe(message);
      else expect(r.stderr).toMatch(message);
    }
    const left = existsSync(`${root}/containers`) ? readdirSync(`${root}/containers`).filter((d) => !made.includes(d)) : [];
    expect(left).toEqual([]);
    expect(await settledLeaksOf(root, before)).toEqual([]);
  });
});
