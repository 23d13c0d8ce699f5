import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { eventsOf, glass, isRoot, removeContainersAfterEach, useRoot } from '../helpers.js';
import { buildOciLayout, threeLayerImage } from '../images.js';

/**
 * glass diff, commit and history against real containers: the issue's
 * "Done when" case with Docker's exact lines, the committed image run, its
 * layer tar and layer directory read from the host, layers stored once,
 * a running container frozen while it is committed, and bad input.
 */
const SLOW_MS = 150_000;

/** The case: touch /a; rm /etc/passwd; echo x >> /etc/group; mkdir /d; rm -r /home. */
const CHANGES = 'touch /a; rm /etc/passwd; echo x >> /etc/group; mkdir /d; rm -r /home';
/**
 * Docker's lines for it (archive.Changes' rules over the upperdir): added /a
 * and /d; /etc/group changed; whiteouts for /etc/passwd and /home are
 * deletions; /etc, the parent of changes, is C; sorted as a walk.
 */
const DOCKER_DIFF = 'A /a\nA /d\nC /etc\nC /etc/group\nD /etc/passwd\nD /home\n';

const hex = (s: string) => /[0-9a-f]{64}/.exec(s)![0];

describe.skipIf(!isRoot)('diff, commit, history', () => {
  const root = useRoot();
  removeContainersAfterEach(root);

  const inspect = async (ref: string, format: string) => (await glass(root, ['inspect', '-f', format, ref])).stdout.trim();

  it("diff prints exactly Docker's lines, running and stopped; commit of it runs with the changes; history shows the layer", { timeout: SLOW_MS }, async () => {
    const run = await glass(root, ['run', '-d', '--name', 'dc-box', 'busybox', 'sh', '-c', `${CHANGES}; touch /ready; sleep 300`]);
    expect(run.exitCode).toBe(0);
    for (let i = 0; i < 200 && !(await glass(root, ['diff', 'dc-box'])).stdout.includes('A /ready'); i++) await new Promise((r) => setTimeout(r, 50));
    const live = await glass(root, ['diff', 'dc-box']);
    expect(live).toEqual({ stdout: DOCKER_DIFF + 'A /ready\n', stderr: '', exitCode: 0 });
    // --explain shows how: the upperdir read from the host, its overlay marks read with getfattr.
    const explained = await glass(root, ['--explain', 'diff', 'dc-box']);
    expect(explained.stderr + explained.stdout).toMatch(/Read the container's upperdir/);
    expect(explained.stderr + explained.stdout).toMatch(/character device 0\/0/);
    expect(explained.stderr + explained.stdout).toMatch(/getfattr -R -P --absolute-names -d -m '\^trusted\\\.overlay\\\.' \S+\/fs\/upper/);
    await glass(root, ['stop', '-t', '0', 'dc-box']);
    expect((await glass(root, ['diff', 'dc-box'])).stdout).toBe(DOCKER_DIFF + 'A /ready\n');

    // The same container, made without the extra marker, committed.
    expect((await glass(root, ['run', '--name', 'dc-done', 'busybox', 'sh', '-c', CHANGES])).exitCode).toBe(0);
    expect((await glass(root, ['diff', 'dc-done'])).stdout).toBe(DOCKER_DIFF);
    const commit = await glass(root, ['commit', '-m', 'the issue case', '-a', 'S. Layers <s@example.com>', 'dc-done', 'dc-snap:1']);
    expect(commit.stderr).toBe('');
    expect(commit.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(commit.exitCode).toBe(0);
    const id = commit.stdout.trim();
    expect(await inspect('dc-snap:1', '{{.Id}}')).toBe(id);

    const inside = await glass(root, ['run', '--rm', 'dc-snap:1', 'sh', '-c', 'ls -d /a /d; ls /etc/passwd; ls -d /home; tail -n 1 /etc/group']);
    expect(inside.stdout).toBe('/a\n/d\nx\n');
    expect(inside.stderr).toBe('ls: /etc/passwd: No such file or directory\nls: /home: No such file or directory\n');
    // The base image is as it was.
    expect((await glass(root, ['run', '--rm', 'busybox', 'sh', '-c', 'ls /etc/passwd; ls -d /home; ls /a'])).stdout).toBe('/etc/passwd\n/home\n');

    // A container of the new image starts with an empty upperdir of its own: no changes yet.
    expect((await glass(root, ['run', '--name', 'dc-child', 'dc-snap:1', 'true'])).exitCode).toBe(0);
    expect((await glass(root, ['diff', 'dc-child'])).stdout).toBe('');

    const busyboxId = await inspect('busybox', '{{.Id}}');
    const history = await glass(root, ['history', 'dc-snap:1']);
    expect(history.exitCode).toBe(0);
    const [header, top, base, ...rest] = history.stdout.split('\n');
    expect(header).toMatch(/^IMAGE {10}CREATED {3,}CREATED BY {3,}SIZE {6}COMMENT$/);
    // CREATED BY: the container's command, cut to 45 runes with "…".
    expect(top).toMatch(new RegExp(`^${hex(id).slice(0, 12)} {3}(Less than a second|\\d+ seconds?) ago {3,}sh -c touch /a; rm /etc/passwd; echo x >> /e… {3}\\d+B {3,}the issue case$`));
    // The row below is busybox's: commit records its parent, so history names it.
    expect(base).toMatch(new RegExp(`^${hex(busyboxId).slice(0, 12)} `));
    expect(rest).toEqual(['']);
    expect((await glass(root, ['history', '-q', 'dc-snap:1'])).stdout).toBe(`${hex(id).slice(0, 12)}\n${hex(busyboxId).slice(0, 12)}\n`);
    const full = (await glass(root, ['history', '--no-trunc', '-H=false', '--format', '{{.ID}}|{{.CreatedAt}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}', 'dc-snap:1'])).stdout.split('\n');
    expect(full[0]).toMatch(new RegExp(`^${id}\\|\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d)\\|sh -c ${CHANGES.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\|\\d+\\|the issue case$`));
    // SIZE is the layer's: the sizes of its files (Docker's DiffSize), /etc/group here.
    const groupSize = Number((await glass(root, ['run', '--rm', 'dc-snap:1', 'stat', '-c', '%s', '/etc/group'])).stdout.trim());
    expect(full[0]!.split('|')[3]).toBe(String(groupSize));

    expect(await inspect('dc-snap:1', '{{.Comment}}|{{.Author}}|{{.Parent}}|{{json .Config.Cmd}}')).toBe(
      `the issue case|S. Layers <s@example.com>|${busyboxId}|["sh","-c","${CHANGES}"]`,
    );
  });

  it('the committed layer is a tar with OCI whiteouts; its layer directory has overlay ones; diff_id = sha256 of the tar', { timeout: SLOW_MS }, async () => {
    await glass(root, ['run', '--name', 'dc-wh', 'busybox', 'sh', '-c', `${CHANGES}; rm -r /usr; mkdir /usr; touch /usr/x`]);
    expect((await glass(root, ['diff', 'dc-wh'])).stdout).toBe('A /a\nA /d\nC /etc\nC /etc/group\nD /etc/passwd\nD /home\nC /usr\nD /usr/bin\nD /usr/sbin\nA /usr/x\n');
    const id = (await glass(root, ['commit', 'dc-wh', 'dc-wh:1'])).stdout.trim();
    const layers: string[] = JSON.parse(await inspect('dc-wh:1', '{{json .RootFS.Layers}}'));
    const busyboxLayers: string[] = JSON.parse(await inspect('busybox', '{{json .RootFS.Layers}}'));
    expect(layers.slice(0, -1)).toEqual(busyboxLayers);
    const diffId = layers[layers.length - 1]!;
    const blob = `${root}/images/oci/blobs/sha256/${hex(diffId)}`;
    expect(`sha256:${createHash('sha256').update(readFileSync(blob)).digest('hex')}`).toBe(diffId);

    const listing = (await execa('tar', ['-tvf', blob])).stdout.split('\n');
    const names = listing.map((l) => l.split(/\s+/).slice(5).join(' '));
    expect(names).toEqual(['.wh.home', 'a', 'd/', 'etc/', 'etc/.wh.passwd', 'etc/group', 'usr/', 'usr/.wh..wh..opq', 'usr/x']);
    // Whiteout files are empty regular files (mode 0600, as Docker writes them).
    expect(listing[0]).toMatch(/^-rw------- 0\/0 +0 /);

    const tree = `${root}/images/layers/${hex(diffId)}`;
    expect(lstatSync(`${tree}/etc/passwd`).isCharacterDevice()).toBe(true);
    expect(lstatSync(`${tree}/etc/passwd`).rdev).toBe(0);
    expect(lstatSync(`${tree}/home`).isCharacterDevice()).toBe(true);
    expect(readdirSync(tree).sort()).toEqual(['a', 'd', 'etc', 'home', 'usr']);
    expect((await execa('getfattr', ['-h', '--only-values', '-n', 'trusted.overlay.opaque', `${tree}/usr`])).stdout).toBe('y');
    expect((await glass(root, ['run', '--rm', id, 'ls', '/usr'])).stdout).toBe('x\n');
  });

  it("diff over several layers merges them as overlayfs does: a lower layer's whiteout and opaque directory hide what is below", { timeout: SLOW_MS }, async () => {
    // Layer 2 (a commit): /usr replaced by a directory holding only x (opaque), /etc/group deleted (a whiteout).
    await glass(root, ['run', '--name', 'dc-l1', 'busybox', 'sh', '-c', 'rm -r /usr; mkdir /usr; touch /usr/x; rm /etc/group']);
    await glass(root, ['commit', 'dc-l1', 'dc-stack:1']);
    // On top of it: /usr/bin and /etc/group are new again (busybox's are hidden below), /usr/x goes.
    await glass(root, ['run', '--name', 'dc-l2', 'dc-stack:1', 'sh', '-c', 'mkdir /usr/bin; touch /etc/group; rm /usr/x; touch /bin/new']);
    expect((await glass(root, ['diff', 'dc-l2'])).stdout).toBe('C /bin\nA /bin/new\nC /etc\nA /etc/group\nC /usr\nA /usr/bin\nD /usr/x\n');
    await glass(root, ['commit', 'dc-l2', 'dc-stack:2']);
    const three: string[] = JSON.parse(await inspect('dc-stack:2', '{{json .RootFS.Layers}}'));
    expect(three).toHaveLength(3);
    expect((await glass(root, ['run', '--rm', 'dc-stack:2', 'sh', '-c', 'ls /usr; ls -l /etc/group | wc -l; ls /bin/new'])).stdout).toBe('bin\n1\n/bin/new\n');
    // history: three rows, each named by the image it made.
    expect((await glass(root, ['history', '-q', 'dc-stack:2'])).stdout.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('a loaded three-layer image (gzip layers, OCI whiteouts): history with <missing> rows and per-layer sizes; diff and commit on top of it', { timeout: SLOW_MS }, async () => {
    const layout = `${root}/three-layout`;
    const img = buildOciLayout(layout, 'v1', threeLayerImage());
    await execa('tar', ['-C', layout, '-cf', `${root}/three.tar`, '.']);
    const loaded = await glass(root, ['load', '-i', `${root}/three.tar`]);
    expect(loaded.exitCode).toBe(0);
    const ref = img.configDigest;
    const rows = (await glass(root, ['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}', ref])).stdout.split('\n').filter(Boolean);
    expect(rows).toHaveLength(3);
    // Only the top row knows its image; CREATED BY cut to 45 runes; sizes are the unpacked layers' (files' sizes: 8 + 13 bytes on top).
    expect(rows[0]).toBe(`${hex(img.configDigest).slice(0, 12)}|/bin/sh -c rm /app/old.txt && rm -r /app/cac…|21B`);
    expect(rows[1]).toBe('<missing>|/bin/sh -c #(nop) COPY dir:app in /app |94B');
    expect(rows[2]).toMatch(/^<missing>\|\/bin\/sh -c #\(nop\) ADD file:busybox in \/ \|\d(\.\d+)?MB$/);

    // Layer 3 made /app/cache opaque (only c shows) and deleted /app/old.txt: a file that comes back is A, not C.
    await glass(root, ['run', '--name', 'dc-three', ref, 'sh', '-c', 'rm /app/cache/c; echo again > /app/cache/a; echo back > /app/old.txt']);
    expect((await glass(root, ['diff', 'dc-three'])).stdout).toBe('C /app\nC /app/cache\nA /app/cache/a\nD /app/cache/c\nA /app/old.txt\n');
    const snap = (await glass(root, ['commit', 'dc-three', 'dc-three:1'])).stdout.trim();
    expect((await glass(root, ['run', '--rm', snap, 'sh', '-c', 'ls /app/cache; cat /app/old.txt /app/hello.txt'])).stdout).toBe('a\nback\nhello from layer 2\n');
    // The loaded image's three layers under the new one, shared.
    const layers: string[] = JSON.parse(await inspect(snap, '{{json .RootFS.Layers}}'));
    expect(layers.slice(0, 3)).toEqual(img.layers.map((l) => l.diffId));
    expect(layers).toHaveLength(4);
  });

  it('-c changes the config (CMD, ENV); owners, modes, links and unchanged containers are kept as Docker does', { timeout: SLOW_MS }, async () => {
    await glass(root, ['run', '--name', 'dc-cfg', '-e', 'MODE=dev', '-w', '/srv', 'busybox', 'sh', '-c',
      'echo hello from a > /a; chown 1000:2000 /a; chmod 4750 /a; ln -s /a /link; ln /a /hard; mkdir -m 700 /private']);
    const c = await glass(root, ['commit', '-c', 'CMD ["cat","/a"]', '--change', 'ENV MODE=prod LEVEL=3', 'dc-cfg', 'dc-cfg:1']);
    expect(c.exitCode).toBe(0);
    expect((await glass(root, ['run', '--rm', 'dc-cfg:1'])).stdout).toBe('hello from a\n');
    const env = (await glass(root, ['run', '--rm', 'dc-cfg:1', 'env'])).stdout;
    expect(env).toMatch(/^MODE=prod$/m);
    expect(env).toMatch(/^LEVEL=3$/m);
    // The container's working directory is the image's now.
    expect((await glass(root, ['run', '--rm', 'dc-cfg:1', 'pwd'])).stdout).toBe('/srv\n');
    const st = (await glass(root, ['run', '--rm', 'dc-cfg:1', 'stat', '-c', '%n %u:%g %a %h %F', '/a', '/hard', '/link', '/private'])).stdout;
    expect(st).toBe('/a 1000:2000 4750 2 regular file\n/hard 1000:2000 4750 2 regular file\n/link 0:0 777 1 symbolic link\n/private 0:0 700 2 directory\n');
    // Extended attributes a layer keeps: file capabilities and user.* (set here from the host, on the upperdir's files).
    const upper = await inspect('dc-cfg', '{{.GraphDriver.Data.UpperDir}}');
    await execa('setfattr', ['-n', 'user.note', '-v', 'hello', `${upper}/a`]);
    await execa('cp', ['/bin/busybox', `${upper}/ping2`]);
    await execa('setfattr', ['-n', 'security.capability', '-v', '0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=', `${upper}/ping2`]); // cap_net_raw+ep
    const xa = (await glass(root, ['commit', 'dc-cfg', 'dc-cfg:2'])).stdout.trim();
    const top = (await inspect(xa, '{{.GraphDriver.Data.LowerDir}}')).split(':')[0]!;
    const attrs = (await execa('getfattr', ['-d', '-m', '-', '--absolute-names', `${top}/a`, `${top}/ping2`])).stdout;
    expect(attrs).toContain('user.note="hello"');
    expect(attrs).toContain('security.capability=0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=');
    expect(attrs).not.toContain('trusted.overlay');

    // As moby's merge: the changes' variables, then the container's others (the image's PATH); HOSTNAME, given at start, is not kept.
    const baseEnv: string[] = JSON.parse(await inspect('busybox', '{{json .Config.Env}}'));
    expect(JSON.parse(await inspect('dc-cfg:1', '{{json .Config.Env}}'))).toEqual(['MODE=prod', 'LEVEL=3', ...baseEnv.filter((e) => !/^(MODE|LEVEL)=/.test(e))]);

    // A container that changed nothing: no new layer, one more history entry (0B).
    await glass(root, ['create', '--name', 'dc-same', 'busybox', 'true']);
    const same = (await glass(root, ['commit', '-m', 'nothing', 'dc-same', 'dc-same:1'])).stdout.trim();
    expect(await inspect(same, '{{json .RootFS.Layers}}')).toBe(await inspect('busybox', '{{json .RootFS.Layers}}'));
    expect((await glass(root, ['history', '--format', '{{.Size}} {{.Comment}}', 'dc-same:1'])).stdout.split('\n')[0]).toBe('0B nothing');
  });

  it("volumes: their files stay out of the layer, a mount point made for one is A; -v /path becomes the new image's VOLUME, as Docker's commit", { timeout: SLOW_MS }, async () => {
    await glass(root, ['run', '--name', 'dc-vol', '-v', '/data', 'busybox', 'sh', '-c', 'echo in the volume > /data/x; echo in the layer > /y']);
    expect((await glass(root, ['diff', 'dc-vol'])).stdout).toBe('A /data\nA /y\n');
    const id = (await glass(root, ['commit', 'dc-vol', 'dc-vol:1'])).stdout.trim();
    expect(await inspect(id, '{{json .Config.Volumes}}')).toBe('{"/data":{}}');
    const diffId = hex(JSON.parse(await inspect(id, '{{json .RootFS.Layers}}')).pop());
    expect((await execa('tar', ['-tf', `${root}/images/oci/blobs/sha256/${diffId}`])).stdout).toBe('data/\ny');
    expect((await glass(root, ['run', '--rm', '-v', '/data', 'dc-vol:1', 'sh', '-c', 'ls -A /data; cat /y'])).stdout).toBe('in the layer\n');
    await glass(root, ['rm', '-v', 'dc-vol']);
  });

  it('two images committed on one base store the base once', { timeout: SLOW_MS }, async () => {
    const layersDir = `${root}/images/layers`;
    await glass(root, ['run', '--name', 'dc-one', 'busybox', 'sh', '-c', 'echo 1 > /one']);
    await glass(root, ['run', '--name', 'dc-two', 'busybox', 'sh', '-c', 'echo 2 > /two']);
    const before = readdirSync(layersDir).length;
    const du = async () => Number((await execa('du', ['-sb', layersDir])).stdout.split(/\s/)[0]);
    const sizeBefore = await du();
    await glass(root, ['commit', 'dc-one', 'dc-share:1']);
    await glass(root, ['commit', 'dc-two', 'dc-share:2']);
    // One new directory per new layer; busybox's is not copied.
    expect(readdirSync(layersDir).length).toBe(before + 2);
    expect((await du()) - sizeBefore).toBeLessThan(64 * 1024);
    const base = await inspect('busybox', '{{.GraphDriver.Data.LowerDir}}');
    for (const ref of ['dc-share:1', 'dc-share:2']) expect((await inspect(ref, '{{.GraphDriver.Data.LowerDir}}')).split(':').slice(1)).toEqual([base]);
  });

  it('a running container is frozen while committed (events pause, commit, unpause), and keeps running; --pause=false does not freeze it', { timeout: SLOW_MS }, async () => {
    const id = (await glass(root, ['run', '-d', '--name', 'dc-live', 'busybox', 'sh', '-c', 'while true; do date >> /clock; sleep 0.1; done'])).stdout.trim();
    for (let i = 0; i < 200 && !(await glass(root, ['diff', 'dc-live'])).stdout.includes('A /clock'); i++) await new Promise((r) => setTimeout(r, 50));
    const img = (await glass(root, ['commit', 'dc-live', 'dc-live:1'])).stdout.trim();
    expect(img).toMatch(/^sha256:/);
    expect(await inspect('dc-live', '{{.State.Status}}')).toBe('running');
    expect((await glass(root, ['run', '--rm', 'dc-live:1', 'sh', '-c', 'test -s /clock && echo kept'])).stdout).toBe('kept\n');
    expect((await glass(root, ['commit', '--pause=false', 'dc-live', 'dc-live:2'])).exitCode).toBe(0);
    const actions = (await eventsOf(root, id)).map((e) => e.Action).filter((a) => ['pause', 'unpause', 'commit'].includes(a));
    // Frozen while its upperdir was read and packed; the image stored after the thaw.
    expect(actions).toEqual(['pause', 'unpause', 'commit', 'commit']);
    const commitEvent = (await eventsOf(root, id)).find((e) => e.Action === 'commit')!;
    expect(commitEvent.Actor.Attributes).toMatchObject({ imageID: img, imageRef: 'dc-live:1', name: 'dc-live' });
  });

  it('bad input: no such container, invalid reference, a change commit cannot make, no such image; nothing half-made', { timeout: SLOW_MS }, async () => {
    await glass(root, ['run', '--name', 'dc-bad', 'busybox', 'touch', '/x']);
    const images = (await glass(root, ['images', '-q'])).stdout;
    const blobs = readdirSync(`${root}/images/oci/blobs/sha256`).length;
    const layers = readdirSync(`${root}/images/layers`).length;

    expect(await glass(root, ['commit', 'dc-nosuch', 'x:1'])).toEqual({ stdout: '', stderr: 'Error: No such container: dc-nosuch\n', exitCode: 1 });
    const badRef = await glass(root, ['commit', 'dc-bad', 'Bad:Ref']);
    expect(badRef.exitCode).toBe(1);
    expect(badRef.stderr).toMatch(/^Error: invalid reference format: repository name \(Bad\) must be lowercase\n$/);
    const badTag = await glass(root, ['commit', 'dc-bad', 'ok:-tag']);
    expect(badTag.exitCode).toBe(1);
    expect(badTag.stderr).toMatch(/^Error: invalid reference format/);
    const badChange = await glass(root, ['commit', '-c', 'RUN rm -rf /', 'dc-bad', 'ok:1']);
    expect(badChange.exitCode).toBe(1);
    expect(badChange.stderr).toMatch(/^Error: invalid --change "RUN rm -rf \/": RUN is not a valid change command/);
    expect(await glass(root, ['diff', 'dc-nosuch'])).toEqual({ stdout: '', stderr: 'Error: No such container: dc-nosuch\n', exitCode: 1 });
    const noImage = await glass(root, ['history', 'dc-nosuch:1']);
    expect(noImage.exitCode).toBe(1);
    expect(noImage.stderr).toMatch(/^Error: No such image: dc-nosuch:1\n$/);

    expect((await glass(root, ['images', '-q'])).stdout).toBe(images);
    expect(readdirSync(`${root}/images/oci/blobs/sha256`).length).toBe(blobs);
    expect(readdirSync(`${root}/images/layers`).length).toBe(layers);
    expect(readdirSync(`${root}/tmp`).filter((n) => n.startsWith('commit-'))).toEqual([]);
  });
});
