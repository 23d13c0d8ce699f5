import { describe, expect, it } from 'vitest';
import { glass, isRoot, useRoot } from '../helpers.js';

/** --explain narrates every kernel step: what, why, and the command to type. */
describe.skipIf(!isRoot)('--explain', () => {
  const root = useRoot();

  it('shows overlay, namespaces, pivot_root, /proc, hostname, cgroup placement and exec with why and command', async () => {
    const r = await glass(root, ['--explain', 'run', '--rm', '-h', 'explained', 'busybox', 'echo', 'hi']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('hi\n'); // the trace goes to stderr, the container's output stays clean
    const t = r.stderr;
    const step = (title: RegExp, command: RegExp) => {
      const blocks = t.split('▸').filter((b) => title.test(b));
      expect(blocks.length, `step ${title}`).toBeGreaterThan(0);
      const b = blocks[0]!;
      expect(b, `why of ${title}`).toMatch(/\n {4}why: \S/);
      expect(b, `command of ${title}`).toMatch(command);
    };
    step(/Mount the overlay root filesystem/, /\$ mount -t overlay overlay -o nodev,lowerdir=\/tmp\/glass-test-[^,]+\/images\/layers\/[0-9a-f]{64},upperdir=[^,]+\/fs\/upper,workdir=[^ ]+\/fs\/work /);
    step(/Create the container process in new namespaces/, /CLONE_NEWPID.*CLONE_NEWNS|CLONE_NEWNS.*CLONE_NEWPID/);
    step(/pivot_root/, /pivot_root/);
    step(/Mount \/proc/, /mount -t proc/);
    step(/Set the container's hostname/, /\$ hostname explained/);
    step(/Place pid \d+ in the container's cgroup/, /echo \d+ > (\$f|\/sys\/fs\/cgroup\/\S*glass-[0-9a-f]{64}\/cgroup\.procs)/);
    step(/Create the container's cgroup glass-/, /mkdir \/sys\/fs\/cgroup\/\S*glass-[0-9a-f]{64}/);
    step(/Execute the container's command/, /echo/);
    step(/Enter a new cgroup namespace/, /unshare/);
  });

  it('two CLIs explaining at once each print one whole, ordered trace of their own container', async () => {
    const [a, b] = await Promise.all([
      glass(root, ['--explain', 'run', '--rm', '--name', 'explain-a', 'busybox', 'echo', 'a']),
      glass(root, ['--explain', 'run', '--rm', '--name', 'explain-b', 'busybox', 'echo', 'b']),
    ]);
    for (const [r, out] of [[a, 'a\n'], [b, 'b\n']] as const) {
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(out);
      const titles = r.stderr.split('\n').filter((l) => l.startsWith('▸')).map((l) => l.replace(/^▸ \[(glass|shim)\] /, ''));
      // One container's steps, in the order the kernel saw them, each once.
      const order = ["Create the container's cgroup", 'Create the container process in new namespaces', 'Place pid', 'Mount the overlay root filesystem', 'Switch the root filesystem with pivot_root', "Execute the container's command"];
      const at = order.map((t) => titles.findIndex((x) => x.startsWith(t)));
      expect(at.every((i) => i >= 0), titles.join('\n')).toBe(true);
      expect([...at].sort((x, y) => x - y)).toEqual(at);
      expect(titles.filter((t) => t === "Execute the container's command").length).toBe(1);
      expect(r.stderr.match(/glass-[0-9a-f]{64}/g)!.every((m, _, all) => m === all[0])).toBe(true);
    }
    expect(a.stderr.match(/glass-[0-9a-f]{64}/)![0]).not.toBe(b.stderr.match(/glass-[0-9a-f]{64}/)![0]);
  });

  it('a step that fails is shown as failed, with the error', async () => {
    const r = await glass(root, ['--explain', 'run', '--rm', 'busybox', 'no-such-command']);
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toMatch(/✗ \[shim\] .*\(failed\)\n(.*\n)*? {4}error: .*no-such-command/);
  });
});
