import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { PassThrough } from 'node:stream';
import { createGzip } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GlassError, isGlassError } from '../../runtime/engine/errors.js';
import { findStaticBusybox, isStaticallyLinked } from '../../runtime/engine/images/busybox.js';
import { parseReference, parseTagTarget } from '../../runtime/engine/images/reference.js';
import { ImageStore } from '../../runtime/engine/images/store.js';
import { Paths } from '../../runtime/engine/state/paths.js';
import { lockName } from '../../runtime/engine/state/lock.js';
import { packDirectory, unpackArchive } from '../../runtime/kernel/archive.js';
import type { Step } from '../../runtime/kernel/step.js';

const isRoot = process.getuid?.() === 0;
const notInUse = async () => false;

async function sha256File(path: string): Promise<string> {
  return `sha256:${createHash('sha256').update(await fs.readFile(path)).digest('hex')}`;
}

async function expectGlassError(p: Promise<unknown>, code: string, message: RegExp | string): Promise<GlassError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  // The kernel layer's errors (tar) are KernelErrors; the engine passes both on.
  expect(isGlassError(err)).toBe(true);
  expect((err as GlassError).code).toBe(code);
  if (typeof message === 'string') expect((err as GlassError).message).toContain(message);
  else expect((err as GlassError).message).toMatch(message);
  return err as GlassError;
}

describe('image references (Docker grammar)', () => {
  it('normalises familiar and fully qualified names', () => {
    expect(parseReference('busybox')).toEqual({ repository: 'busybox', tag: undefined, digest: undefined });
    expect(parseReference('docker.io/library/busybox:1.36')).toMatchObject({ repository: 'busybox', tag: '1.36' });
    expect(parseReference('localhost:5000/team/app:v1')).toMatchObject({ repository: 'localhost:5000/team/app', tag: 'v1' });
    expect(parseTagTarget('me/app')).toBe('me/app:latest');
  });

  it.each([
    ['Busybox', /repository name \(Busybox\) must be lowercase/],
    ['bad name', /invalid reference format/],
    ['busybox:', /invalid reference format/],
    ['busybox:-x', /invalid reference format/],
    [`busybox:${'t'.repeat(129)}`, /invalid reference format/],
    ['a'.repeat(64), /cannot specify 64-byte hexadecimal strings/],
    ['a__-b', /invalid reference format/],
  ])('rejects %s', (ref, message) => {
    expect(() => parseReference(ref)).toThrow(message);
  });
});

describe.skipIf(!isRoot)('image store (root)', () => {
  let root: string;
  let store: ImageStore;
  let steps: Step[];

  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'glass-images-'));
    steps = [];
    store = new ImageStore(new Paths(root), (s) => s.phase !== 'started' && steps.push(s));
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const leftovers = async () => ({
    tmp: await fs.readdir(join(root, 'tmp')).catch(() => []),
    lock: await fs.stat(join(root, 'images/.lock')).then(() => true, () => false),
  });

  it('checks ELF program headers to tell a static busybox from a dynamic program', async () => {
    expect(await isStaticallyLinked('/bin/busybox')).toBe(true);
    expect(await isStaticallyLinked(process.execPath)).toBe(false); // node is dynamically linked
    await expectGlassError(
      findStaticBusybox(() => {}, [process.execPath]),
      'MISSING_BUSYBOX',
      `busybox image: the host has no static busybox; install it with: apt-get install busybox-static (${process.execPath} is dynamically linked`,
    );
    await expectGlassError(findStaticBusybox(() => {}, []), 'MISSING_BUSYBOX', /^busybox image: the host has no static busybox; install it with: apt-get install busybox-static$/);
  });

  it("builds busybox:latest from the host's static busybox", async () => {
    const img = await store.resolve('busybox');
    expect(img.repoTags).toEqual(['busybox:latest']);
    expect(img.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(img.config.config.Cmd).toEqual(['sh']);
    expect(img.config.config.Env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    expect(img.config.os).toBe('linux');
    expect(img.config.architecture).toBe(process.arch === 'x64' ? 'amd64' : expect.any(String));
    expect(img.config.history?.[0]?.created_by).toBe('glass: built from the host busybox-static');

    // The layer directory is the unpacked layer.
    const [layer] = img.layerDirs;
    expect(img.layerDirs).toHaveLength(1);
    expect(await fs.readlink(join(layer!, 'bin/sh'))).toBe('busybox');
    expect((await fs.stat(join(layer!, 'bin/busybox'))).size).toBe((await fs.stat('/bin/busybox')).size);
    expect(await fs.readFile(join(layer!, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh\n/);
    expect(await fs.readFile(join(layer!, 'etc/passwd'), 'utf8')).toContain('nobody:x:65534:65534:nobody:/home:/bin/false\n');
    expect(await fs.readFile(join(layer!, 'etc/group'), 'utf8')).toContain('nogroup:x:65534:\n');
    expect((await fs.stat(join(layer!, 'tmp'))).mode & 0o7777).toBe(0o1777);
    expect((await fs.stat(join(layer!, 'root'))).mode & 0o7777).toBe(0o700);

    // Uncompressed layer: blob digest == diff_id == the sha256 of the stored tar.
    const diffId = img.config.rootfs.diff_ids[0]!;
    expect(layer).toBe(join(root, 'images/layers', diffId.slice(7)));
    expect(await sha256File(join(root, 'images/oci/blobs/sha256', diffId.slice(7)))).toBe(diffId);
    expect(await sha256File(join(root, 'images/oci/blobs/sha256', img.id.slice(7)))).toBe(img.id);

    // The busybox in the layer runs on its own.
    const { stdout } = await execa('chroot', [layer!, '/bin/sh', '-c', 'echo hello from $(whoami)']);
    expect(stdout).toBe('hello from root');

    const index = JSON.parse(await fs.readFile(join(root, 'images/oci/index.json'), 'utf8'));
    expect(index.manifests).toEqual([
      expect.objectContaining({
        digest: img.manifestDigest,
        annotations: { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' },
      }),
    ]);
    const repos = JSON.parse(await fs.readFile(join(root, 'images/repositories.json'), 'utf8'));
    expect(repos).toEqual({ Repositories: { busybox: { 'busybox:latest': img.manifestDigest } } });
    expect(steps.map((s) => s.title)).toContain("Build the busybox image from the host's static busybox");
    expect(steps.find((s) => s.title.startsWith('Pack'))?.command).toMatch(/^tar --sort=name .* -cf .*layer\.tar \.$/);
    expect(await leftovers()).toEqual({ tmp: [], lock: false });
  });

  it('gives the same image ID for the same host busybox, and does not rebuild', async () => {
    const first = await store.resolve('busybox:latest');
    const steps1 = steps.length;
    expect(await store.resolve('busybox')).toEqual(first);
    expect(steps.length).toBe(steps1);

    const other = await fs.mkdtemp(join(tmpdir(), 'glass-images-'));
    try {
      const second = await new ImageStore(new Paths(other)).resolve('docker.io/library/busybox');
      expect(second.id).toBe(first.id);
      expect(second.manifestDigest).toBe(first.manifestDigest);
      expect(second.config.rootfs.diff_ids).toEqual(first.config.rootfs.diff_ids);
    } finally {
      await fs.rm(other, { recursive: true, force: true });
    }
  });

  it('lets two stores build busybox in one root at once', async () => {
    const again = new ImageStore(new Paths(root));
    const [a, b] = await Promise.all([store.ensureBusybox(), again.ensureBusybox()]);
    expect(a.id).toBe(b.id);
    expect((await store.list()).map((i) => i.repoTags)).toEqual([['busybox:latest']]);
    expect(await fs.readdir(join(root, 'images/layers'))).toEqual([a.config.rootfs.diff_ids[0]!.slice(7)]);
    expect(await leftovers()).toEqual({ tmp: [], lock: false });
  });

  it('is not held up by the lock of a killed process', async () => {
    // Another process takes the store's lock and is killed holding it: the kernel frees it at once.
    const { spawn } = await import('node:child_process');
    const name = lockName(join(root, 'images/.lock'));
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(name)}, () => console.log('held'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout!.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const t0 = Date.now();
    const img = await store.resolve('busybox');
    expect(img.repoTags).toEqual(['busybox:latest']);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await leftovers()).toEqual({ tmp: [], lock: false });
  });

  it('resolves by ID, ID prefix (with or without sha256:) and digest', async () => {
    const img = await store.resolve('busybox');
    const hex = img.id.slice(7);
    expect((await store.resolve(img.id)).id).toBe(img.id);
    expect((await store.resolve(hex)).id).toBe(img.id);
    expect((await store.resolve(hex.slice(0, 4))).id).toBe(img.id);
    expect((await store.resolve(`sha256:${hex.slice(0, 6)}`)).id).toBe(img.id);
    expect((await store.resolve(`busybox@${img.manifestDigest}`)).id).toBe(img.id);
    const wrong = hex[0] === 'f' ? '0' : 'f';
    await expectGlassError(store.resolve(wrong + hex.slice(1, 8)), 'NO_SUCH_IMAGE', 'No such image');
  });

  it('rejects bad references and explains unknown images', async () => {
    await expectGlassError(store.resolve('BusyBox'), 'INVALID_ARGUMENT', 'invalid reference format: repository name (BusyBox) must be lowercase');
    await expectGlassError(store.resolve('busy box'), 'INVALID_ARGUMENT', 'invalid reference format');
    await expectGlassError(store.resolve(''), 'INVALID_ARGUMENT', 'invalid reference format');
    const err = await expectGlassError(store.resolve('nosuch'), 'NO_SUCH_IMAGE', "Unable to find image 'nosuch:latest' locally");
    expect(err.message).toContain("pull it first ('glass pull nosuch:latest')");
    await expectGlassError(store.resolve('busybox:1.36'), 'NO_SUCH_IMAGE', 'No such image: busybox:1.36');
    await expectGlassError(store.tag('busybox', 'Not/Valid'), 'INVALID_ARGUMENT', 'must be lowercase');
    expect(await store.list()).toEqual([]); // a bad tag target is rejected before busybox is built
  });

  it('tags and untags like docker, deleting with the last tag', async () => {
    const img = await store.resolve('busybox');
    await store.tag('busybox', 'mybox:1');
    await store.tag(img.id.slice(7, 15), 'mybox');
    let [listed] = await store.list();
    expect(listed!.repoTags).toEqual(['busybox:latest', 'mybox:1', 'mybox:latest']);
    expect(JSON.parse(await fs.readFile(join(root, 'images/oci/index.json'), 'utf8')).manifests).toHaveLength(3);

    expect(await store.remove('mybox:1', { isInUse: notInUse })).toEqual({ lines: ['Untagged: mybox:1'] });
    await expectGlassError(
      store.remove(img.id, { isInUse: notInUse }),
      'IMAGE_IN_USE',
      `conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
    );
    expect(await store.remove('mybox', { isInUse: notInUse })).toEqual({ lines: ['Untagged: mybox:latest'] });
    [listed] = await store.list();
    expect(listed!.repoTags).toEqual(['busybox:latest']);

    const diffId = img.config.rootfs.diff_ids[0]!;
    expect(await store.remove('busybox', { isInUse: notInUse })).toEqual({
      lines: ['Untagged: busybox:latest', `Deleted: ${img.id}`, `Deleted: ${diffId}`],
    });
    expect(await store.list()).toEqual([]);
    expect(await fs.readdir(join(root, 'images/layers'))).toEqual([]);
    expect(await fs.readdir(join(root, 'images/oci/blobs/sha256'))).toEqual([]);
    expect(JSON.parse(await fs.readFile(join(root, 'images/oci/index.json'), 'utf8')).manifests).toEqual([]);
    const blob = (d: string) => join(root, 'images/oci/blobs/sha256', d.slice(7));
    expect(steps.at(-1)?.command).toBe(
      `rm -rf ${join(root, 'images/layers', diffId.slice(7))} ${blob(img.manifestDigest)} ${blob(img.id)} ${blob(diffId)}`,
    );
    await expectGlassError(store.remove('busybox', { isInUse: notInUse }), 'NO_SUCH_IMAGE', 'No such image: busybox');
    expect(await leftovers()).toEqual({ tmp: [], lock: false });
  });

  it('removes by ID with force: every tag, then the image', async () => {
    const img = await store.resolve('busybox');
    await store.tag('busybox', 'other:v2');
    const { lines } = await store.remove(img.id.slice(7, 19), { force: true, isInUse: notInUse });
    expect(lines).toEqual(['Untagged: busybox:latest', 'Untagged: other:v2', `Deleted: ${img.id}`, `Deleted: ${img.config.rootfs.diff_ids[0]}`]);
    expect(await store.list()).toEqual([]);
  });

  it('refuses to remove an image a container uses; force only untags it', async () => {
    const img = await store.resolve('busybox');
    const asked: string[] = [];
    const container = 'c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc';
    const inUse = async (id: string) => {
      asked.push(id);
      return container;
    };
    await expectGlassError(
      store.remove('busybox', { isInUse: inUse }),
      'IMAGE_IN_USE',
      `conflict: unable to remove repository reference "busybox" (must force) - container c0ffee001122 is using its referenced image ${img.id.slice(7, 19)}`,
    );
    expect(asked).toEqual([img.id]);
    await expectGlassError(store.remove(img.id, { isInUse: async () => true }), 'IMAGE_IN_USE', 'image is being used by a container');

    expect(await store.remove('busybox', { force: true, isInUse: inUse })).toEqual({ lines: ['Untagged: busybox:latest'] });
    const [kept] = await store.list();
    expect(kept).toMatchObject({ id: img.id, repoTags: [] });
    expect((await fs.stat(join(img.layerDirs[0]!, 'bin/busybox'))).isFile()).toBe(true);
  });

  describe('archive', () => {
    it('packs to a stream and unpacks a gzip stream, keeping owners and modes', async () => {
      const src = join(root, 'tree');
      await fs.mkdir(join(src, 'sub'), { recursive: true });
      await fs.writeFile(join(src, 'sub/file'), 'content\n', { mode: 0o600 });
      await fs.chown(join(src, 'sub/file'), 4321, 99);
      const chunks: Buffer[] = [];
      const sink = new PassThrough().on('data', (c: Buffer) => chunks.push(c));
      const packed = await packDirectory(() => {}, src, sink);
      const tar = Buffer.concat(chunks);
      expect(packed).toEqual({ digest: `sha256:${createHash('sha256').update(tar).digest('hex')}`, size: tar.length });

      const gz = createGzip();
      gz.end(tar);
      const dest = join(root, 'dest');
      await fs.mkdir(dest);
      const traced: Step[] = [];
      await unpackArchive((s) => s.phase === 'done' && traced.push(s), gz, dest);
      const st = await fs.stat(join(dest, 'sub/file'));
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([4321, 99, 0o600]);
      expect(await fs.readFile(join(dest, 'sub/file'), 'utf8')).toBe('content\n');
      expect(traced.map((s) => s.command)).toEqual([`tar --numeric-owner --same-owner --same-permissions --xattrs '--xattrs-include=*' -z -C ${dest} -xf -`]);
    });

    it("refuses members that would escape with '..'", async () => {
      await fs.mkdir(join(root, 'a/b'), { recursive: true });
      await fs.writeFile(join(root, 'a/outside'), 'x');
      const evil = join(root, 'dotdot.tar');
      await execa('tar', ['-cPf', evil, '-C', join(root, 'a/b'), '../outside']);
      const dest = join(root, 'dest');
      await fs.mkdir(dest);
      await expectGlassError(
        unpackArchive(() => {}, createReadStream(evil), dest),
        'INVALID_ARGUMENT',
        "absolute paths or '..' that would land outside the layer (tar: Removing leading `../' from member names)",
      );
      expect(await fs.readdir(root)).not.toContain('outside');
    });
  });

  describe('import', () => {
    let src: string;
    let tarPath: string;

    beforeEach(async () => {
      src = join(root, 'src');
      await fs.mkdir(join(src, 'data'), { recursive: true });
      await fs.writeFile(join(src, 'hello'), 'hello from a tarball\n');
      await fs.writeFile(join(src, 'data/secret'), 'owned by 1234\n', { mode: 0o640 });
      await fs.chown(join(src, 'data/secret'), 1234, 1234);
      await fs.symlink('/hello', join(src, 'link'));
      tarPath = join(root, 'rootfs.tar');
      await execa('tar', ['--numeric-owner', '-C', src, '-cf', tarPath, '.']);
    });

    it('turns a tarball into a one-layer image with --change applied', async () => {
      const img = await store.importTarball(tarPath, {
        reference: 'hello',
        changes: ['CMD ["cat","/hello"]', 'ENV GREETING="hi there" MODE=test', 'WORKDIR /data', 'USER 1234', 'EXPOSE 8080'],
      });
      expect(img.repoTags).toEqual(['hello:latest']);
      expect(img.config.config).toEqual({
        Cmd: ['cat', '/hello'],
        Env: ['GREETING=hi there', 'MODE=test'],
        WorkingDir: '/data',
        User: '1234',
        ExposedPorts: { '8080/tcp': {} },
      });
      expect(img.config.history).toEqual([{ created: img.created, comment: `Imported from ${tarPath}` }]);
      expect(img.config.rootfs.diff_ids).toEqual([await sha256File(tarPath)]);
      expect(img.size).toBe((await fs.stat(tarPath)).size);

      const [layer] = img.layerDirs;
      expect(await fs.readFile(join(layer!, 'hello'), 'utf8')).toBe('hello from a tarball\n');
      const secret = await fs.stat(join(layer!, 'data/secret'));
      expect([secret.uid, secret.gid, secret.mode & 0o777]).toEqual([1234, 1234, 0o640]);
      expect(await fs.readlink(join(layer!, 'link'))).toBe('/hello');
      expect(steps.map((s) => s.title)).toEqual([
        "Store the tarball as the image's layer",
        'Unpack the imported filesystem into a layer directory',
        `Keep layer ${img.config.rootfs.diff_ids[0]!.slice(7, 19)} as a layer directory (an overlay lowerdir)`,
        `Store image ${img.id.slice(7, 19)} in the OCI layout as hello:latest`,
      ]);
      expect(steps[1]!.command).toMatch(/^tar --numeric-owner --same-owner --same-permissions --xattrs '--xattrs-include=\*' -C \S+\/rootfs -xf \S+\/layer\.tar$/);
      expect((await store.inspect('hello')).Config.Cmd).toEqual(['cat', '/hello']);
      expect(await leftovers()).toEqual({ tmp: [], lock: false });
    });

    it('reads gzip from a stream, stores it uncompressed, and lists newest first', async () => {
      const plain = await store.importTarball(tarPath, { reference: 'plain:v1' });
      await execa('gzip', ['-k', tarPath]);
      const gz = await store.importTarball(createReadStream(`${tarPath}.gz`), {
        message: 'from a gzip stream',
        changes: ['CMD cat /hello'],
      });
      expect(gz.repoTags).toEqual([]);
      expect(gz.config.config.Cmd).toEqual(['/bin/sh', '-c', 'cat /hello']);
      expect(gz.config.history?.[0]?.comment).toBe('from a gzip stream');
      expect(gz.config.rootfs.diff_ids).toEqual(plain.config.rootfs.diff_ids);
      expect(gz.layerDirs).toEqual(plain.layerDirs);
      expect((await store.list()).map((i) => [i.id, i.repoTags])).toEqual([
        [gz.id, []],
        [plain.id, ['plain:v1']],
      ]);
      // The shared layer survives removing one of the two images.
      await store.remove(gz.id, { isInUse: notInUse });
      expect(await fs.readFile(join(plain.layerDirs[0]!, 'hello'), 'utf8')).toBe('hello from a tarball\n');
      expect(await store.remove('plain:v1', { isInUse: notInUse })).toEqual({
        lines: ['Untagged: plain:v1', `Deleted: ${plain.id}`, `Deleted: ${plain.config.rootfs.diff_ids[0]}`],
      });
    });

    it('rejects archives with absolute paths and leaves nothing behind', async () => {
      const evil = join(root, 'evil.tar');
      await execa('tar', ['-cPf', evil, join(src, 'hello')]);
      await expectGlassError(store.importTarball(evil, { reference: 'evil' }), 'INVALID_ARGUMENT', /absolute paths or '\.\.'/);
      expect(await store.list()).toEqual([]);
      expect(await fs.readdir(join(root, 'images/layers')).catch(() => [])).toEqual([]);
      expect(await fs.readdir(join(root, 'images/oci/blobs/sha256')).catch(() => [])).toEqual([]);
      expect(await leftovers()).toEqual({ tmp: [], lock: false });
    });

    it('rejects bad input before storing anything', async () => {
      await expectGlassError(store.importTarball(tarPath, { changes: ['FROM scratch'] }), 'INVALID_ARGUMENT', 'FROM is not a valid change command');
      await expectGlassError(store.importTarball(tarPath, { reference: 'Bad:Ref' }), 'INVALID_ARGUMENT', 'invalid reference format');
      await expectGlassError(store.importTarball(join(root, 'missing.tar')), 'INVALID_ARGUMENT', 'no such file or directory');
      await fs.writeFile(join(root, 'junk'), 'this is not a tar archive at all'.repeat(40));
      await expectGlassError(store.importTarball(join(root, 'junk')), 'INVALID_ARGUMENT', 'not a readable tar archive');
      expect(await store.list()).toEqual([]);
      expect(await leftovers()).toEqual({ tmp: [], lock: false });
    });
  });
});
