import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, readdirSync } from 'node:fs';
import { GLASS, glass, isRoot, useRoot } from '../helpers.js';

/**
 * A descriptor the invoking shell had open must not reach the container: a
 * directory fd opened on the host is a way back into the host's files that
 * pivot_root cannot take away. The shim closes what it inherited; the init
 * marks everything but 0, 1 and 2 close-on-exec (native/fds.c).
 */
describe.skipIf(!isRoot)('inherited file descriptors', () => {
  const root = useRoot();
  const hostDir = `${root}/host-dir`;
  mkdirSync(hostDir, { recursive: true });
  /** Run glass from a bash that holds fd 300 on /etc and fd 301 on a host directory, neither close-on-exec. */
  const withFds = (args: string[]) =>
    execa('bash', ['-c', 'exec 300</etc 301<"$0"; exec "$@"', hostDir, GLASS, '--root', root, '--no-color', ...args], { reject: false, timeout: 60_000 });

  it('the container gets only 0, 1 and 2 (ls /proc/self/fd adds its own 3)', async () => {
    const r = await withFds(['run', '--rm', 'busybox', 'ls', '/proc/self/fd']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const fds = r.stdout.trim().split('\n');
    expect(fds).not.toContain('300');
    expect(fds).not.toContain('301');
    expect(fds).toEqual(['0', '1', '2', '3']);
  });

  it('the container cannot read the host through them', async () => {
    const r = await withFds(['run', '--rm', 'busybox', 'sh', '-c', 'ls /proc/self/fd/300/ 2>&1; cat /proc/self/fd/301/x 2>&1; true']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/No such file or directory/);
    expect(r.stdout).not.toMatch(/passwd|hostname/);
  });

  it('a detached container\'s shim and init keep none of them', async () => {
    const d = await withFds(['run', '-d', '--name', 'fds-detached', 'busybox', 'sleep', '30']);
    expect(d.exitCode).toBe(0);
    try {
      const info = JSON.parse((await glass(root, ['inspect', 'fds-detached'])).stdout)[0];
      const shimFds = readdirSync(`/proc/${info.GlassShimPid}/fd`);
      expect(shimFds.length).toBeGreaterThan(0);
      expect(shimFds).not.toContain('300');
      expect(shimFds).not.toContain('301');
      expect(readdirSync(`/proc/${info.State.Pid}/fd`).sort()).toEqual(['0', '1', '2']);
    } finally {
      await glass(root, ['rm', '-f', 'fds-detached']);
    }
  });
});
