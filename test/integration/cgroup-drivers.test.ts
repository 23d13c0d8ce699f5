import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { CgroupV2Driver } from '../../runtime/kernel/cgroup/v2.js';
import { CgroupV1Driver } from '../../runtime/kernel/cgroup/v1.js';
import { CGROUP2_SUPER_MAGIC, detectLayout, type CgroupLayout } from '../../runtime/kernel/cgroup/layout.js';
import { isSameProcessAlive } from '../../runtime/kernel/proc.js';
import type { CgroupDriver, ContainerCgroup } from '../../runtime/kernel/cgroup/driver.js';
import type { Step } from '../../runtime/kernel/step.js';
import { isRoot, waitFor } from '../helpers.js';

/**
 * Each driver against a real cgroup tree: create, place a process, find it,
 * kill everything in the cgroup, remove it. On a hybrid host the v2 driver is
 * pointed at the v2 tree (/sys/fs/cgroup/unified), so both versions run here.
 */
function v2Tree(): string | undefined {
  for (const p of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    try {
      if (statfsSync(p).type === CGROUP2_SUPER_MAGIC) return p;
    } catch { /* not mounted */ }
  }
  return undefined;
}

async function exercise(driver: CgroupDriver) {
  const steps: Step[] = [];
  const name = `glass-drivertest-${process.pid}`;
  const cg = driver.create((s) => steps.push(s), name);
  for (const d of cg.dirs) expect(existsSync(d)).toBe(true);
  // A process that, once placed (like the shim's "go"), forks a child: both
  // must be found and killed.
  const p = spawn('sh', ['-c', 'read go; sleep 100 & wait'], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  try {
    return await placeAndKill(driver, cg, p.pid!, steps, name, () => p.stdin!.write('go\n'));
  } finally {
    // Whatever an assertion left behind: the whole process group, then the cgroup.
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch { /* gone */ }
    await driver.remove(() => {}, cg).catch(() => {});
  }
}

async function placeAndKill(driver: CgroupDriver, cg: ContainerCgroup, pid: number, steps: Step[], name: string, go: () => void) {
  driver.place((s) => steps.push(s), cg, pid);
  go();
  // Placed, then told to go: it forks its sleep, born inside.
  const pids = await waitFor(() => driver.pids(cg), (p) => p.length >= 2, { what: `sh and the sleep it forks in ${cg.dirs.join(' ')}` });
  expect(pids).toContain(pid);
  expect(pids.length).toBe(2); // sh and the sleep it forked, born inside
  for (const d of cg.dirs) expect(readFileSync(`${d}/cgroup.procs`, 'utf8')).toContain(String(pid));
  driver.killAll((s) => steps.push(s), cg, 'SIGKILL');
  const alive = await waitFor(() => pids.filter((p) => isSameProcessAlive(p, undefined)), (a) => a.length === 0, { what: `every process of the cgroup killed: ${pids.join(' ')}` });
  expect(alive).toEqual([]);
  await driver.remove((s) => steps.push(s), cg);
  for (const d of cg.dirs) expect(existsSync(d)).toBe(false);
  expect(steps.map((s) => s.title)).toEqual(
    expect.arrayContaining([`Create the container's cgroup ${name}`, `Place pid ${pid} in the container's cgroup`, `Remove cgroup ${name}`]),
  );
  return steps;
}

describe.skipIf(!isRoot)('cgroup drivers on real trees', () => {
  const tree = v2Tree();
  it.skipIf(!tree)('v2: one directory, cgroup.kill', async () => {
    const layout: CgroupLayout = { kind: 'v2', root: tree!, hierarchies: [{ version: 2, mountpoint: tree!, controllers: [] }] };
    const steps = await exercise(new CgroupV2Driver(layout, undefined, { parent: '' }));
    // Linux 5.14+ kills the whole cgroup with one write; older kernels signal each pid.
    expect(steps.map((s) => s.command).join('\n')).toMatch(/echo 1 > \S*glass-drivertest-\d+\/cgroup\.kill|kill -KILL/);
  });

  const layout = detectLayout();
  it.skipIf(layout.kind === 'v2')('v1/hybrid: one directory per hierarchy', async () => {
    expect(layout.root).toBe('/sys/fs/cgroup');
    expect(layout.hierarchies.length).toBeGreaterThan(1);
    const steps = await exercise(new CgroupV1Driver(layout, undefined, { parent: '' }));
    expect(steps.find((s) => s.title.startsWith('Create'))!.command).toMatch(/^mkdir \/sys\/fs\/cgroup\/\{.+\}\/glass-drivertest-\d+$/);
  });
});
