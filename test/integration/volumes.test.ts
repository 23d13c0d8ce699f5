import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { glass, isRoot, useRoot, waitFor } from '../helpers.js';

/**
 * Volumes as Docker's docs use them, against real containers: anonymous
 * volumes pre-filled from the image, a named volume shared by two running
 * containers, bind mounts (read-only, a single file), --volumes-from, data
 * that outlives `rm`, `rm -v`, `volume rm` of a volume in use, a symlink in
 * the image that must not lead a mount onto the host, and nothing left
 * mounted on the host.
 */
const SLOW_MS = 150_000;

/** Lines of the host's mount table that mention this root: there must be none, ever (mounts live in the containers' namespaces). */
const hostMountsUnder = (root: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(root));

const volumeNames = async (root: string) => (await glass(root, ['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean);

describe.skipIf(!isRoot)('volumes', () => {
  const root = useRoot();
  const host = join(root, 'host'); // host directories to bind (inside the test's own root: removed with it)
  mkdirSync(host, { recursive: true });

  it('-v /etc: an anonymous volume, pre-filled with the image\'s files; inspect shows it; rm -v removes it', { timeout: SLOW_MS }, async () => {
    const ls = await glass(root, ['run', '--name', 'anon', '-v', '/etc', 'busybox', 'ls', '/etc']);
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout.split('\n')).toEqual(expect.arrayContaining(['group', 'passwd']));
    const mounts = JSON.parse((await glass(root, ['inspect', '--format', '{{json .Mounts}}', 'anon'])).stdout);
    expect(mounts).toEqual([
      { Type: 'volume', Name: expect.stringMatching(/^[0-9a-f]{64}$/), Source: expect.stringMatching(new RegExp(`^${root}/volumes/[0-9a-f]{64}/_data$`)), Destination: '/etc', Driver: 'local', Mode: '', RW: true, Propagation: '' },
    ]);
    const name = mounts[0].Name as string;
    expect(readdirSync(mounts[0].Source)).toEqual(expect.arrayContaining(['group', 'passwd'])); // the files are on the host, in the volume
    expect((await glass(root, ['inspect', '--format', '{{json .Config.Volumes}}', 'anon'])).stdout.trim()).toBe('{"/etc":{}}');
    expect(await volumeNames(root)).toContain(name);
    expect((await glass(root, ['rm', '-v', 'anon'])).stdout).toBe('anon\n');
    expect(await volumeNames(root)).not.toContain(name);
    expect(existsSync(join(root, 'volumes', name))).toBe(false);
  });

  it('a named volume shared by two running containers; in use it cannot be removed; its data survives rm (and rm -v)', { timeout: SLOW_MS }, async () => {
    expect((await glass(root, ['volume', 'create', 'shared'])).stdout).toBe('shared\n');
    const a = await glass(root, ['run', '-d', '--name', 'va', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'echo from-a > /data/a; sleep 600']);
    const b = await glass(root, ['run', '-d', '--name', 'vb', '-v', 'shared:/data', 'busybox', 'sleep', '600']);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    const seen = await waitFor(() => glass(root, ['exec', 'vb', 'cat', '/data/a']), (r) => r.exitCode === 0, { what: 'vb to see the file va wrote' });
    expect(seen.stdout).toBe('from-a\n');
    expect((await glass(root, ['inspect', '--format', '{{json .Mounts}}', 'vb'])).stdout.trim()).toBe(
      JSON.stringify([{ Type: 'volume', Name: 'shared', Source: `${root}/volumes/shared/_data`, Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' }]),
    );

    expect((await glass(root, ['ps', '--filter', 'volume=shared', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort()).toEqual(['va', 'vb']);
    const refused = await glass(root, ['volume', 'rm', 'shared']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^Error response from daemon: remove shared: volume is in use - \[[0-9a-f]{64}, [0-9a-f]{64}\]\n$/);
    // Nothing of it is mounted on the host while the containers run: the mounts are in their own namespaces.
    expect(hostMountsUnder(root)).toEqual([]);

    expect((await glass(root, ['rm', '-f', '-v', 'va', 'vb'])).exitCode).toBe(0);
    expect(await volumeNames(root)).toContain('shared'); // never removed with a container
    expect((await glass(root, ['run', '--rm', '-v', 'shared:/data', 'busybox', 'cat', '/data/a'])).stdout).toBe('from-a\n');
    expect((await glass(root, ['volume', 'rm', 'shared'])).stdout).toBe('shared\n');
    expect(existsSync(join(root, 'volumes', 'shared'))).toBe(false);
  });

  it('bind mounts: read-write back to the host, :ro refuses writes (EROFS), a single file, nodev', { timeout: SLOW_MS }, async () => {
    const dir = join(host, 'bind');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hello.txt'), 'from host\n');
    execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
    const rw = await glass(root, ['run', '--rm', '-v', `${dir}:/mnt`, 'busybox', 'sh', '-c', 'cat /mnt/hello.txt; echo back > /mnt/from-container; head -c1 /mnt/null']);
    expect(rw.stdout).toBe('from host\n');
    expect(rw.stderr).toMatch(/head: \/mnt\/null: Permission denied/); // the mount is nodev: a device node in it cannot be opened
    expect(readFileSync(join(dir, 'from-container'), 'utf8')).toBe('back\n');

    const ro = await glass(root, ['run', '--rm', '-v', `${dir}:/mnt:ro`, 'busybox', 'sh', '-c', 'cat /mnt/hello.txt; echo nope > /mnt/g']);
    expect(ro.exitCode).toBe(1);
    expect(ro.stdout).toBe('from host\n');
    expect(ro.stderr).toBe("sh: can't create /mnt/g: Read-only file system\n");
    expect(existsSync(join(dir, 'g'))).toBe(false);

    const file = join(host, 'app.conf');
    writeFileSync(file, 'setting=1\n');
    const one = await glass(root, ['run', '--rm', '-v', `${file}:/etc/app.conf`, 'busybox', 'sh', '-c', 'cat /etc/app.conf; echo setting=2 >> /etc/app.conf; ls /etc | grep -c app']);
    expect(one.stdout).toBe('setting=1\n1\n');
    expect(readFileSync(file, 'utf8')).toBe('setting=1\nsetting=2\n');
    expect((await glass(root, ['run', '--rm', '--mount', `type=bind,source=${file},target=/etc/app.conf,readonly`, 'busybox', 'sh', '-c', 'echo x >> /etc/app.conf'])).stderr).toMatch(/Read-only file system/);

    // Docker 20.10's -v makes a missing host directory; --mount refuses it.
    const missing = join(host, 'made-by-v');
    expect((await glass(root, ['run', '--rm', '-v', `${missing}:/m`, 'busybox', 'ls', '-ld', '/m'])).exitCode).toBe(0);
    expect(statSync(missing).isDirectory()).toBe(true);
  });

  it('volumes are filled at create, as in Docker: a data container that never runs shares the image\'s files', { timeout: SLOW_MS }, async () => {
    expect((await glass(root, ['create', '--name', 'datac', '-v', '/etc', 'busybox'])).exitCode).toBe(0);
    expect(hostMountsUnder(root)).toEqual([]); // the layers were mounted in the prefill's own namespace only
    const ls = await glass(root, ['run', '--rm', '--volumes-from', 'datac', 'busybox', 'ls', '/etc']);
    expect(ls.stdout.split('\n')).toEqual(expect.arrayContaining(['group', 'passwd']));
    expect(existsSync(join(root, 'containers', (await glass(root, ['inspect', '--format', '{{.Id}}', 'datac'])).stdout.trim(), 'shim.spec'))).toBe(false);
    await glass(root, ['rm', '-v', 'datac']);
  });

  it('--volumes-from shares a container\'s volumes, :ro read-only', { timeout: SLOW_MS }, async () => {
    expect((await glass(root, ['create', '-v', '/shared', '--name', 'store', 'busybox'])).exitCode).toBe(0);
    expect((await glass(root, ['run', '--rm', '--volumes-from', 'store', 'busybox', 'sh', '-c', 'echo shared-data > /shared/x'])).exitCode).toBe(0);
    expect((await glass(root, ['run', '--rm', '--volumes-from', 'store', 'busybox', 'cat', '/shared/x'])).stdout).toBe('shared-data\n');
    const ro = await glass(root, ['run', '--rm', '--volumes-from', 'store:ro', 'busybox', 'sh', '-c', 'touch /shared/y']);
    expect(ro.exitCode).toBe(1);
    expect(ro.stderr).toBe('touch: /shared/y: Read-only file system\n');
    const [m] = JSON.parse((await glass(root, ['inspect', '--format', '{{json .Mounts}}', 'store'])).stdout);
    expect(readFileSync(join(m.Source, 'x'), 'utf8')).toBe('shared-data\n');
    // --rm of the consumers left the store's anonymous volume alone: the store still uses it.
    expect(await volumeNames(root)).toContain(m.Name);
    await glass(root, ['rm', '-v', 'store']);
    expect(await volumeNames(root)).not.toContain(m.Name);
  });

  it('a symlink in the image cannot lead a mount out of the root; pre-fill keeps owners, modes, links, devices, xattrs', { timeout: SLOW_MS }, async () => {
    const rootfs = join(root, 'rootfs');
    mkdirSync(rootfs);
    await glass(root, ['create', '--name', 'exp', 'busybox']);
    execFileSync('sh', ['-c', `${join(import.meta.dirname, '../../bin/glass')} --root ${root} export exp | tar -C ${rootfs} -x`]);
    await glass(root, ['rm', 'exp']);
    const outside = `/tmp/glass-volume-escape-${process.pid}`; // where the image's symlink points: on the host, it must stay absent
    rmSync(outside, { recursive: true, force: true });
    symlinkSync(outside, join(rootfs, 'escape'));
    const data = join(rootfs, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'a'), 'img\n');
    execFileSync('sh', ['-c', `cd ${data} && ln a b && ln -s a c && chown 1234:5678 a && chmod 640 a && mknod null c 1 3 && setfattr -n user.glass -v yes a`]);
    execFileSync('tar', ['-C', rootfs, '--xattrs', '-cf', join(root, 'img.tar'), '.']);
    expect((await glass(root, ['import', join(root, 'img.tar'), 'volimg'])).exitCode).toBe(0);

    const dir = join(host, 'escape-src');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'inside'), 'ok\n');
    const r = await glass(root, ['run', '--rm', '-v', `${dir}:/escape`, 'volimg', 'sh', '-c', `cat /escape/inside; cat ${outside}/inside`]);
    expect(r.stdout, r.stderr).toBe('ok\nok\n'); // the symlink was followed inside the container's root
    expect(existsSync(outside)).toBe(false); // and never on the host

    const fill = await glass(root, ['run', '--rm', '-v', 'filled:/data', 'volimg', 'true']);
    expect(fill.exitCode, fill.stderr).toBe(0);
    const vol = join(root, 'volumes', 'filled', '_data');
    const st = (f: string) => execFileSync('stat', ['-c', '%u:%g %a %h %F %t,%T', join(vol, f)], { encoding: 'utf8' }).trim();
    expect(st('a')).toBe('1234:5678 640 2 regular file 0,0');
    expect(statSync(join(vol, 'a')).ino).toBe(statSync(join(vol, 'b')).ino);
    expect(execFileSync('readlink', [join(vol, 'c')], { encoding: 'utf8' })).toBe('a\n');
    expect(st('null')).toBe('0:0 644 1 character special file 1,3');
    expect(execFileSync('getfattr', ['--only-values', '-n', 'user.glass', join(vol, 'a')], { encoding: 'utf8' })).toBe('yes');
    // Filled once: a volume with data is not filled again (nor is one given volume-nocopy).
    const nocopy = await glass(root, ['run', '--rm', '--mount', 'type=volume,source=empty,target=/data,volume-nocopy', 'volimg', 'ls', '-A', '/data']);
    expect(nocopy.stdout).toBe('');
    await glass(root, ['volume', 'rm', 'filled', 'empty']);
  });

  it("an image's VOLUME (import --change 'VOLUME ...'): an anonymous volume in every container, unless something else is mounted there", { timeout: SLOW_MS }, async () => {
    await glass(root, ['create', '--name', 'exp2', 'busybox']);
    const tar = join(root, 'bb.tar');
    expect((await glass(root, ['export', '-o', tar, 'exp2'])).exitCode).toBe(0);
    await glass(root, ['rm', 'exp2']);
    expect((await glass(root, ['import', '--change', 'VOLUME ["/data", "/logs"]', tar, 'withvol'])).exitCode).toBe(0);
    expect((await glass(root, ['inspect', '--format', '{{json .Config.Volumes}}', 'withvol'])).stdout).toBe('{"/data":{},"/logs":{}}\n');
    expect((await glass(root, ['run', '--name', 'iv', '-v', 'ivlogs:/logs', 'withvol', 'sh', '-c', 'echo hi > /data/a'])).exitCode).toBe(0);
    const mounts = JSON.parse((await glass(root, ['inspect', '--format', '{{json .Mounts}}', 'iv'])).stdout);
    expect(mounts.map((m: { Destination: string; Name: string }) => [m.Destination, m.Name.length === 64 ? 'anonymous' : m.Name])).toEqual([['/data', 'anonymous'], ['/logs', 'ivlogs']]);
    expect(readFileSync(join(mounts[0].Source, 'a'), 'utf8')).toBe('hi\n');
    await glass(root, ['rm', '-v', 'iv']);
    expect(await volumeNames(root)).not.toContain(mounts[0].Name);
    expect((await glass(root, ['volume', 'rm', 'ivlogs'])).exitCode).toBe(0);
  });

  it('tmpfs mounts: --mount type=tmpfs and --tmpfs, nosuid,nodev,noexec', { timeout: SLOW_MS }, async () => {
    expect((await glass(root, ['run', '--rm', '--mount', 'type=tmpfs,destination=/t', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts'])).stdout).toBe('tmpfs /t tmpfs rw,nosuid,nodev,noexec,relatime 0 0\n');
    expect((await glass(root, ['run', '--rm', '--tmpfs', '/run:size=1m,exec', 'busybox', 'sh', '-c', 'grep " /run " /proc/mounts'])).stdout).toBe('tmpfs /run tmpfs rw,nosuid,nodev,relatime,size=1024k 0 0\n');
  });

  it('--explain shows each mount of a volume', { timeout: SLOW_MS }, async () => {
    const r = await glass(root, ['--explain', 'run', '--rm', '-v', 'ex:/data:ro', 'busybox', 'true']);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`mount --rbind ${root}/volumes/ex/_data \\S+/fs/merged/data`));
    expect(r.stdout + r.stderr).toMatch(/mount -o remount,bind,ro,nodev \S+\/fs\/merged\/data/);
    await glass(root, ['volume', 'rm', 'ex']);
  });

  it("volume events: create, mount, unmount (written by the shim when the container exits), destroy", { timeout: SLOW_MS }, async () => {
    expect((await glass(root, ['run', '--rm', '-v', 'evv:/x', 'busybox', 'true'])).exitCode).toBe(0);
    await glass(root, ['volume', 'rm', 'evv']);
    const until = String(Math.ceil(Date.now() / 1000) + 1);
    const ev = await glass(root, ['events', '--since', '0', '--until', until, '--filter', 'type=volume', '--filter', 'volume=evv', '--format', '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.destination}}']);
    expect(ev.stdout).toBe('create evv <no value>\nmount evv /x\nunmount evv <no value>\ndestroy evv <no value>\n');
  });

  it('bad input: one clear line, Docker\'s exit code, nothing made', { timeout: SLOW_MS }, async () => {
    const before = { volumes: await volumeNames(root), containers: (await glass(root, ['ps', '-aq'])).stdout };
    const cases: [string[], RegExp][] = [
      [['-v', '/x:rel'], /^glass: invalid volume specification: '\/x:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute\n$/],
      [['-v', 'rel'], /invalid volume specification: 'rel': invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute/],
      [['-v', '/tmp:/x:rx'], /^glass: invalid mode: rx\n$/],
      [['-v', 'x/y:/p'], /^glass: create x\/y: "x\/y" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed\. If you intended to pass a host directory, use absolute path\n$/],
      [['--mount', `type=bind,source=${host}/nope,target=/x`], /^glass: invalid mount config for type "bind": bind source path does not exist: .*\/nope\n$/],
      [['--mount', 'type=bind,source=/tmp'], /^glass: invalid argument "type=bind,source=\/tmp" for "--mount" flag: target is required\n$/],
      [['--volumes-from', 'nosuchcontainer'], /^glass: No such container: nosuchcontainer\n$/],
      [['-v', 'a1:/d', '-v', 'a2:/d'], /^glass: Duplicate mount point: \/d\n$/],
    ];
    for (const [flags, err] of cases) {
      const r = await glass(root, ['run', '--rm', ...flags, 'busybox', 'true']);
      expect(r.stderr, flags.join(' ')).toMatch(err);
      expect(r.exitCode, flags.join(' ')).toBe(125);
    }
    // A mount the kernel refuses (a directory onto the image's file): the container does not start, its anonymous volume goes.
    const failed = await glass(root, ['run', '--rm', '-v', '/etc/passwd', 'busybox', 'true']);
    expect(failed.exitCode).toBe(125);
    expect(failed.stderr).toBe("glass: cannot mount volume over existing file, file exists /etc/passwd\n");
    expect(await volumeNames(root)).toEqual(before.volumes);
    expect((await glass(root, ['ps', '-aq'])).stdout).toBe(before.containers);
    expect(hostMountsUnder(root)).toEqual([]);
  });

  it('volume create/ls/inspect/rm/prune print as Docker does', { timeout: SLOW_MS }, async () => {
    expect((await glass(root, ['volume', 'create', '--label', 'k=v', 'lab'])).stdout).toBe('lab\n');
    const v = JSON.parse((await glass(root, ['volume', 'inspect', 'lab'])).stdout);
    expect(v).toEqual([{ CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), Driver: 'local', Labels: { k: 'v' }, Mountpoint: `${root}/volumes/lab/_data`, Name: 'lab', Options: {}, Scope: 'local' }]);
    expect((await glass(root, ['volume', 'ls'])).stdout).toMatch(/^DRIVER {4}VOLUME NAME\n(local {5}\S+\n)*local {5}lab\n/);
    expect((await glass(root, ['volume', 'ls', '-q', '--filter', 'label=k=v'])).stdout).toBe('lab\n');
    const missing = await glass(root, ['volume', 'inspect', 'nope']);
    expect([missing.stdout, missing.stderr, missing.exitCode]).toEqual(['[]\n', 'Error: No such volume: nope\n', 1]);
    writeFileSync(join(root, 'volumes', 'lab', '_data', 'f'), '12345\n');
    const asked = await glass(root, ['volume', 'prune'], { stdin: undefined, input: 'n\n' });
    expect(asked.stdout).toBe('WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
    expect(await volumeNames(root)).toContain('lab');
    const pruned = await glass(root, ['volume', 'prune', '-f']);
    expect(pruned.stdout).toMatch(/^Deleted Volumes:\n(\S+\n)*lab\n(\S+\n)*\nTotal reclaimed space: \d+(\.\d+)?[kM]?B\n$/);
    expect(await volumeNames(root)).toEqual([]);
    expect((await glass(root, ['volume', 'prune', '-f'])).stdout).toBe('Total reclaimed space: 0B\n');
    expect((await glass(root, ['volume', 'rm', 'nope'])).stderr).toBe('Error: No such volume: nope\n');
    expect(hostMountsUnder(root)).toEqual([]);
  });
});
