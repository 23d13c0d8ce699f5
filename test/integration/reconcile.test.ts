import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { GLASS, glass, isRoot, removeContainersAfterEach, useRoot, waitFor, waitForExit } from '../helpers.js';
import { isSameProcessAlive } from '../../runtime/kernel/proc.js';

/** Alive = exists and is not a zombie waiting for the host's init to reap it. */
const alive = (pid: number) => isSameProcessAlive(pid, undefined);

/**
 * If a container's shim dies (killed, OOM, a host crash of the monitor), the
 * next glass command notices: the container is marked exited, whatever it
 * left running is killed through its cgroup, and the cgroup is removed.
 */
describe.skipIf(!isRoot)('reconciliation', () => {
  const root = useRoot();
  removeContainersAfterEach(root);

  // 44–47 s with the CPU throttled 20× (a cgroup with 5% of one CPU): room for 50×.
  it('marks a container whose shim was killed as exited and kills what it left', { timeout: 150_000 }, async () => {
    const id = (await glass(root, ['run', '-d', '--name', 'orphan', 'busybox', 'sleep', '1000'])).stdout.trim();
    const state = JSON.parse(readFileSync(`${root}/containers/${id}/state.json`, 'utf8'));
    const init = state.pid as number;
    process.kill(state.shimPid, 'SIGKILL'); // only the shim we started: the init is orphaned
    await waitForExit(state.shimPid, `the killed shim ${state.shimPid} to be gone`);
    expect(alive(init)).toBe(true); // still running, but nobody watches it

    const ps = await glass(root, ['ps', '-a']);
    // How it ended is not known: 255, as Docker shows for a container whose shim died, and inspect says why.
    expect(ps.stdout).toMatch(/Exited \(255\) .* orphan/);
    expect((await glass(root, ['inspect', '-f', '{{.State.Error}}', 'orphan'])).stdout).toMatch(/shim \(pid \d+\) died before it could record/);
    // ps killed it through its cgroup (SIGKILL: it ends as soon as the kernel has torn it down).
    expect(await waitFor(() => alive(init), (a) => !a, { what: `the orphaned init ${init} to be killed` })).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/pids/glass/glass-${id}`) || existsSync(`/sys/fs/cgroup/glass/glass-${id}`)).toBe(false);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(id);
    // It can start again normally.
    expect((await glass(root, ['start', 'orphan'])).exitCode).toBe(0);
    expect(JSON.parse((await glass(root, ['inspect', 'orphan'])).stdout)[0].State.Running).toBe(true);
    await glass(root, ['rm', '-f', 'orphan']);
  });

  it('a glass killed in the middle of export leaves a mount that the next glass removes', async () => {
    expect((await glass(root, ['run', '--name', 'big', 'busybox', 'dd', 'if=/dev/zero', 'of=/big', 'bs=1M', 'count=8'])).exitCode).toBe(0);
    // Nobody reads glass's stdout: once the pipe is full, export stalls with the container's files mounted.
    const exporting = execa(GLASS, ['--root', root, 'export', 'big'], { reject: false, stdin: 'ignore', buffer: false });
    exporting.stdout!.pause();
    const mounted = () => readFileSync('/proc/self/mountinfo', 'utf8').includes(`${root}/tmp/export-`);
    await waitFor(mounted, Boolean, { what: `export to mount ${root}/tmp/export-*` });
    exporting.kill('SIGKILL'); // only the glass we started
    await exporting;
    exporting.stdout!.destroy();
    expect(mounted()).toBe(true); // nothing unmounted it

    const ps = await glass(root, ['ps', '-a', '--format', '{{.Names}}']);
    expect(ps.stdout).toBe('big\n');
    expect(mounted()).toBe(false);
    expect(readdirSync(`${root}/tmp`)).toEqual([]);
    await glass(root, ['rm', 'big']);
  });
});
