import { describe, expect, it } from 'vitest';
import { readFileSync, readlinkSync } from 'node:fs';
import { glass, glassInBackground, isRoot, removeContainersAfterEach, useRoot, waitFor, waitForLog } from '../helpers.js';
import { detectLayout } from '../../runtime/kernel/cgroup/layout.js';
import { readCgroupUsage } from '../../runtime/kernel/cgroup/stats.js';

/**
 * glass top, stats and xray against real containers: the processes with host
 * PIDs, numbers that move when the container works, and the container as the
 * kernel sees it beside the host.
 */
describe.skipIf(!isRoot)('top, stats, xray', () => {
  const root = useRoot();
  removeContainersAfterEach(root);

  const pidOf = async (name: string) => Number((await glass(root, ['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim());
  /** Host PIDs of a process's children (/proc/<pid>/task/<pid>/children). */
  const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

  it('top lists the container\'s processes with host PIDs, in Docker\'s columns; ps options pass through', async () => {
    await glass(root, ['run', '-d', '--name', 'tsx-top', 'busybox', 'sh', '-c', 'sleep 600 & echo started; wait']);
    await waitForLog(root, 'tsx-top', 'started');
    const pid = await pidOf('tsx-top');
    const child = await waitFor(() => childrenOf(pid), (c) => c.length === 1, { what: 'the sleep of tsx-top' });
    const r = await glass(root, ['top', 'tsx-top']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header!.split(/\s+/)).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(header!.indexOf('PID')).toBe(20); // tabwriter minwidth 20, as docker top
    const cells = rows.map((l) => l.split(/\s{2,}/));
    expect(cells.map((c) => [Number(c[1]), c.at(-1)])).toEqual([
      [pid, 'sh -c sleep 600 & echo started; wait'],
      [child[0], 'sleep 600'],
    ]);
    expect(Number(cells[1]![2])).toBe(pid); // its parent, by host PID

    const o = await glass(root, ['top', 'tsx-top', '-o', 'pid,comm']);
    expect(o.stdout.trimEnd().split('\n').map((l) => l.trim().split(/\s+/))).toEqual([['PID', 'COMMAND'], [String(pid), 'sh'], [String(child[0]), 'sleep']]);
    const aux = await glass(root, ['top', 'tsx-top', 'aux']);
    expect(aux.stdout.split('\n')[0]).toMatch(/^USER +PID +%CPU +%MEM/);
    expect(aux.stdout.trimEnd().split('\n')).toHaveLength(3);

    // Docker's check (moby's validatePSArgs, same expression): the words before "=PID" must be just "pid".
    const bad = await glass(root, ['top', 'tsx-top', '-o', 'pid,comm=PID']);
    expect([bad.exitCode, bad.stderr]).toEqual([1, 'Error: specifying "pid,comm=PID" is not allowed\n']);
  });

  it('top of a stopped or unknown container fails as Docker\'s does', async () => {
    const id = (await glass(root, ['create', '--name', 'tsx-stopped', 'busybox', 'true'])).stdout.trim();
    const r = await glass(root, ['top', 'tsx-stopped']);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([1, '', `Error: Container ${id} is not running\n`]);
    const u = await glass(root, ['top', 'tsx-nosuch']);
    expect([u.exitCode, u.stderr]).toEqual([1, 'Error: No such container: tsx-nosuch\n']);
  });

  const FORMAT = '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.MemPerc}}|{{.NetIO}}|{{.BlockIO}}|{{.PIDs}}';
  const parse = (line: string) => {
    const [name, cpu, mem, memPerc, net, block, pids] = line.split('|');
    return { name, cpu: parseFloat(cpu!), mem: mem!, memPerc: memPerc!, net, block, pids: Number(pids) };
  };
  const mib = (s: string) => {
    const m = /^([\d.]+)(B|KiB|MiB|GiB)$/.exec(s.split(' / ')[0]!)!;
    return Number(m[1]) * { B: 1 / 2 ** 20, KiB: 1 / 1024, MiB: 1, GiB: 1024 }[m[2] as 'B']!;
  };

  it('stats --no-stream: CPU % of a busy loop, memory a process holds, the number of tasks', async () => {
    await glass(root, ['run', '-d', '--name', 'tsx-busy', 'busybox', 'sh', '-c', 'while :; do :; done']);
    await glass(root, ['run', '-d', '--name', 'tsx-mem', 'busybox', 'sh', '-c', 'head -c 40m /dev/zero > /dev/shm/hold; echo held; exec sleep 600']);
    await glass(root, ['run', '-d', '--name', 'tsx-pids', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do sleep 600 & done; echo forked; wait']);
    await waitForLog(root, 'tsx-mem', 'held');
    await waitForLog(root, 'tsx-pids', 'forked');
    const r = await glass(root, ['stats', '--no-stream', '--format', FORMAT, 'tsx-busy', 'tsx-mem', 'tsx-pids']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const [busy, mem, pids] = r.stdout.trimEnd().split('\n').map(parse);
    expect([busy!.name, mem!.name, pids!.name]).toEqual(['tsx-busy', 'tsx-mem', 'tsx-pids']);
    // A loop that never sleeps: its share of the CPUs, however many other processes compete for them
    // (CI machines run many test files at once), against a container that sleeps.
    expect(busy!.cpu).toBeGreaterThan(2);
    expect(mem!.cpu).toBeLessThan(busy!.cpu);
    // 40 MiB in a tmpfs are charged to the container's cgroup (shmem: not file cache it could drop).
    expect(mib(mem!.mem)).toBeGreaterThanOrEqual(40);
    expect(mib(busy!.mem)).toBeLessThan(10);
    expect([busy!.pids, mem!.pids, pids!.pids]).toEqual([1, 1, 6]); // tasks: pids.current
    // Its eth0's bytes received / sent (loopback, which Docker does not count either, left out).
    expect(busy!.net).toMatch(/^[\d.]+[kMG]?B \/ [\d.]+[kMG]?B$/);
    expect(busy!.block).toMatch(/^[\d.]+[kMG]?B \/ [\d.]+[kMG]?B$/);
  }, 60_000);

  it('stats prints Docker\'s table; -a lists stopped containers with zeros; an unknown name fails first', async () => {
    await glass(root, ['run', '-d', '--name', 'tsx-table', 'busybox', 'sleep', '600']);
    await glass(root, ['create', '--name', 'tsx-idle', 'busybox', 'true']);
    const t = await glass(root, ['stats', '--no-stream', 'tsx-table']);
    const lines = t.stdout.trimEnd().split('\n');
    // Docker's columns (tabwriter: minwidth 10, padding 3); the widths of the last ones follow their values.
    expect(lines[0]).toMatch(/^CONTAINER ID   NAME        CPU % {5}MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    expect(lines[1]).toMatch(/^[0-9a-f]{12}   tsx-table   \d+\.\d\d% +[\d.]+[KMG]?i?B \/ [\d.]+[KMG]iB +\d+\.\d\d% +[\d.]+[kMG]?B \/ [\d.]+[kMG]?B +\S+ \/ \S+ +1$/);
    const all = await glass(root, ['stats', '--no-stream', '-a', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}']);
    expect(all.stdout).toContain('tsx-idle 0.00% 0B / 0B 0\n');
    expect(all.stdout).toMatch(/^tsx-table \d+\.\d\d% \S+ \/ \S+ 1$/m);
    const running = await glass(root, ['stats', '--no-stream', '--format', '{{.Name}}']);
    expect(running.stdout.split('\n')).toContain('tsx-table');
    expect(running.stdout.split('\n')).not.toContain('tsx-idle');
    const u = await glass(root, ['stats', '--no-stream', 'tsx-table', 'tsx-nosuch']);
    expect([u.exitCode, u.stdout, u.stderr]).toEqual([1, '', 'Error: No such container: tsx-nosuch\n']);
  });

  it('stats without --no-stream redraws each second until stopped', async () => {
    await glass(root, ['run', '-d', '--name', 'tsx-live', 'busybox', 'sleep', '600']);
    const live = glassInBackground(root, ['stats', '--format', '{{.Name}} {{.PIDs}}', 'tsx-live']);
    await waitFor(() => live.stdout().split('\x1b[2J\x1b[H').length - 1, (n) => n >= 2, { what: 'two frames of glass stats' });
    expect(live.stdout().split('\x1b[2J\x1b[H').filter(Boolean)[0]).toBe('tsx-live 1\n');
    live.proc.kill('SIGINT');
    await live.proc.catch(() => {});
  });

  it('xray: processes with both PIDs, its own namespaces, its cgroup, capabilities, seccomp, mounts, network', async () => {
    await glass(root, ['run', '-d', '--name', 'tsx-xray', 'busybox', 'sh', '-c', 'sleep 600 & echo started; wait']);
    await waitForLog(root, 'tsx-xray', 'started');
    const pid = await pidOf('tsx-xray');
    const r = await glass(root, ['xray', '--format', 'json', 'tsx-xray']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const x = JSON.parse(r.stdout);
    expect(x.pid).toBe(pid);
    expect(x.processes.map((p: { containerPid: number; command: string }) => [p.containerPid, p.command])).toEqual([[1, 'sh -c sleep 600 & echo started; wait'], [2, 'sleep 600']]);
    expect(x.processes[0].hostPid).toBe(pid);
    // Namespaces: its own pid, mnt, uts, ipc, net and cgroup; the inodes are the kernel's own.
    const kinds = Object.fromEntries(x.namespaces.map((n: { kind: string; shared: boolean }) => [n.kind, n.shared]));
    expect(kinds).toMatchObject({ pid: false, mnt: false, uts: false, ipc: false, net: false, cgroup: false });
    const net = x.namespaces.find((n: { kind: string }) => n.kind === 'net');
    expect(net.container).toBe(readlinkSync(`/proc/${pid}/ns/net`));
    expect(net.host).not.toBe(net.container);
    expect(x.cgroup.paths.every((p: string) => p.includes(`glass-${x.id}`))).toBe(true);
    expect(x.cgroup.usage.pids).toBe(2);
    expect(x.capabilities.effective).toContain('CAP_CHOWN');
    expect(x.capabilities.raw.CapEff).toBe(/CapEff:\s+(\w+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    expect(x.seccomp.mode).toBe(Number(/Seccomp:\s+(\d)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]));
    const root_ = x.mounts.find((m: { mountPoint: string }) => m.mountPoint === '/');
    expect([root_.fsType, root_.role]).toEqual(['overlay', 'root']);
    expect(x.rootfs.upper).toContain(x.id);
    expect(x.network.interfaces.map((i: { name: string }) => i.name).sort()).toEqual(['eth0', 'lo']);
    expect(x.network.note).toMatch(/^eth0 and lo, in a network namespace of its own/);

    const human = await glass(root, ['xray', 'tsx-xray']);
    expect(human.exitCode).toBe(0);
    for (const heading of ['PROCESSES', 'NAMESPACES', `CGROUP glass-${x.id}`, 'CAPABILITIES', 'CONFINEMENT', 'MOUNTS', 'NETWORK']) expect(human.stdout).toContain(heading);
    expect(human.stdout).toMatch(new RegExp(`^ +${pid} +1 +`, 'm'));
    expect(human.stdout).not.toContain('\x1b['); // not a terminal: no colour
  });

  it('xray shows the limits applied with -m, --cpus and --pids-limit', async () => {
    const help = await glass(root, ['run', '--help']);
    if (!help.stdout.includes('--pids-limit')) return; // limits not built in this tree yet
    await glass(root, ['run', '-d', '--name', 'tsx-limits', '-m', '64m', '--cpus', '0.5', '--pids-limit', '10', 'busybox', 'sleep', '600']);
    const x = JSON.parse((await glass(root, ['xray', '--format', 'json', 'tsx-limits'])).stdout);
    expect(x.cgroup.limits).toMatchObject({ memory: 64 * 2 ** 20, cpuQuotaUs: 50000, cpuPeriodUs: 100000, pidsMax: 10 });
    expect(x.cgroup.usage.memoryLimit).toBe(64 * 2 ** 20);
    const s = await glass(root, ['stats', '--no-stream', '--format', '{{.MemUsage}}', 'tsx-limits']);
    expect(s.stdout).toMatch(/ \/ 64MiB\n$/);
  });

  it('reads a real v2 cpu.stat: on a hybrid host, the v2 tree counts the same CPU time as v1\'s cpuacct.usage', async () => {
    const layout = detectLayout();
    const unified = layout.hierarchies.find((h) => h.version === 2);
    if (layout.kind !== 'hybrid' || !unified) return; // v2 hosts read cpu.stat in every stats test; v1-only hosts have none
    await glass(root, ['run', '-d', '--name', 'tsx-v2', 'busybox', 'sh', '-c', 'while :; do :; done']);
    const x = JSON.parse((await glass(root, ['xray', '--format', 'json', 'tsx-v2'])).stdout);
    const v2dir = x.cgroup.paths.find((p: string) => p.startsWith(unified.mountpoint + '/'));
    const v1dir = x.cgroup.paths.find((p: string) => /\/cpuacct[,/]|,cpuacct\//.test(p));
    const v1 = () => Number(readFileSync(`${v1dir}/cpuacct.usage`, 'utf8'));
    const before = v1();
    const read = readCgroupUsage({ kind: 'v2', root: unified.mountpoint, hierarchies: [unified] }, { name: x.cgroup.name, dirs: [v2dir] });
    const after = v1();
    expect(read.files.map((f) => f.path)).toContain(`${v2dir}/cpu.stat`);
    expect(read.cpuNs).toBeGreaterThan(0);
    // Both come from the scheduler's own per-task runtime; cpu.stat counts in microseconds.
    expect(read.cpuNs!).toBeGreaterThanOrEqual(before * 0.95 - 1000);
    expect(read.cpuNs!).toBeLessThanOrEqual(after * 1.05 + 1000);
  });

  it('xray of a stopped container says it is not running', async () => {
    const id = (await glass(root, ['create', '--name', 'tsx-x-stopped', 'busybox', 'true'])).stdout.trim();
    const r = await glass(root, ['xray', 'tsx-x-stopped']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`Error: Container ${id} is not running: xray looks at its processes, which exist only while it runs (glass start tsx-x-stopped)\n`);
    const f = await glass(root, ['xray', '--format', 'yaml', 'tsx-x-stopped']);
    expect([f.exitCode, f.stderr]).toEqual([1, 'Error: xray --format takes json (one JSON object, for notebooks and tools), not "yaml"\n']);
  });
});
