import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { glass, isRoot, sleep, useRoot } from '../helpers.js';
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

  it('marks a container whose shim was killed as exited and kills what it left', async () => {
    const id = (await glass(root, ['run', '-d', '--name', 'orphan', 'busybox', 'sleep', '1000'])).stdout.trim();
    const state = JSON.parse(readFileSync(`${root}/containers/${id}/state.json`, 'utf8'));
    const init = state.pid as number;
    process.kill(state.shimPid, 'SIGKILL'); // only the shim we started: the init is orphaned
    await sleep(200);
    expect(alive(init)).toBe(true); // still running, but nobody watches it

    const ps = await glass(root, ['ps', '-a']);
    expect(ps.stdout).toMatch(/Exited \(137\) .* orphan/);
    await sleep(100);
    expect(alive(init)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/pids/glass-${id}`) || existsSync(`/sys/fs/cgroup/glass-${id}`)).toBe(false);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(id);
    // It can start again normally.
    expect((await glass(root, ['start', 'orphan'])).exitCode).toBe(0);
    expect(JSON.parse((await glass(root, ['inspect', 'orphan'])).stdout)[0].State.Running).toBe(true);
    await glass(root, ['rm', '-f', 'orphan']);
  });
});
