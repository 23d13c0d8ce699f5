import { afterAll, describe, expect, it } from 'vitest';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { GLASS, glass, isRoot, testRoot, useRoot, waitFor } from '../helpers.js';

/**
 * glass cp (both ways, running and stopped containers, tar streams, -a, -L,
 * Docker 20.10's messages) and the clean-up commands (container prune, image
 * prune, system df, system prune), against real containers. The escape tests
 * plant symlinks in a container that lead to the host's /etc, and check
 * against the host: a canary file there is never read, nothing is written there.
 */
const SLOW_MS = 180_000;

/** `glass cp` with stdin from a shell pipeline (`tar c | glass cp - ...`) or stdout into one. */
const sh = (script: string) => execa('sh', ['-c', script], { reject: false, stripFinalNewline: false });

describe.skipIf(!isRoot)('glass cp', () => {
  const root = useRoot();
  const host = `${root}/host`;
  // A canary in the host's /etc: the container's symlinks point at /etc, so a copy resolved on the host would find it.
  const canaryName = `glass-cp-canary-${randomBytes(4).toString('hex')}`;
  const canary = `/etc/${canaryName}`;
  afterAll(() => rmSync(canary, { force: true }));

  it('copies out of and into a running container, every path resolved inside it', { timeout: SLOW_MS }, async () => {
    mkdirSync(host, { recursive: true });
    writeFileSync(canary, 'host secret\n');
    const canaryBefore = statSync(canary);
    const run = await glass(root, [
      'run', '-d', '--name', 'web', 'busybox', 'sh', '-c',
      'ln -s /etc /x; ln -s ../../../../../../../.. /up; mkdir -p /d/sub; echo a > /d/sub/a; touch /ready; sleep 600',
    ]);
    expect(run.exitCode).toBe(0);
    await waitFor(() => glass(root, ['exec', 'web', 'test', '-e', '/ready']), (r) => r.exitCode === 0, { what: 'the container to set up' });

    // Out: a file, silently (Docker 20.10 prints nothing), through the absolute symlink: the container's passwd.
    const out = await glass(root, ['cp', 'web:/x/passwd', `${host}/passwd`]);
    expect(out).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    const containerPasswd = (await glass(root, ['exec', 'web', 'cat', '/etc/passwd'])).stdout;
    expect(readFileSync(`${host}/passwd`, 'utf8')).toBe(containerPasswd);
    expect(readFileSync(`${host}/passwd`, 'utf8')).not.toBe(readFileSync('/etc/passwd', 'utf8'));
    // ".." climbing out is clamped at the container's root.
    await glass(root, ['cp', 'web:/up/etc/hostname', `${host}/hostname`]);
    expect(readFileSync(`${host}/hostname`, 'utf8')).toBe((await glass(root, ['exec', 'web', 'cat', '/etc/hostname'])).stdout);
    // The host's canary is not found through either symlink: it is not in the container's /etc.
    for (const path of [`/x/${canaryName}`, `/up/etc/${canaryName}`]) {
      const r = await glass(root, ['cp', `web:${path}`, `${host}/stolen`]);
      expect(r).toEqual({ stdout: '', stderr: `Error: No such container:path: web:${path}\n`, exitCode: 1 });
    }
    expect(existsSync(`${host}/stolen`)).toBe(false);

    // In: through the same symlinks, into the container's /etc, never the host's.
    writeFileSync(`${host}/note`, 'from the host\n');
    for (const dest of ['web:/x/', `web:/up/etc/${canaryName}`]) {
      expect(await glass(root, ['cp', `${host}/note`, dest])).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    }
    expect((await glass(root, ['exec', 'web', 'cat', '/etc/note'])).stdout).toBe('from the host\n');
    expect((await glass(root, ['exec', 'web', 'cat', `/etc/${canaryName}`])).stdout).toBe('from the host\n');
    expect(existsSync('/etc/note')).toBe(false);
    expect(readFileSync(canary, 'utf8')).toBe('host secret\n');
    expect(statSync(canary).mtimeMs).toBe(canaryBefore.mtimeMs);

    // Directories: into a new name, into an existing directory, and SRC/. for the contents.
    await glass(root, ['cp', 'web:/d', `${host}/newdir`]);
    expect(readFileSync(`${host}/newdir/sub/a`, 'utf8')).toBe('a\n');
    mkdirSync(`${host}/existing`);
    await glass(root, ['cp', 'web:/d', `${host}/existing`]);
    expect(readFileSync(`${host}/existing/d/sub/a`, 'utf8')).toBe('a\n');
    mkdirSync(`${host}/contents`);
    await glass(root, ['cp', 'web:/d/.', `${host}/contents`]);
    expect(readdirSync(`${host}/contents`)).toEqual(['sub']);
    await glass(root, ['cp', `${host}/newdir`, 'web:/tmp/']);
    await glass(root, ['cp', `${host}/newdir/.`, 'web:/tmp/flat']);
    expect((await glass(root, ['exec', 'web', 'find', '/tmp/newdir', '/tmp/flat'])).stdout).toBe('/tmp/newdir\n/tmp/newdir/sub\n/tmp/newdir/sub/a\n/tmp/flat\n/tmp/flat/sub\n/tmp/flat/sub/a\n');
    // -L copies what a symlink points to, under the name given; without it the symlink itself.
    await glass(root, ['cp', 'web:/x', `${host}/link`]);
    expect(readlinkSync(`${host}/link`)).toBe('/etc');
    rmSync(`${host}/link`);
    await glass(root, ['cp', '-L', 'web:/x', `${host}/followed`]);
    expect(readFileSync(`${host}/followed/passwd`, 'utf8')).toBe(containerPasswd);
  });

  it('streams tar archives with -, and keeps owners only with -a', { timeout: SLOW_MS }, async () => {
    const streamed = await sh(`${GLASS} --root ${root} cp web:/etc/hostname - | tar -tvf -`);
    expect(streamed.stdout).toMatch(/^-rw-r--r-- root\/root +\d+ .* hostname\n$/);
    // A trailing "/" follows the symlink; the entries keep the name asked for.
    const followed = await sh(`${GLASS} --root ${root} cp web:/x/ - | tar -tf - | grep -c '^x/\\./passwd$'`);
    expect(followed.stdout).toBe('1\n');
    const piped = await sh(`tar -C ${host} -cf - newdir | ${GLASS} --root ${root} cp - web:/srv-in 2>&1; echo "exit $?"`);
    expect(piped.stdout).toBe('destination "web:/srv-in" must be a directory\nexit 1\n');
    const ok = await sh(`tar -C ${host} -czf - newdir | ${GLASS} --root ${root} cp - web:/root`);
    expect(ok.exitCode).toBe(0);
    expect((await glass(root, ['exec', 'web', 'cat', '/root/newdir/sub/a'])).stdout).toBe('a\n');

    writeFileSync(`${host}/owned`, 'x\n');
    chownSync(`${host}/owned`, 1234, 5678);
    await glass(root, ['cp', `${host}/owned`, 'web:/tmp/plain']);
    await glass(root, ['cp', '-a', `${host}/owned`, 'web:/tmp/kept']);
    const ls = (p: string) => glass(root, ['exec', 'web', 'stat', '-c', '%u:%g', p]).then((r) => r.stdout.trim());
    expect(await ls('/tmp/plain')).toBe('0:0');
    expect(await ls('/tmp/kept')).toBe('1234:5678');
    await glass(root, ['exec', 'web', 'chown', '4321:8765', '/d/sub/a']);
    await glass(root, ['cp', 'web:/d/sub/a', `${host}/out-plain`]);
    await glass(root, ['cp', '-a', 'web:/d/sub/a', `${host}/out-kept`]);
    expect(statSync(`${host}/out-plain`).uid).toBe(process.getuid!());
    expect([statSync(`${host}/out-kept`).uid, statSync(`${host}/out-kept`).gid]).toEqual([4321, 8765]);
  });

  it("says what is wrong as Docker 20.10 does, exit 1, nothing half-made", { timeout: SLOW_MS }, async () => {
    writeFileSync(`${host}/afile`, 'x\n');
    const cases: [string[], string][] = [
      [['cp', 'web:/nosuch', host], 'Error: No such container:path: web:/nosuch\n'],
      [['cp', 'nosuch:/etc/passwd', host], 'Error: No such container:path: nosuch:/etc/passwd\n'],
      [['cp', 'web:/etc', `${host}/afile`], 'cannot copy directory\n'],
      [['cp', 'web:/etc/passwd', `${host}/missing/`], 'no such directory\n'],
      [['cp', 'web:/etc/passwd', `${host}/no/such/dir/x`], `invalid output path: directory "${host}/no/such/dir" does not exist\n`],
      [['cp', `${host}/afile`, 'web:/nosuchdir/x'], 'Error: No such container:path: web:/nosuchdir\n'],
      [['cp', `${host}/nosuch`, 'web:/tmp'], `lstat ${host}/nosuch: no such file or directory\n`],
      [['cp', 'web:/a', 'web:/b'], 'copying between containers is not supported\n'],
      [['cp', `${host}/afile`, `${host}/b`], 'must specify at least one container source\n'],
      [['cp', `${host}/afile`, 'web:/etc/passwd/'], 'no such directory\n'],
      [['cp', `${host}/afile`, 'web:/etc/passwd/x'], 'Error response from daemon: extraction point is not a directory\n'],
    ];
    for (const [args, stderr] of cases) expect(await glass(root, args), args.join(' ')).toEqual({ stdout: '', stderr, exitCode: 1 });
    expect(existsSync(`${host}/missing`)).toBe(false);
    // A directory over a file in the container fails half-way through a big stream: the error, at once (no tar left blocking).
    mkdirSync(`${host}/clash/hostname`, { recursive: true });
    writeFileSync(`${host}/clash/hostname/big`, randomBytes(3_000_000));
    const clash = await glass(root, ['cp', `${host}/clash/hostname`, 'web:/etc/'], { timeout: 30_000 });
    expect(clash.exitCode).toBe(1);
    expect(clash.stderr).toMatch(/^Error response from daemon: could not unpack into \/etc\/ in the container: tar: .*hostname/);
    expect((await glass(root, ['cp', 'web:/a'])).stderr).toContain('"glass cp" requires exactly 2 arguments.');
  });

  it('copies in and out of created and exited containers, leaving nothing mounted', { timeout: SLOW_MS }, async () => {
    const r = testRoot();
    const h = `${r}/host`;
    mkdirSync(h);
    writeFileSync(`${h}/msg`, 'before start\n');
    await glass(r, ['create', '--name', 'later', 'busybox', 'cat', '/msg']);
    expect(await glass(r, ['cp', `${h}/msg`, 'later:/msg'])).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect((await glass(r, ['start', '-a', 'later'])).stdout).toBe('before start\n');
    // Exited now: copy out of it.
    await glass(r, ['cp', 'later:/msg', `${h}/back`]);
    expect(readFileSync(`${h}/back`, 'utf8')).toBe('before start\n');
    const trace = await glass(r, ['--explain', 'cp', 'later:/etc/hostname', `${h}/hn`]);
    expect(trace.stderr).toContain('unshare --mount --propagation private');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(r);
  });
});

describe.skipIf(!isRoot)('glass cp against a container that races it', () => {
  it('a directory swapped for a symlink to / while cp runs still lands in the container (CVE-2018-15664)', { timeout: SLOW_MS }, async () => {
    const root = testRoot();
    const name = `glass-race-${randomBytes(4).toString('hex')}`;
    writeFileSync(`${root}/${name}`, 'raced\n');
    // In the container: /race/d flips between a directory and a symlink to "/" as fast as it can.
    await glass(root, ['run', '-d', '--name', 'racer', 'busybox', 'sh', '-c', 'mkdir /race; while :; do mkdir /race/d.new; mv -T /race/d.new /race/d 2>/dev/null; ln -sfn / /race/d.new; mv -T /race/d.new /race/d; done']);
    await waitFor(() => glass(root, ['exec', 'racer', 'test', '-e', '/race/d']), (r) => r.exitCode === 0, { what: 'the race to start' });
    for (let i = 0; i < 8; i++) {
      await glass(root, ['cp', `${root}/${name}`, 'racer:/race/d/']);
      await glass(root, ['cp', 'racer:/race/d/etc/passwd', `${root}/out-${i}`]);
    }
    // Whatever /race/d was at each moment, the file went into the container (its / or its /race/d), never the host's /.
    expect(existsSync(`/${name}`)).toBe(false);
    for (let i = 0; i < 8; i++) {
      if (existsSync(`${root}/out-${i}`)) expect(readFileSync(`${root}/out-${i}`, 'utf8')).not.toBe(readFileSync('/etc/passwd', 'utf8'));
    }
    await glass(root, ['rm', '-f', 'racer']);
  });
});

describe.skipIf(!isRoot)('glass cp and mounts', () => {
  it("copies into volumes and bind mounts, running or stopped; read-only mounts and rootfs refuse with Docker's words", { timeout: SLOW_MS }, async () => {
    const root = testRoot();
    const h = `${root}/host`;
    mkdirSync(`${h}/bind`, { recursive: true });
    writeFileSync(`${h}/bind/b`, 'bound\n');
    writeFileSync(`${h}/note`, 'note\n');
    await glass(root, ['run', '-d', '--name', 'vols', '-v', 'cpdata:/data', '-v', `${h}/bind:/bind:ro`, 'busybox', 'sh', '-c', 'echo vol > /data/v; touch /ready; sleep 600']);
    await waitFor(() => glass(root, ['exec', 'vols', 'test', '-e', '/ready']), (r) => r.exitCode === 0, { what: 'the container to set up' });
    await glass(root, ['cp', 'vols:/data/v', `${h}/v`]);
    expect(readFileSync(`${h}/v`, 'utf8')).toBe('vol\n');
    await glass(root, ['cp', `${h}/note`, 'vols:/data/']);
    expect(readFileSync(`${root}/volumes/cpdata/_data/note`, 'utf8')).toBe('note\n');
    const ro = { stdout: '', stderr: 'Error response from daemon: mounted volume is marked read-only\n', exitCode: 1 };
    expect(await glass(root, ['cp', `${h}/note`, 'vols:/bind/'])).toEqual(ro);
    await glass(root, ['kill', 'vols']);
    // Stopped: the volume's and the bind's files are copied from their host directories.
    await glass(root, ['cp', 'vols:/bind/b', `${h}/b-out`]);
    expect(readFileSync(`${h}/b-out`, 'utf8')).toBe('bound\n');
    writeFileSync(`${h}/later`, 'later\n');
    await glass(root, ['cp', `${h}/later`, 'vols:/data/']);
    expect(readFileSync(`${root}/volumes/cpdata/_data/later`, 'utf8')).toBe('later\n');
    expect(await glass(root, ['cp', `${h}/note`, 'vols:/bind/'])).toEqual(ro);
    await glass(root, ['run', '-d', '--name', 'readonly', '--read-only', 'busybox', 'sleep', '600']);
    expect(await glass(root, ['cp', `${h}/note`, 'readonly:/tmp/'])).toEqual({ stdout: '', stderr: 'Error response from daemon: container rootfs is marked read-only\n', exitCode: 1 });
    await glass(root, ['rm', '-f', 'vols', 'readonly']);
    await glass(root, ['volume', 'rm', 'cpdata']);
  });
});

describe.skipIf(!isRoot)('prune and system df', () => {
  it('container prune: confirmation, filters, Deleted Containers and the space', { timeout: SLOW_MS }, async () => {
    const root = testRoot();
    const a = (await glass(root, ['run', '--label', 'p=1', 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero > /blob'])).exitCode;
    expect(a).toBe(0);
    const ids = (await glass(root, ['ps', '-aq', '--no-trunc'])).stdout.trim().split('\n');
    await glass(root, ['create', '--label', 'p=2', 'busybox', 'true']);
    await glass(root, ['run', '-d', '--name', 'alive', '--label', 'p=1', 'busybox', 'sleep', '600']);

    const no = await execa(GLASS, ['--root', root, 'container', 'prune'], { input: 'n\n', reject: false, stripFinalNewline: false });
    expect(no.stdout).toBe('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n');
    const eof = await execa(GLASS, ['--root', root, 'container', 'prune'], { input: '', reject: false, stripFinalNewline: false });
    expect(eof.stdout.endsWith('[y/N] Total reclaimed space: 0B\n')).toBe(true);
    expect((await glass(root, ['ps', '-aq'])).stdout.trim().split('\n')).toHaveLength(3);

    const df = await glass(root, ['system', 'df']);
    expect(df.stdout).toMatch(/^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE\nImages {10}1 {9}1 {9}\S+ +0B \(0%\)\nContainers {6}3 {9}1 {9}5(\.\d+)?kB +5(\.\d+)?kB \(\d+%\)\nLocal Volumes {3}0 {9}0 {9}0B {8}0B\nBuild Cache {5}0 {9}0 {9}0B {8}0B\n$/);

    const yes = await execa(GLASS, ['--root', root, 'container', 'prune', '--filter', 'label=p=1'], { input: 'y\n', reject: false, stripFinalNewline: false });
    expect(yes.stdout).toMatch(/^WARNING! This will remove all stopped containers.\nAre you sure you want to continue\? \[y\/N\] Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: 5(\.\d+)?kB\n$/);
    expect(yes.stdout).toContain(`\n${ids[0]}\n`);
    const rest = await glass(root, ['container', 'prune', '-f']);
    expect(rest.stdout).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: \d+B\n$/);
    expect((await glass(root, ['ps', '-a', '--format', '{{.Names}}'])).stdout).toBe('alive\n');
    expect(await glass(root, ['container', 'prune', '-f'])).toEqual({ stdout: 'Total reclaimed space: 0B\n', stderr: '', exitCode: 0 });
    expect(await glass(root, ['container', 'prune', '-f', '--filter', 'foo=bar'])).toEqual({ stdout: '', stderr: "Error response from daemon: Invalid filter 'foo'\n", exitCode: 1 });
    await glass(root, ['rm', '-f', 'alive']);
  });

  it('image prune (dangling, then -a), a shared base layer stored and counted once, system prune', { timeout: SLOW_MS }, async () => {
    const root = testRoot();
    const files = `${root}/files`;
    mkdirSync(files);
    writeFileSync(`${files}/one`, '1'.repeat(3000));
    await execa('tar', ['-C', files, '-cf', `${root}/one.tar`, 'one']);
    writeFileSync(`${files}/two`, '2'.repeat(4000));
    await execa('tar', ['-C', files, '-cf', `${root}/two.tar`, 'two']);
    const first = (await glass(root, ['import', `${root}/one.tar`, 'mine:v1'])).stdout.trim();
    await glass(root, ['import', `${root}/two.tar`, 'mine:v1']); // takes the tag: the first is dangling
    const pruned = await glass(root, ['image', 'prune', '-f']);
    expect(pruned.stdout).toMatch(new RegExp(`^Deleted Images:\ndeleted: ${first}\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: 3kB\n$`));
    expect((await glass(root, ['inspect', '--type', 'image', first])).exitCode).toBe(1);

    // Two images on busybox's layer: a container's commit adds one layer on top of it.
    await glass(root, ['run', '--name', 'base', 'busybox', 'sh', '-c', 'echo changed > /changed']);
    expect((await glass(root, ['commit', 'base', 'derived:v1'])).exitCode).toBe(0);
    await glass(root, ['rm', 'base']);
    const layers = readdirSync(`${root}/images/layers`);
    expect(layers).toHaveLength(3); // busybox's, derived's own, mine:v1's: busybox's is not stored twice
    const busyboxLayer = JSON.parse((await glass(root, ['inspect', '--type', 'image', 'busybox'])).stdout)[0].RootFS.Layers[0];
    const derivedLayers = JSON.parse((await glass(root, ['inspect', '--type', 'image', 'derived:v1'])).stdout)[0].RootFS.Layers;
    expect(derivedLayers[0]).toBe(busyboxLayer);
    const du = Number((await execa('du', ['-sb', `${root}/images/layers/${busyboxLayer.slice(7)}`])).stdout.split('\t')[0]);
    const all = Number((await execa('du', ['-sb', `${root}/images/layers`])).stdout.split('\t')[0]);
    expect(all).toBeLessThan(du * 1.5); // measured on disk: busybox's tree once, plus two small layers
    const verbose = (await glass(root, ['system', 'df', '-v'])).stdout;
    const row = (name: string) => verbose.split('\n').find((l) => l.startsWith(name))!.split(/ {3,}/);
    // REPOSITORY TAG ID CREATED SIZE SHARED UNIQUE CONTAINERS: busybox's whole size is shared with derived.
    expect(row('busybox')[5]).not.toBe('0B');
    expect(row('busybox')[6]).toBe('0B');
    expect(row('mine')[5]).toBe('0B');
    const summary = (await glass(root, ['system', 'df'])).stdout;
    const imagesSize = /\nImages +3 +0 +(\S+)/.exec(summary)![1];
    expect(imagesSize).toMatch(/^[12]\.\d+MB$/); // one busybox, not two

    const everything = await glass(root, ['image', 'prune', '-a', '-f']);
    expect(everything.stdout).toContain('untagged: derived:v1\n');
    expect(everything.stdout).toContain('untagged: busybox:latest\n');
    expect(everything.stdout).toMatch(/\n\nTotal reclaimed space: [12]\.\d+MB\n$/);
    expect(readdirSync(`${root}/images/layers`)).toEqual([]);

    await glass(root, ['run', '--label', 'k=v', 'busybox', 'true']);
    const sys = await execa(GLASS, ['--root', root, 'system', 'prune', '--filter', 'label=k=v'], { input: 'y\n', reject: false, stripFinalNewline: false });
    expect(sys.stdout).toMatch(
      /^WARNING! This will remove:\n {2}- all stopped containers\n {2}- all networks not used by at least one container\n {2}- all dangling images\n {2}- all dangling build cache\n\n {2}Items to be pruned will be filtered with:\n {2}- label=k=v\n\nAre you sure you want to continue\? \[y\/N\] Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: \d+B\n$/,
    );
  });
});
