import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { glass, isRoot, removeContainersAfterEach, useRoot, waitFor } from '../helpers.js';

/**
 * The default bridge after something went wrong: a shim killed with SIGKILL
 * (the next glass command reconciles: the container's namespace, and so its veth, goes; its address stays
 * leased to the stopped container, as a stopped container's does), and a
 * restart that gets its address back; rm then leaves nothing of the network.
 */
const rootHash = (root: string) => createHash('sha256').update(root).digest('hex').slice(0, 6);
const veth = (id: string) => `veth${id.slice(0, 7)}`;
const leases = (root: string) => {
  const dir = `${root}/networks`;
  return existsSync(dir) ? readdirSync(dir).flatMap((n) => Object.keys(JSON.parse(readFileSync(`${dir}/${n}/leases.json`, 'utf8') || '{}'))) : [];
};

describe.skipIf(!isRoot)('default bridge: reconcile', { timeout: 180_000 }, () => {
  const root = useRoot();
  removeContainersAfterEach(root);
  const bridge = `gl${rootHash(root)}`;

  it('a killed shim takes the veth; restart keeps the address; rm leaves no lease, veth, bridge or rule', async () => {
    const run = await glass(root, ['run', '-d', '--name', 'rk', 'busybox', 'sleep', '600']);
    expect(run.exitCode).toBe(0);
    const id = run.stdout.trim();
    const fmt = ['inspect', '--format', '{{.NetworkSettings.IPAddress}} {{.GlassShimPid}}', 'rk'];
    const [ip, shimPid] = (await glass(root, fmt)).stdout.trim().split(' ');
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.2$/);
    expect(existsSync(`/sys/class/net/${veth(id)}`)).toBe(true);

    process.kill(Number(shimPid), 'SIGKILL');
    // The next glass command reconciles: the orphaned init is killed with its cgroup, and its
    // network namespace, with the veth pair in it, goes with it.
    await waitFor(() => glass(root, ['inspect', '--format', '{{.State.Running}} {{.NetworkSettings.IPAddress}}', 'rk']), (r) => r.stdout.trim() === 'false', { what: 'the container to be seen stopped', timeoutMs: 30_000 });
    await waitFor(() => existsSync(`/sys/class/net/${veth(id)}`), (there) => !there, { what: 'the veth to go with the namespace', timeoutMs: 30_000 });
    expect(leases(root)).toEqual([id]); // still its address, as a stopped container's

    expect((await glass(root, ['start', 'rk'])).exitCode).toBe(0);
    expect((await glass(root, ['inspect', '--format', '{{.NetworkSettings.IPAddress}}', 'rk'])).stdout.trim()).toBe(ip);

    expect((await glass(root, ['rm', '-f', 'rk'])).exitCode).toBe(0);
    expect(leases(root)).toEqual([]);
    expect(existsSync(`/sys/class/net/${veth(id)}`)).toBe(false);
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    expect(execFileSync('iptables-save', { encoding: 'utf8' })).not.toContain(`glass:${rootHash(root)}`);
  });
});
