import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { hostname as hostHostname, networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { GLASS, glass, isRoot, removeContainersAfterEach, stateOf, useRoot, type Result } from '../helpers.js';

/**
 * The breakout suite: the classic ways out of a container, each tried in a
 * default container and asserted to fail with the error a user would see,
 * and, where the difference teaches something, tried again under
 * --privileged and asserted to work (so the security lesson can show what
 * --privileged gives away). Every attempt runs with --explain, and the trace
 * must name the defence that stopped it.
 *
 * Nothing here may harm the host if a defence is missing: the host's disk is
 * only read, no module is ever loaded (a 64-byte file of zeros is no module),
 * the clock is only set to the time it already reads, and every write that
 * is meant to work under --privileged lands in the container's own
 * namespaces (its hostname, its loopback interface, its mount table).
 *
 * The escapes busybox has no applet for (open_by_handle_at, the chroot climb,
 * ptrace, clock_settime) are in breakout-probe.c, built static on the host
 * and added to an image of busybox.
 */

const PROBE_C = fileURLToPath(new URL('./breakout-probe.c', import.meta.url));
const IMAGE = 'breakout-tools';

/** One step of the --explain trace, as the CLI prints it (▸ title, why:, $ command; ✗ for failed). */
interface TraceStep {
  by: string;
  title: string;
  why: string;
  command: string;
  failed: boolean;
}

function traceOf(stderr: string): TraceStep[] {
  const steps: TraceStep[] = [];
  for (const line of stderr.split('\n')) {
    const head = /^([▸✗]) \[(glass|shim)\] (.*)$/.exec(line);
    if (head) {
      steps.push({ by: head[2]!, title: head[3]!.replace(/ \(failed\)$/, ''), why: '', command: '', failed: head[1] === '✗' });
      continue;
    }
    const s = steps[steps.length - 1];
    if (!s) continue;
    const why = /^ {4}why: (.*)$/.exec(line);
    const cmd = /^ {4}\$ (.*)$/.exec(line);
    if (why) s.why = why[1]!;
    else if (cmd) s.command = s.command ? `${s.command}\n${cmd[1]}` : cmd[1]!;
  }
  return steps;
}

/**
 * What an attempt shows: the container's output (stdout and stderr together),
 * its exit code, the trace, and the seccomp rules it ran under (the file the
 * trace names, "cat it to read the rules"; none without a filter).
 */
interface Attempt {
  out: string;
  exitCode: number;
  trace: TraceStep[];
  rules?: string[];
  raw: Result;
}

/** The host's facts the escapes aim at, read on the host before any container runs. */
interface HostFacts {
  /** major:minor and /dev name of the block device holding the host's root filesystem. */
  disk: { majMin: string; major: string; minor: string; dev: string; fstype: string };
  /** The host's / as a directory listing. */
  rootListing: string[];
}

function hostFacts(): HostFacts {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/')!;
  const f = line.split(' ');
  const majMin = f[2]!;
  const [major, minor] = majMin.split(':') as [string, string];
  const after = f.slice(f.indexOf('-') + 1);
  const uevent = readFileSync(`/sys/dev/block/${majMin}/uevent`, 'utf8');
  const dev = `/dev/${/^DEVNAME=(.*)$/m.exec(uevent)![1]}`;
  return { disk: { majMin, major, minor, dev, fstype: after[0]! }, rootListing: readdirSync('/').sort() };
}

/**
 * `count` bytes of a host file from `offset`, as hex (read only), or, when
 * the host's root may not open it either, the error as a C program prints it.
 */
function hostBytes(path: string, offset: number, count: number): string | { message: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const messages: Record<string, string> = { EPERM: 'Operation not permitted', EACCES: 'Permission denied', EBUSY: 'Device or resource busy' };
    return { message: messages[code ?? ''] ?? String(code) };
  }
  try {
    const b = Buffer.alloc(count);
    readSync(fd, b, 0, count, offset);
    return b.toString('hex');
  } finally {
    closeSync(fd);
  }
}

const lines = (s: string) => s.split('\n').filter(Boolean);

describe.skipIf(!isRoot)('breakout suite: classic container escapes', () => {
  const root = useRoot();
  removeContainersAfterEach(root);
  const hostname = hostHostname();
  let host: HostFacts;

  beforeAll(async () => {
    host = hostFacts();
    // busybox plus the probe, as one image layer: export busybox's files, add the probe, import.
    const build = `${root}/probe-build`;
    mkdirSync(`${build}/add/bin`, { recursive: true });
    await execa('gcc', ['-static', '-O1', '-Wall', '-o', `${build}/add/bin/breakout-probe`, PROBE_C]);
    const c = await glass(root, ['create', '--name', 'breakout-base', 'busybox', 'true']);
    expect(c.exitCode, c.stderr).toBe(0);
    const e = await glass(root, ['export', '-o', `${build}/image.tar`, 'breakout-base']);
    expect(e.exitCode, e.stderr).toBe(0);
    await glass(root, ['rm', 'breakout-base']);
    await execa('tar', ['-rf', `${build}/image.tar`, '-C', `${build}/add`, './bin/breakout-probe']);
    const i = await glass(root, ['import', `${build}/image.tar`, IMAGE]);
    expect(i.exitCode, i.stderr).toBe(0);
  });

  afterAll(() => {
    // The host is as it was: these escapes must not have changed its name.
    expect(hostHostname()).toBe(hostname);
  });

  let attempts = 0;
  /**
   * Run `script` with sh in a fresh container of the test image, with
   * --explain; its stderr joins its stdout. The container is removed
   * afterwards (not --rm: its seccomp rules are read first).
   */
  async function attempt(script: string, runArgs: string[] = [], run: (args: string[]) => Promise<Result> = (args) => glass(root, args)): Promise<Attempt> {
    const name = `breakout-${++attempts}`;
    const raw = await run(['--explain', 'run', '--name', name, ...runArgs, IMAGE, 'sh', '-c', `exec 2>&1\n${script}`]);
    const trace = traceOf(raw.stderr);
    const file = /^glass writes (\S+)/.exec(trace.find((t) => /seccomp rules/.test(t.title))?.command ?? '')?.[1];
    const rules = file ? lines(readFileSync(file, 'utf8')).filter((l) => !l.startsWith('#')) : undefined;
    const rm = await glass(root, ['rm', name]);
    expect(rm.exitCode, rm.stderr).toBe(0);
    return { out: raw.stdout, exitCode: raw.exitCode, trace, rules, raw };
  }
  const privileged = (script: string) => attempt(script, ['--privileged']);

  // ---- the defences, as the trace names them --------------------------------

  /** The step that drops capabilities; `lacks` are the ones the escape needs, which it must not keep. */
  function expectCapabilitiesDropped(a: Attempt, ...lacks: string[]): void {
    const s = a.trace.find((t) => /capabilit/i.test(t.title));
    expect(s, `a capabilities step in the trace:\n${a.raw.stderr}`).toBeDefined();
    const kept = /# keep ([A-Z_, ]+)/.exec(s!.command)?.[1]?.split(/, /) ?? [];
    expect(kept.length, s!.command).toBeGreaterThan(0);
    for (const cap of lacks) expect(kept, `${cap} is dropped`).not.toContain(cap);
  }
  /** The seccomp filter is loaded, refuses what it does not allow with EPERM, and allows none of `syscalls`. */
  function expectSeccomp(a: Attempt, ...syscalls: string[]): void {
    const s = a.trace.find((t) => /Load the seccomp filter/.test(t.title));
    expect(s, `a seccomp step in the trace:\n${a.raw.stderr}`).toBeDefined();
    expect(s!.why).toMatch(/\S/);
    expect(s!.command).toMatch(/any other syscall: fails with EPERM/);
    expect(a.rules, 'the seccomp rules the trace names').toBeDefined();
    expect(a.rules![0]).toBe('default errno=1');
    for (const call of syscalls) expect(a.rules!.filter((r) => r.startsWith(`allow ${call} `) || r === `allow ${call}`), `rules allowing ${call}`).toEqual([]);
  }
  /** Under --privileged: every capability kept, and no seccomp filter at all. */
  function expectUnconfined(a: Attempt): void {
    const caps = a.trace.find((t) => /capabilit/i.test(t.title));
    expect(caps?.command, a.raw.stderr).toMatch(/--privileged: keep every capability/);
    expect(a.trace.find((t) => /seccomp/i.test(t.title)), 'no seccomp filter').toBeUndefined();
    expect(a.rules).toBeUndefined();
  }
  function expectStep(a: Attempt, title: RegExp, command?: RegExp): TraceStep {
    const s = a.trace.find((t) => title.test(t.title) && (!command || command.test(t.command)));
    expect(s, `a step ${title}${command ? ` doing ${command}` : ''} in the trace:\n${a.raw.stderr}`).toBeDefined();
    expect(s!.why, `why of ${title}`).toMatch(/\S/);
    return s!;
  }
  const expectNamespaces = (a: Attempt, flag: string) => expectStep(a, /Create the container process in new namespaces/, new RegExp(`CLONE_${flag}`));

  // ---- the escapes -----------------------------------------------------------

  describe('mounting a filesystem', () => {
    it('mount -t tmpfs: refused without CAP_SYS_ADMIN and by seccomp; works under --privileged (in its own mount namespace)', async () => {
      const a = await attempt('mkdir /mnt; mount -t tmpfs none /mnt; echo "exit=$?"; grep -c " /mnt " /proc/mounts');
      expect(a.out).toBe('mount: permission denied (are you root?)\nexit=1\n0\n');
      expectCapabilitiesDropped(a, 'SYS_ADMIN');
      expectSeccomp(a, 'mount');

      const p = await privileged('mkdir /mnt && mount -t tmpfs none /mnt && echo in-tmpfs > /mnt/f && cat /mnt/f && grep " /mnt " /proc/mounts');
      expect(p.out).toMatch(/^in-tmpfs\nnone \/mnt tmpfs rw/);
      expect(p.exitCode).toBe(0);
      expectUnconfined(p);
    });

    it('mount of a cgroup hierarchy (the release_agent escape, CVE-2022-0492) and undoing the masks: refused', async () => {
      // A cgroup v1 hierarchy's release_agent is a program the host's kernel runs as root; mounting one is the first
      // step. Unmounting a mask or remounting /proc/sys read-write would undo the masked and read-only paths.
      const masked = ['/proc/timer_list', '/proc/keys', '/proc/kcore'].find((f) => existsSync(f));
      const a = await attempt(`mkdir /tmp/cg; mount -t cgroup -o memory cgroup /tmp/cg; echo "exit=$?"; umount /proc/sys; echo "exit=$?"; mount -o remount,rw /proc/sys; echo "exit=$?"${masked ? `; umount ${masked}; echo "exit=$?"` : ''}`);
      expect(a.out).toBe(
        'mount: permission denied (are you root?)\nexit=1\n' +
          'umount: can\'t unmount /proc/sys: Operation not permitted\nexit=1\n' +
          'mount: permission denied (are you root?)\nexit=1\n' +
          (masked ? `umount: can't unmount ${masked}: Operation not permitted\nexit=1\n` : ''),
      );
      expectCapabilitiesDropped(a, 'SYS_ADMIN');
      expectSeccomp(a, 'mount', 'umount2', 'umount');
    });

    it('mount of the host\'s disk: refused; under --privileged the host\'s root filesystem appears in /mnt', async () => {
      const { major, minor, fstype } = host.disk;
      const a = await attempt(`mkdir /mnt; mknod /tmp/disk b ${major} ${minor}; mount -t ${fstype} /tmp/disk /mnt; echo "exit=$?"; ls -A /mnt | wc -l`);
      expect(a.out).toMatch(/mount: permission denied \(are you root\?\)\nexit=1\n0\n$/);
      expectCapabilitiesDropped(a, 'SYS_ADMIN');
      expectSeccomp(a, 'mount');

      // Read-only use: the host's filesystem is already mounted read-write, so this shares its superblock (as a bind
      // mount would); nothing is written, and the mount goes away with the container's mount namespace.
      const p = await privileged(`mkdir /mnt && mknod /tmp/disk b ${major} ${minor} && mount -t ${fstype} /tmp/disk /mnt && ls -A /mnt`);
      expect(p.exitCode, p.out).toBe(0);
      expect(lines(p.out).sort()).toEqual(host.rootListing);
      expectUnconfined(p);
    });
  });

  it('mknod of the host\'s disk and reading it: the node is made but cannot be opened (nodev); under --privileged it opens as for the host\'s root', async () => {
    const { major, minor, dev, fstype } = host.disk;
    // mknod itself is allowed, as in Docker (CAP_MKNOD is in the default set): opening the node is what is refused.
    const read = `mknod /tmp/disk b ${major} ${minor}; echo "mknod exit=$?"; dd if=/tmp/disk of=/tmp/sb bs=1024 skip=1 count=1 2>/tmp/dd.err; echo "dd exit=$?"; grep -v records /tmp/dd.err; od -A n -t x1 -v /tmp/sb 2>/dev/null | tr -d ' \\n'; echo`;
    const a = await attempt(read);
    // The root and /dev are mounted nodev: the kernel refuses to open any device node on them (EACCES), so not one
    // byte is read (the last line, the bytes read, is empty).
    expect(a.out).toBe("mknod exit=0\ndd exit=1\ndd: can't open '/tmp/disk': Permission denied\n\n");
    expectStep(a, /Mount the overlay root filesystem/, /^mount -t overlay overlay -o nodev,/);
    expect(expectStep(a, /Mount a private \/dev/, /nodev/).why).toMatch(/nodev/);
    // On cgroup v1 the devices cgroup is a second wall (Docker's list: mknod of anything, open of the harmless few).
    const v1Devices = existsSync('/sys/fs/cgroup/devices/devices.list');
    if (v1Devices) expectStep(a, /Deny the container every device/, /echo a > \S+\/devices\.deny/);

    // Under --privileged the container is host root with respect to devices: it reads the disk exactly when root on
    // the host itself may. (Some hosts refuse even their own root: a sandboxed VM can deny opening its disk to
    // everyone; then the container gets the host's own error, not glass's "Permission denied".)
    const p = await privileged(read);
    const onHost = hostBytes(dev, 1024, 1024);
    if (typeof onHost === 'string') {
      expect(p.out).toMatch(/^mknod exit=0\ndd exit=0\n[0-9a-f]+\n$/);
      const sb = lines(p.out).at(-1)!;
      expect(sb).toHaveLength(2048);
      if (/^ext[234]$/.test(fstype)) {
        // The ext4 superblock: magic 0xEF53 at byte 56, the filesystem's UUID at 104 — the host's own.
        expect(sb.slice(112, 116)).toBe('53ef');
        expect(sb.slice(208, 240)).toBe(onHost.slice(208, 240));
      }
    } else {
      expect(p.out).toBe(`mknod exit=0\ndd exit=1\ndd: can't open '/tmp/disk': ${onHost.message}\n\n`);
    }
    expect(expectStep(p, /Mount the overlay root filesystem/).command).not.toMatch(/nodev/);
    if (v1Devices) expectStep(p, /Allow the privileged container every device/, /echo "a \*:\* rwm" > \S+\/devices\.allow/);
    expectUnconfined(p);
  });

  describe('writing the kernel\'s settings', () => {
    it('/proc/sys is read-only; under --privileged kernel/hostname is writable, and namespaced (the host keeps its name)', async () => {
      const a = await attempt('echo pwned > /proc/sys/kernel/hostname; echo "exit=$?"; hostname; cat /proc/sys/vm/swappiness > /proc/sys/vm/swappiness; echo "exit=$?"');
      expect(a.out).toMatch(/^sh: can't create \/proc\/sys\/kernel\/hostname: Read-only file system\nexit=1\n[0-9a-f]{12}\nsh: can't create \/proc\/sys\/vm\/swappiness: Read-only file system\nexit=1\n$/);
      expectStep(a, /read-only/i, /\/proc\/sys/);

      const p = await privileged('echo from-proc-sys > /proc/sys/kernel/hostname && hostname');
      expect(p.out).toBe('from-proc-sys\n');
      expect(hostHostname()).toBe(hostname);
      expectUnconfined(p);
    });

    it('/sys is read-only; under --privileged it is writable (here: the container\'s own loopback interface)', async () => {
      const a = await attempt('cat /sys/class/net/lo/tx_queue_len > /sys/class/net/lo/tx_queue_len; echo "exit=$?"; touch /sys/x; echo "exit=$?"');
      expect(a.out).toBe("sh: can't create /sys/class/net/lo/tx_queue_len: Read-only file system\nexit=1\ntouch: /sys/x: Read-only file system\nexit=1\n");
      expectStep(a, /\/sys read-only/);

      const p = await privileged('echo 42 > /sys/class/net/lo/tx_queue_len && cat /sys/class/net/lo/tx_queue_len && grep " /sys " /proc/mounts');
      expect(p.out).toMatch(/^42\nsysfs \/sys sysfs rw,/);
      expectUnconfined(p);
    });

    it('/proc/sysrq-trigger cannot be opened for writing (it would reboot or crash the host)', async () => {
      // `exec 3>>` only opens it, appending nothing: no sysrq command is ever sent.
      const a = await attempt('exec 3>>/proc/sysrq-trigger; echo "exit=$?"');
      if (existsSync('/proc/sysrq-trigger')) {
        expect(a.out).toMatch(/^sh: can't create \/proc\/sysrq-trigger: Read-only file system\n/);
        expectStep(a, /read-only/i, /sysrq-trigger/);
        const p = await privileged('exec 3>>/proc/sysrq-trigger && echo open-for-writing');
        expect(p.out).toBe('open-for-writing\n');
      } else {
        // This kernel has no magic SysRq (CONFIG_MAGIC_SYSRQ=n): there is nothing to write, inside or out.
        expect(a.out).toMatch(/^sh: can't create \/proc\/sysrq-trigger: nonexistent directory\n/);
      }
    });
  });

  it('the kernel\'s memory and other host-wide /proc and /sys files are masked', async () => {
    const files = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats', '/proc/timer_stats'].filter((f) => existsSync(f));
    const dirs = ['/proc/acpi', '/proc/scsi', '/proc/asound', '/sys/firmware'].filter((d) => existsSync(d) && readdirSync(d).length);
    expect(files.length + dirs.length, 'this host has some of the masked paths').toBeGreaterThan(0);
    // At most 4 KiB of each: /proc/kcore, unmasked, is as large as the kernel's address space.
    const script = [...files.map((f) => `echo "${f} $(head -c 4096 ${f} | wc -c)"`), ...dirs.map((d) => `echo "${d} $(ls -A ${d} | wc -l)"`)].join('\n');
    const a = await attempt(script);
    expect(a.out).toBe([...files, ...dirs].map((p) => `${p} 0\n`).join(''));
    for (const p of [...files, ...dirs]) expectStep(a, /mask/i, new RegExp(p.replace(/\//g, '\\/')));

    const p = await privileged(script);
    for (const d of dirs) expect(p.out).toMatch(new RegExp(`^${d} [1-9]`, 'm'));
    for (const f of files) expect(p.out).toMatch(new RegExp(`^${f} [1-9]`, 'm'));
    if (files.includes('/proc/kcore')) {
      // The kernel's memory as an ELF core file: only its header is read.
      const k = await privileged('head -c 4 /proc/kcore | od -A n -c');
      expect(k.out.trim()).toMatch(/^177\s+E\s+L\s+F$/);
    }
  });

  describe('reaching the host\'s root', () => {
    it('through /proc/<pid>/root of a host process: no host process is in the container\'s PID namespace, privileged or not', async () => {
      const pid = process.pid; // this test's own process, on the host
      const script = `ls /proc/${pid}/root/; echo "exit=$?"; cat /proc/1/root/etc/hostname`;
      for (const args of [[], ['--privileged']]) {
        const a = await attempt(script, [...args, '-h', 'inside']);
        expect(a.out).toBe(`ls: /proc/${pid}/root/: No such file or directory\nexit=1\ninside\n`);
        expectNamespaces(a, 'NEWPID');
      }
    });

    it('through a descriptor inherited from the host: none gets in, privileged or not', async () => {
      for (const args of [[], ['--privileged']]) {
        // glass started from a shell holding fd 300 open on the host's /, not close-on-exec.
        const fromShell = async (glassArgs: string[]): Promise<Result> => {
          const r = await execa('bash', ['-c', 'exec 300</; exec "$@"', 'bash', GLASS, '--root', root, '--no-color', ...glassArgs], { reject: false, timeout: 60_000, stripFinalNewline: false });
          return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
        };
        const a = await attempt('ls /proc/self/fd; ls /proc/self/fd/300/; echo "exit=$?"', args, fromShell);
        expect(a.out).toBe('0\n1\n2\n3\nls: /proc/self/fd/300/: No such file or directory\nexit=1\n');
        expectStep(a, /Close the file descriptors the shim inherited/, /close_range/);
        expectStep(a, /close-on-exec/, /CLOSE_RANGE_CLOEXEC/);
      }
    });

    it('through open_by_handle_at ("shocker"): refused without CAP_DAC_READ_SEARCH; under --privileged it lists the host\'s /', async () => {
      // A handle names a directory by inode on a filesystem; /etc/hostname is a file of the host's filesystem that
      // holds glass's state (bound in), so the kernel accepts it as "the filesystem to look on".
      const mountPoint = execFileSync('stat', ['-c', '%m', root], { encoding: 'utf8' }).trim();
      const probe = `${root}/probe-build/add/bin/breakout-probe`;
      const [type, bytes] = execFileSync(probe, ['handle', mountPoint], { encoding: 'utf8' }).trim().split(' ');
      const script = `breakout-probe open-by-handle /etc/hostname ${type} ${bytes}; echo "exit=$?"`;
      const a = await attempt(script);
      expect(a.out).toBe('open_by_handle_at: Operation not permitted\nexit=1\n');
      expectCapabilitiesDropped(a, 'DAC_READ_SEARCH');
      expectSeccomp(a, 'open_by_handle_at');

      const p = await privileged(script);
      expect(lines(p.out).slice(0, -1).sort()).toEqual(readdirSync(mountPoint).sort());
      expect(lines(p.out).at(-1)).toBe('exit=0');
      expectUnconfined(p);
    });

    it('chroot escape (chroot, climb with cd .., chroot .): CAP_SYS_CHROOT is kept, and the climb ends at the container\'s own root', async () => {
      for (const args of [[], ['--privileged']]) {
        const a = await attempt('breakout-probe chroot-escape; echo "exit=$?"; echo ---; ls -A /', args);
        const [escaped, inside] = a.out.split('---\n') as [string, string];
        expect(lines(escaped).at(-1)).toBe('exit=0');
        const listing = lines(escaped).slice(0, -1).sort();
        // The container's own root (with the jail the probe made in it), not the host's.
        expect(listing).toEqual(lines(inside).sort());
        expect(listing).toContain('breakout-jail');
        expect(listing).not.toEqual(host.rootListing);
        expectStep(a, /pivot_root/, /pivot_root/);
        if (!args.length) expect(a.trace.find((t) => /capabilit/i.test(t.title))?.command).toMatch(/# keep .*SYS_CHROOT/);
      }
    });
  });

  it('unshare -U -r to regain capabilities: refused by seccomp; without the filter, the new user namespace\'s root has no power over the host', async () => {
    // Making a user namespace needs no capability at all: here seccomp is the only wall, as in Docker's profile
    // (unshare only with CAP_SYS_ADMIN, clone only without namespace flags).
    const a = await attempt('unshare -U -r id -u; echo "exit=$?"; unshare -m true; echo "exit=$?"');
    expect(a.out).toBe('unshare: unshare(0x10000000): Operation not permitted\nexit=1\nunshare: unshare(0x20000): Operation not permitted\nexit=1\n');
    expectSeccomp(a, 'unshare', 'setns');
    // clone() is allowed only without namespace flags (CLONE_NEWUSER, CLONE_NEWNS...: 0x7e020000 must be clear).
    const clone = a.rules!.filter((r) => /^allow clone( |$)/.test(r));
    expect(clone.length).toBeGreaterThan(0);
    for (const r of clone) expect(r).toMatch(new RegExp(`^allow clone 0:masked_eq:${0x7e020000}:0$`));

    // Without the filter (seccomp=unconfined, or --privileged): root in a user namespace of its own, uid 0 with
    // every capability, which count only over what that namespace owns (its new mount namespace: tmpfs works),
    // not over the host's disk, devices or the container's hostname (whose UTS namespace it does not own).
    const { major, minor, fstype } = host.disk;
    const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
    const allCaps = ((1n << BigInt(last + 1)) - 1n).toString(16).padStart(16, '0');
    for (const args of [['--security-opt', 'seccomp=unconfined'], ['--privileged']]) {
      const p = await attempt(
        `mkdir /mnt; mknod /tmp/disk b ${major} ${minor}; unshare -U -r -m sh -c 'id -u; grep CapEff /proc/self/status; mount -t tmpfs none /mnt && echo tmpfs-mounted; mount -t ${fstype} /tmp/disk /mnt; echo "exit=$?"; mknod /tmp/disk2 b ${major} ${minor}; echo "exit=$?"; hostname pwned; echo "exit=$?"'; hostname`,
        [...args, '-h', 'mine'],
      );
      expect(p.out, args.join(' ')).toBe(`0\nCapEff:\t${allCaps}\ntmpfs-mounted\nmount: permission denied (are you root?)\nexit=1\nmknod: /tmp/disk2: Operation not permitted\nexit=1\nhostname: sethostname: Operation not permitted\nexit=1\nmine\n`);
      expect(p.rules).toBeUndefined();
    }
  });

  it('loading a kernel module: refused (capability and seccomp); under --privileged the kernel gets as far as the module itself', async () => {
    // 64 zero bytes are no module: even where the call gets through, the kernel rejects it.
    const script = 'head -c 64 /dev/zero > /tmp/m.ko; insmod /tmp/m.ko; echo "exit=$?"';
    const a = await attempt(script);
    expect(a.out).toBe("insmod: can't insert '/tmp/m.ko': Operation not permitted\nexit=1\n");
    expectCapabilitiesDropped(a, 'SYS_MODULE');
    expectSeccomp(a, 'init_module', 'finit_module');

    const p = await privileged(script);
    // Past the capability check and the filter, the kernel itself answers: a kernel with modules says the file is no
    // module (or, enforcing signatures, that it is unsigned); one built without module support has no such call.
    expect(p.out).toMatch(/^insmod: can't insert '\/tmp\/m\.ko': (invalid module format|Exec format error|Key was rejected by service|Required key not available|kernel does not support requested operation)\nexit=\d+\n$/);
    expectUnconfined(p);
  });

  it('setting the host\'s clock: refused (capability and seccomp)', async () => {
    // The clock is the host's (not namespaced): the probe sets it to the time it reads, so a missing defence would
    // move it by microseconds; date -s runs only once the probe was refused.
    // (busybox's date says so but exits 0 all the same, printing the date it could not set: hidden here.)
    const a = await attempt('breakout-probe settime && exit 99; date -s "$(date +\'%Y-%m-%d %H:%M:%S\')" >/dev/null');
    expect(a.out).toBe("clock_settime: Operation not permitted\ndate: can't set date: Operation not permitted\n");
    expectCapabilitiesDropped(a, 'SYS_TIME');
    expectSeccomp(a, 'clock_settime', 'settimeofday');
  });

  it('changing the hostname: refused (as in Docker); under --privileged it changes the container\'s own, never the host\'s', async () => {
    const a = await attempt('hostname pwned; echo "exit=$?"; hostname', ['-h', 'before']);
    expect(a.out).toBe('hostname: sethostname: Operation not permitted\nexit=1\nbefore\n');
    expectCapabilitiesDropped(a, 'SYS_ADMIN');
    expectSeccomp(a, 'sethostname');

    const p = await attempt('hostname after && hostname', ['--privileged', '-h', 'before']);
    expect(p.out).toBe('after\n');
    expect(hostHostname()).toBe(hostname);
    expectNamespaces(p, 'NEWUTS');
  });

  it('seeing or signalling a host process: none is visible, privileged or not', async () => {
    const pid = process.pid;
    for (const args of [[], ['--privileged']]) {
      // `; :` keeps sh from exec'ing ps in its own place: the container then holds exactly sh (pid 1) and ps.
      const a = await attempt(`kill -0 ${pid}; echo "exit=$?"; ps -o pid,comm; :`, args);
      const [kill, exit, header, ...ps] = lines(a.out);
      expect(kill).toBe(`sh: can't kill pid ${pid}: No such process`); // kill is a builtin of busybox sh
      expect(exit).toBe('exit=1');
      expect(header).toMatch(/PID\s+COMMAND/);
      expect(ps.map((l) => l.trim().split(/\s+/))).toEqual([['1', 'sh'], [expect.stringMatching(/^\d+$/), 'ps']]);
      expectNamespaces(a, 'NEWPID');
    }
  });

  it('raw sockets: kept (CAP_NET_RAW, as Docker keeps it) but only in the container\'s network namespace; --cap-drop NET_RAW takes them away', async () => {
    // The raw socket is the container's network namespace's: ping works there, on lo and to its gateway (the
    // bridge's address on the host, through its own eth0); with --network none there is only lo, and the host's
    // own address is unreachable.
    const a = await attempt('ping -c 1 -W 1 127.0.0.1 | grep -o "1 packets received"; ip -o link | cut -d: -f2 | cut -d@ -f1; gw=$(ip route | awk \'/^default/ {print $3}\'); ping -c 1 -W 2 "$gw" | grep -o "1 packets received"');
    expect(a.out).toBe('1 packets received\n lo\n eth0\n1 packets received\n');
    expect(a.trace.find((t) => /capabilit/i.test(t.title))?.command).toMatch(/# keep .*NET_RAW/);
    expectNamespaces(a, 'NEWNET');
    const hostIp = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (hostIp) {
      const n = await attempt(`ip -o link | cut -d: -f2; ping -c 1 -W 1 ${hostIp}; echo "exit=$?"`, ['--network', 'none']);
      expect(n.out).toBe(` lo\nPING ${hostIp} (${hostIp}): 56 data bytes\nping: sendto: Network is unreachable\nexit=1\n`);
    }

    const d = await attempt('ping -c 1 -W 1 127.0.0.1; echo "exit=$?"', ['--cap-drop', 'NET_RAW']);
    expect(d.out).toBe('PING 127.0.0.1 (127.0.0.1): 56 data bytes\nping: permission denied (are you root?)\nexit=1\n');
    expectCapabilitiesDropped(d, 'NET_RAW');
  });

  it('ptrace: of its own child it works (Docker\'s profile allows it); a host process is out of reach', async () => {
    const pid = process.pid;
    const a = await attempt(`breakout-probe ptrace-child; echo "exit=$?"; breakout-probe ptrace ${pid}; echo "exit=$?"`);
    expect(a.out).toMatch(new RegExp(`^attached to my child \\d+: stopped\nexit=0\nptrace\\(PTRACE_ATTACH\\): No such process\nexit=1\n$`));
    expectCapabilitiesDropped(a, 'SYS_PTRACE');
    expectSeccomp(a);
    expect(a.rules).toContain('allow ptrace'); // Docker's profile allows it (kernel 4.8 and later)
    expectNamespaces(a, 'NEWPID');
  });

  it('glass exec into a default container takes its confinement; exec --privileged gets every capability but, as in Docker, still the container\'s seccomp filter', async () => {
    const d = await glass(root, ['run', '-d', '--name', 'breakout-exec', IMAGE, 'sleep', '300']);
    expect(d.exitCode, d.stderr).toBe(0);
    const script = 'exec 2>&1; grep -E "^(CapEff|Seccomp):" /proc/self/status; mkdir -p /mnt; mount -t tmpfs none /mnt; echo "exit=$?"; hostname pwned; echo "exit=$?"';
    const e = await glass(root, ['exec', 'breakout-exec', 'sh', '-c', script]);
    expect(e.stdout).toBe('CapEff:\t00000000a80425fb\nSeccomp:\t2\nmount: permission denied (are you root?)\nexit=1\nhostname: sethostname: Operation not permitted\nexit=1\n');

    // Docker's exec --privileged only widens the capabilities (moby#21984): the filter the container was started
    // with was resolved for its own 14 capabilities, so mount and sethostname are still refused.
    const hostBnd = /^CapBnd:\t(\w+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    const p = await glass(root, ['--explain', 'exec', '--privileged', 'breakout-exec', 'sh', '-c', script]);
    expect(p.stdout).toBe(`CapEff:\t${hostBnd}\nSeccomp:\t2\nmount: permission denied (are you root?)\nexit=1\nhostname: sethostname: Operation not permitted\nexit=1\n`);
    const a: Attempt = { out: p.stdout, exitCode: p.exitCode, trace: traceOf(p.stderr), raw: p };
    expect(expectStep(a, /Drop capabilities/).command).toMatch(/--privileged: keep every capability/);
    expect(expectStep(a, /Load the seccomp filter/).command).toMatch(/any other syscall: fails with EPERM/);
    expect((await glass(root, ['rm', '-f', 'breakout-exec'])).exitCode).toBe(0);
  });

  it('glass exec: while the entering process still runs glass-shim, the container cannot reach it (its /proc/<pid>/exe, its fds)', async () => {
    // CVE-2019-5736 (runc's binary overwritten through /proc/<pid>/exe) and CVE-2024-21626 (a host directory left
    // open in the entering process): a process in the container watches /proc while glass exec runs commands.
    const d = await glass(root, ['run', '-d', '--name', 'breakout-watch', IMAGE, 'breakout-probe', 'host-exe', '30']);
    expect(d.exitCode, d.stderr).toBe(0);
    for (let i = 0; i < 20 && (await stateOf(root, 'breakout-watch')) === 'running'; i++) await glass(root, ['exec', 'breakout-watch', 'true']);
    const w = await glass(root, ['wait', 'breakout-watch']);
    const logs = await glass(root, ['logs', 'breakout-watch']);
    expect(logs.stdout).toBe('');
    expect(logs.stderr).toMatch(/^no process running a host binary was reachable in 30 s/);
    expect(w.stdout.trim()).toBe('1');
    expect((await glass(root, ['rm', 'breakout-watch'])).exitCode).toBe(0);
  });

  it('the confinement itself, as /proc/self/status shows it: Docker\'s capability set and a seccomp filter; none of it under --privileged', async () => {
    const script = 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status';
    const a = await attempt(script);
    expect(a.out).toBe('CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t0\nSeccomp:\t2\n');
    const hostBnd = /^CapBnd:\t(\w+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    const p = await privileged(script);
    expect(p.out).toBe(`CapEff:\t${hostBnd}\nCapBnd:\t${hostBnd}\nNoNewPrivs:\t0\nSeccomp:\t0\n`);
    expectUnconfined(p);
  });
});
