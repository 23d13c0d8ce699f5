import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { glass, isRoot, removeContainersAfterEach, stateOf, useRoot, waitFor, waitForExit, waitForState } from '../helpers.js';

/** glass-* cgroup directories of one container, in every hierarchy of this host. */
function cgroupDirs(id: string): string[] {
  const found: string[] = [];
  const base = '/sys/fs/cgroup';
  // Under glass's parent cgroup "glass" (runtime/kernel/cgroup/driver.ts) in each hierarchy.
  const candidates = [`${base}/glass/glass-${id}`, ...readdirSync(base).map((h) => `${base}/${h}/glass/glass-${id}`)];
  for (const c of candidates) if (existsSync(c)) found.push(c);
  return found;
}

/** Processes whose command line names this container's state directory (its shim) or that sit in its cgroup. */
function shims(root: string, id: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${root}/containers/${id}`)) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

/**
 * The CLI is killed (SIGKILL, as the OOM killer or a learner's kill -9 would)
 * at each step of `run`. Afterwards `ps -a` tells the truth, `start` never
 * makes a second shim, and `rm -f` leaves nothing behind.
 */
describe.skipIf(!isRoot)('a CLI killed at each step of run', () => {
  const root = useRoot();
  removeContainersAfterEach(root);
  const status = (name: string) => stateOf(root, name);
  const idOf = (name: string) => glass(root, ['inspect', '-f', '{{.Id}}', name]).then((r) => r.stdout.trim());

  const cases: { point: string; expect: 'none' | 'created' | 'running' }[] = [
    { point: 'create:before-config', expect: 'none' },
    { point: 'start:before-cgroup', expect: 'created' },
    { point: 'start:after-cgroup', expect: 'created' },
    { point: 'start:after-shim', expect: 'created' },
    { point: 'start:after-exec', expect: 'running' },
  ];

  for (const c of cases) {
    // ~12 glass commands: 32–49 s with the CPU throttled 20× (a cgroup with 5% of one CPU); room for 50×.
    it(`killed at ${c.point}: ps tells the truth (${c.expect}), start does not double it, rm -f leaves nothing`, { timeout: 150_000 }, async () => {
      const name = `fault-${c.point.replace(/[:]/g, '-')}`;
      const killed = await glass(root, ['run', '-d', '--name', name, 'busybox', 'sleep', '60'], { env: { GLASS_FAULT: c.point } });
      expect(killed.exitCode).not.toBe(0); // it really died there

      if (c.expect === 'none') {
        const ps = await glass(root, ['ps', '-a', '--format', '{{.Names}}']);
        expect(ps.stdout).not.toContain(name);
        // The name it had reserved is free again.
        expect((await glass(root, ['create', '--name', name, 'busybox', 'true'])).exitCode).toBe(0);
        expect((await glass(root, ['rm', '-f', name])).exitCode).toBe(0);
        return;
      }

      const id = await idOf(name);
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      // The next command sees the truth (a killed start settles within moments: wait on it).
      expect(await waitForState(root, name, c.expect)).toBe(c.expect);
      const psLine = (await glass(root, ['ps', '-a', '--filter', `name=^/${name}$`, '--format', '{{.Status}}'])).stdout;
      expect(psLine).toMatch(c.expect === 'running' ? /^Up / : /^Created/);
      if (c.expect === 'created') expect(cgroupDirs(id)).toEqual([]); // swept, or never made

      // start: a created one starts once; a running one is not started again.
      const pidBefore = (await glass(root, ['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim();
      expect((await glass(root, ['start', name])).exitCode).toBe(0);
      expect(await status(name)).toBe('running');
      if (c.expect === 'running') expect((await glass(root, ['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim()).toBe(pidBefore);
      expect(shims(root, id).length).toBe(1);

      const rm = await glass(root, ['rm', '-f', name]);
      expect(rm.exitCode).toBe(0);
      expect(existsSync(`${root}/containers/${id}`)).toBe(false);
      expect(cgroupDirs(id)).toEqual([]);
      expect(await waitFor(() => shims(root, id), (p) => p.length === 0, { what: `the shim of ${name} to end` })).toEqual([]);
    });
  }

  it('a shim killed with SIGKILL: the exit is recorded as unknown, with why, and rm -f leaves nothing', async () => {
    const id = (await glass(root, ['run', '-d', 'busybox', 'sleep', '60'])).stdout.trim();
    const shimPid = Number((await glass(root, ['inspect', '-f', '{{.GlassShimPid}}', id])).stdout.trim());
    expect(shimPid).toBeGreaterThan(0);
    process.kill(shimPid, 'SIGKILL');
    await waitForExit(shimPid, `the killed shim ${shimPid} to be gone`);
    const state = await glass(root, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}', id]);
    expect(state.stdout).toMatch(/^exited 255 the container's shim \(pid \d+\) died before it could record how the container exited/);
    // What was left of it (its init) was killed with its cgroup.
    expect(cgroupDirs(id)).toEqual([]);
    expect((await glass(root, ['rm', id])).exitCode).toBe(0);
    expect(existsSync(`${root}/containers/${id}`)).toBe(false);
  });
});
