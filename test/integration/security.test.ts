import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerIds, glass, isRoot, removeContainersAfterEach, useRoot } from '../helpers.js';

const status = 'grep -E "^(CapPrm|CapEff|CapBnd|CapInh|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status';
const field = (out: string, name: string) => new RegExp(`^${name}:\\s+(\\S+)$`, 'm').exec(out)?.[1];

/**
 * Default confinement as Docker's (issue 11): capabilities, seccomp,
 * no_new_privs, masked and read-only paths, nodev, --read-only, --privileged,
 * --group-add; what inspect shows; bad input refused with nothing made. The
 * escapes themselves are in breakout.test.ts.
 */
describe.skipIf(!isRoot)('confinement', () => {
  const root = useRoot();
  removeContainersAfterEach(root);

  it("keeps Docker's 14 capabilities, a seccomp filter, no no_new_privs (as docker run busybox shows)", async () => {
    const r = await glass(root, ['run', '--rm', 'busybox', 'sh', '-c', status]);
    expect(r.stderr).toBe('');
    for (const f of ['CapPrm', 'CapEff', 'CapBnd']) expect(field(r.stdout, f)).toBe('00000000a80425fb');
    expect(field(r.stdout, 'CapInh')).toBe('0000000000000000');
    expect(field(r.stdout, 'CapAmb')).toBe('0000000000000000');
    expect(field(r.stdout, 'NoNewPrivs')).toBe('0');
    expect(field(r.stdout, 'Seccomp')).toBe('2');
  });

  it('a non-root user starts with no capabilities, under the same bounding set; --group-add adds groups', async () => {
    const r = await glass(root, ['run', '--rm', '-u', 'nobody', '--group-add', 'wheel', '--group-add', '4242', 'busybox', 'sh', '-c', `id; ${status}`]);
    expect(r.stdout).toMatch(/^uid=65534\(nobody\) gid=65534\(nogroup\) groups=.*10\(wheel\)/m);
    expect(r.stdout).toMatch(/groups=.*4242/);
    expect(field(r.stdout, 'CapEff')).toBe('0000000000000000');
    expect(field(r.stdout, 'CapPrm')).toBe('0000000000000000');
    expect(field(r.stdout, 'CapBnd')).toBe('00000000a80425fb');
    const bad = await glass(root, ['run', '--rm', '--group-add', 'nosuchgroup', 'busybox', 'true']);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toContain('unable to find group nosuchgroup');
  });

  it('--cap-drop and --cap-add, ALL, with and without CAP_, any case', async () => {
    const one = await glass(root, ['run', '--rm', '--cap-drop', 'ALL', '--cap-add', 'net_raw', 'busybox', 'sh', '-c', status]);
    expect(field(one.stdout, 'CapEff')).toBe('0000000000002000');
    expect(field(one.stdout, 'CapBnd')).toBe('0000000000002000');
    const chown = await glass(root, ['run', '--rm', '--cap-drop', 'CAP_CHOWN', 'busybox', 'chown', 'nobody', '/etc/passwd']);
    expect(chown.exitCode).toBe(1);
    expect(chown.stderr).toContain('Operation not permitted');
    const time = await glass(root, ['run', '--rm', '--cap-add', 'Sys_Time', 'busybox', 'sh', '-c', status]);
    expect(BigInt(`0x${field(time.stdout, 'CapEff')}`) & (1n << 25n)).toBe(1n << 25n);
  });

  it('seccomp: unshare refused by default, allowed unconfined; a custom profile; no-new-privileges', async () => {
    const def = await glass(root, ['run', '--rm', 'busybox', 'unshare', '-U', '-r', 'id']);
    expect(def.stderr).toMatch(/unshare.*Operation not permitted/);
    const unconfined = await glass(root, ['run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'sh', '-c', `unshare -U -r id; ${status}`]);
    expect(unconfined.stdout).toMatch(/^uid=0\(root\)/m);
    expect(field(unconfined.stdout, 'Seccomp')).toBe('0');
    const dir = mkdtempSync(join(tmpdir(), 'glass-seccomp-'));
    try {
      writeFileSync(join(dir, 'nomkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
      const custom = await glass(root, ['run', '--rm', '--security-opt', `seccomp=${join(dir, 'nomkdir.json')}`, 'busybox', 'sh', '-c', 'mkdir /q; touch /t && echo touched']);
      expect(custom.stderr).toContain("mkdir: can't create directory '/q': Operation not permitted");
      expect(custom.stdout).toBe('touched\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const nnp = await glass(root, ['run', '--rm', '--security-opt', 'no-new-privileges', 'busybox', 'sh', '-c', status]);
    expect(field(nnp.stdout, 'NoNewPrivs')).toBe('1');
  });

  it('masks the host kernel\'s files, /proc/sys read-only, nodev: a disk node made with mknod cannot be opened', async () => {
    const r = await glass(root, ['run', '--rm', 'busybox', 'sh', '-c',
      'cat /proc/timer_list | wc -c; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname; mknod /tmp/sda b 8 0 && head -c1 /tmp/sda; mknod /dev/kmsg2 c 1 11 && head -c1 /dev/kmsg2; echo x > /dev/null && echo null-works']);
    expect(r.stdout).toBe('0\n0\nnull-works\n');
    expect(r.stderr).toContain('Read-only file system');
    expect(r.stderr).toContain('head: /tmp/sda: Permission denied');
    expect(r.stderr).toContain('head: /dev/kmsg2: Permission denied');
  });

  it('--read-only: the root is read-only, /dev/shm and /etc/hosts are not; inspect shows it', async () => {
    const r = await glass(root, ['run', '--name', 'ro', '--read-only', 'busybox', 'sh', '-c', 'touch /x; echo a > /dev/shm/a && echo shm; echo "# x" >> /etc/hosts && echo hosts']);
    expect(r.stderr).toContain('touch: /x: Read-only file system');
    expect(r.stdout).toBe('shm\nhosts\n');
    const hc = JSON.parse((await glass(root, ['inspect', 'ro'])).stdout)[0].HostConfig;
    expect(hc).toMatchObject({ ReadonlyRootfs: true, Privileged: false, CapAdd: null, CapDrop: null, SecurityOpt: null, GroupAdd: null });
    expect(hc.MaskedPaths).toContain('/proc/kcore');
    expect(hc.ReadonlyPaths).toContain('/proc/sys');
  });

  it('--privileged: every capability, no seccomp, /sys writable, no masks, the host\'s device nodes; inspect shows it', async () => {
    const r = await glass(root, ['run', '--name', 'priv', '--privileged', 'busybox', 'sh', '-c', `${status}; mount | grep -c " /sys type sysfs (rw"; ls /dev/kmsg; mkdir /m && mount -t tmpfs none /m && echo mounted`]);
    expect(r.exitCode).toBe(0);
    expect(field(r.stdout, 'CapEff')).toMatch(/^000001ff/);
    expect(field(r.stdout, 'Seccomp')).toBe('0');
    expect(r.stdout).toContain('\n1\n/dev/kmsg\nmounted\n');
    const hc = JSON.parse((await glass(root, ['inspect', 'priv'])).stdout)[0].HostConfig;
    expect(hc).toMatchObject({ Privileged: true, MaskedPaths: null, ReadonlyPaths: null });
  });

  it('inspect keeps --cap-add/--cap-drop normalised and --security-opt as Docker does', async () => {
    await glass(root, ['create', '--name', 'opts', '--cap-add', 'net_admin', '--cap-add', 'CAP_SYS_TIME', '--cap-drop', 'mknod', '--security-opt', 'no-new-privileges', '--security-opt', 'seccomp=unconfined', '--group-add', 'wheel', 'busybox']);
    const hc = JSON.parse((await glass(root, ['inspect', 'opts'])).stdout)[0].HostConfig;
    expect(hc).toMatchObject({ CapAdd: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'], CapDrop: ['CAP_MKNOD'], SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'], GroupAdd: ['wheel'] });
  });

  it('bad input: a clear error, exit 125, nothing made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glass-seccomp-'));
    try {
      writeFileSync(join(dir, 'bad.json'), 'this is not json');
      writeFileSync(join(dir, 'unknown.json'), '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","frobnicate"],"action":"SCMP_ACT_ALLOW"}]}');
      const cases: [string[], RegExp][] = [
        [['--cap-add', 'foo'], /^glass: invalid CapAdd: unknown capability: "CAP_FOO"\n$/],
        [['--cap-drop', 'CAP_NOPE'], /^glass: invalid CapDrop: unknown capability: "CAP_NOPE"\n$/],
        [['--security-opt', `seccomp=${join(dir, 'bad.json')}`], /^glass: seccomp profile \S+bad\.json: not valid JSON/],
        [['--security-opt', `seccomp=${join(dir, 'unknown.json')}`], /^glass: seccomp profile \S+unknown\.json: unknown syscall "frobnicate" in syscalls\[0\]\.names/],
        [['--security-opt', `seccomp=${join(dir, 'missing.json')}`], /^glass: opening seccomp profile \(\S+missing\.json\) failed: no such file or directory\n$/],
        [['--security-opt', 'no-new-privileges=maybe'], /^glass: invalid --security-opt 1: "no-new-privileges=maybe"\n$/],
        [['--security-opt', 'bogus'], /^glass: invalid --security-opt 1: "bogus"\n$/],
      ];
      for (const [flags, message] of cases) {
        for (const cmd of ['run', 'create']) {
          const r = await glass(root, [cmd, ...flags, 'busybox', 'true']);
          expect(r.stderr, flags.join(' ')).toMatch(message);
          expect(r.exitCode).toBe(125);
        }
      }
      expect(containerIds(root)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
