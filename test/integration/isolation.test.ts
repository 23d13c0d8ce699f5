import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { glass, isRoot, removeContainersAfterEach, useRoot } from '../helpers.js';

/** The container sees its own PID 1, hostname, filesystem and nothing of the host. */
describe.skipIf(!isRoot)('isolation', () => {
  const root = useRoot();
  removeContainersAfterEach(root);

  it('runs as PID 1 with its own hostname and command line', async () => {
    const r = await glass(root, ['run', '--rm', '-h', 'box1', 'busybox', 'sh', '-c', 'echo $$; hostname; cat /proc/1/cmdline | tr "\\0" " "']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    // /proc/1/cmdline is NUL-separated with no final newline.
    expect(r.stdout).toBe('1\nbox1\nsh -c echo $$; hostname; cat /proc/1/cmdline | tr "\\0" " " ');
  });

  it('defaults the hostname to the short container ID', async () => {
    const r = await glass(root, ['run', '--name', 'hn-default', 'busybox', 'hostname']);
    const id = (await glass(root, ['inspect', 'hn-default'])).stdout;
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(id)[0].Id.slice(0, 12)).toBe(r.stdout.trim());
    await glass(root, ['rm', 'hn-default']);
  });

  it('gets its own /etc/hosts (its address and name) and the host\'s /etc/resolv.conf less loopback nameservers', async () => {
    const r = await glass(root, ['run', '--rm', '-h', 'box2', 'busybox', 'sh', '-c', 'cat /etc/resolv.conf; echo ---; grep box2 /etc/hosts; ip -4 -o addr show eth0']);
    expect(r.exitCode).toBe(0);
    const host = existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf', 'utf8') : '';
    const kept = host.split('\n').filter((l) => l.trim() && !/^\s*nameserver\s+(127\.|::1)/.test(l));
    if (!kept.some((l) => /^\s*nameserver\s/.test(l))) kept.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
    const [resolv, rest] = r.stdout.split('---\n');
    expect(resolv).toBe(`${kept.join('\n')}\n`);
    const ip = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(rest!)![1];
    expect(rest!.split('\n')[0]).toBe(`${ip}\tbox2`);
  });

  it('shows only its own processes', async () => {
    // ps once the background child has become sleep (exec'd), not after a guessed delay.
    const r = await glass(root, ['run', '--rm', 'busybox', 'sh', '-c', 'sleep 30 & until [ "$(cat /proc/$!/comm)" = sleep ]; do usleep 10000; done; ps -o pid,comm; :']);
    expect(r.exitCode).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(rows.map((x) => x[1]).sort()).toEqual(['ps', 'sh', 'sleep']);
    expect(rows.find((x) => x[1] === 'sh')![0]).toBe('1');
    // The host has many more processes, all invisible inside.
    expect(readdirSync('/proc').filter((p) => /^\d+$/.test(p)).length).toBeGreaterThan(3);
  });

  it('has its own network namespace: loopback (up) and eth0, none of the host\'s interfaces', async () => {
    const r = await glass(root, ['run', '--rm', 'busybox', 'sh', '-c', 'ls /sys/class/net; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-ok']);
    expect(r.stdout.trim().split('\n')).toEqual(['eth0', 'lo', 'lo-ok']);
    // --network none: only the loopback, as Docker.
    const none = await glass(root, ['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-ok']);
    expect(none.stdout.trim().split('\n')).toEqual(['lo', 'lo-ok']);
  });

  it('sees /proc/self/cgroup rooted at its own cgroup, and a read-only /sys', async () => {
    const r = await glass(root, ['run', '--rm', 'busybox', 'sh', '-c', 'cat /proc/self/cgroup; touch /sys/x 2>&1; true']);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines.filter((x) => /^\d+:/.test(x))) expect(l.endsWith(':/')).toBe(true);
    expect(r.stdout).toMatch(/Read-only file system/);
  });

  it('has a private /dev with the standard devices', async () => {
    const r = await glass(root, ['run', '--rm', 'busybox', 'ls', '/dev']);
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      ['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'].sort(),
    );
    const n = await glass(root, ['run', '--rm', 'busybox', 'sh', '-c', 'echo hi > /dev/null && head -c 4 /dev/zero | wc -c']);
    expect(n.stdout.trim()).toBe('4');
  });

  // 29–35 s at 20× slower (a CPU-throttled cgroup): room for 50×.
  it('keeps writes in the container: not in the image, not in another container; export includes them', { timeout: 120_000 }, async () => {
    const w = await glass(root, ['run', '--name', 'writer', 'busybox', 'sh', '-c', 'echo secret > /etc/written-inside; mkdir -p /srv/a']);
    expect(w.exitCode).toBe(0);
    const other = await glass(root, ['run', '--rm', 'busybox', 'sh', '-c', 'cat /etc/written-inside 2>&1; ls /srv 2>&1']);
    expect(other.stdout).toMatch(/No such file or directory/);
    // The image's own layer is untouched.
    const layers = readdirSync(`${root}/images/layers`);
    for (const l of layers) expect(existsSync(`${root}/images/layers/${l}/etc/written-inside`)).toBe(false);
    const tarFile = `${root}/writer.tar`;
    const e = await glass(root, ['export', '-o', tarFile, 'writer']);
    expect(e.exitCode).toBe(0);
    const list = (await execa('tar', ['-tf', tarFile])).stdout.split('\n');
    expect(list).toContain('./etc/written-inside');
    expect(list).toContain('./bin/busybox');
    const content = (await execa('tar', ['-xOf', tarFile, './etc/written-inside'])).stdout;
    expect(content).toBe('secret');
    await glass(root, ['rm', 'writer']);
  });

  // 35–36 s at 20× slower (a CPU-throttled cgroup): room for 50×.
  it('applies env, workdir, user and entrypoint like Docker', { timeout: 120_000 }, async () => {
    const r = await glass(root, ['run', '--rm', '-e', 'FOO=bar', '-w', '/tmp', '-u', '65534:65534', '--hostname', 'myhost', 'busybox', 'sh', '-c', 'echo $FOO; pwd; id; hostname']);
    expect(r.stdout).toBe('bar\n/tmp\nuid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\nmyhost\n');
    const u = await glass(root, ['run', '--rm', '-u', 'nobody', 'busybox', 'id', '-u']);
    expect(u.stdout.trim()).toBe('65534');
    const ep = await glass(root, ['run', '--rm', '--entrypoint', '/bin/echo', 'busybox', 'from-entrypoint']);
    expect(ep.stdout).toBe('from-entrypoint\n');
    const env = await glass(root, ['run', '--rm', '-h', 'envhost', 'busybox', 'env']);
    expect(env.stdout).toBe('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=envhost\nHOME=/root\n');
    const wd = await glass(root, ['run', '--rm', '-w', '/new/dir', 'busybox', 'pwd']);
    expect(wd.stdout).toBe('/new/dir\n');
  });

  it('passes exit codes through', async () => {
    expect((await glass(root, ['run', '--rm', 'busybox', 'sh', '-c', 'exit 42'])).exitCode).toBe(42);
    expect((await glass(root, ['run', '--rm', 'busybox', 'true'])).exitCode).toBe(0);
  });
});
