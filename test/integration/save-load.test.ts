import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { GLASS, glass, isRoot, useRoot } from '../helpers.js';
import { buildMultiPlatformLayout, buildOciLayout, busyboxLayer, threeLayerImage, type ImageSpec } from '../images.js';

/**
 * glass save / glass load against the real tools that read and write the
 * same archives: skopeo (docker-archive: and oci-archive: transports) and
 * umoci (unpacks an OCI layout the way runc bundles want it). docker and
 * podman are tried when they can run here (a docker daemon must answer);
 * otherwise those checks say so and pass.
 *
 * Test images are made locally (test/images.ts): a three-layer image whose
 * top layer deletes a file (whiteout) and replaces a directory (opaque).
 */
const SLOW_MS = 180_000;

const run = (cmd: string, args: string[]) => execa(cmd, args, { reject: false, timeout: 120_000 });
const sh = (script: string) => execa('sh', ['-c', script], { reject: false, timeout: 120_000, stripFinalNewline: false });
const hashOf = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;

/** What a store holds: every blob and layer directory, and leftovers in tmp/. */
function storeState(root: string): { blobs: string[]; layers: string[]; tmp: string[] } {
  const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
  return { blobs: ls(join(root, 'images/oci/blobs/sha256')), layers: ls(join(root, 'images/layers')), tmp: ls(join(root, 'tmp')) };
}

/** An OCI layout of `spec` under `dir`, named `tag`, and the same as an OCI archive (tar of the layout). */
function ociArchive(dir: string, tag: string, spec: ImageSpec) {
  const img = buildOciLayout(dir, tag, spec);
  return { img, tar: `${dir}.tar` };
}

async function tarOfDir(dir: string, out: string): Promise<void> {
  const r = await run('tar', ['-C', dir, '-cf', out, '.']);
  expect(r.exitCode, r.stderr).toBe(0);
}

/** Extract `archive` into a fresh `dir` with the host's tar (what a person inspecting it would do). */
async function extract(archive: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const r = await run('tar', ['-C', dir, '-xf', archive]);
  expect(r.exitCode, r.stderr).toBe(0);
}

describe.skipIf(!isRoot)('glass save', () => {
  const root = useRoot();
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });

  it('writes a docker-archive (and an OCI layout) that skopeo copies and umoci unpacks, whiteouts applied', { timeout: SLOW_MS }, async () => {
    const { img, tar } = ociArchive(join(work, 'three'), 'localhost/three:v1', threeLayerImage());
    await tarOfDir(join(work, 'three'), tar);
    expect((await glass(root, ['load', '-i', tar])).stdout).toBe('Loaded image: localhost/three:v1\n');

    const out = join(work, 'three-saved.tar');
    const saved = await glass(root, ['save', '-o', out, 'localhost/three:v1']);
    expect(saved.exitCode, saved.stderr).toBe(0);
    expect(saved.stdout).toBe('');

    // The docker save layout, file by file.
    const x = join(work, 'x');
    await extract(out, x);
    const manifest = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8'));
    const diffIds = img.layers.map((l) => l.diffId);
    expect(manifest).toHaveLength(1);
    expect(manifest[0].Config).toBe(`${img.configDigest.slice(7)}.json`);
    expect(manifest[0].RepoTags).toEqual(['localhost/three:v1']);
    expect(manifest[0].Layers).toHaveLength(3);
    // The config byte for byte: the image ID survives.
    expect(hashOf(join(x, manifest[0].Config))).toBe(img.configDigest);
    manifest[0].Layers.forEach((layer: string, i: number) => {
      expect(layer).toMatch(/^[0-9a-f]{64}\/layer\.tar$/);
      const dir = join(x, layer.split('/')[0]!);
      expect(readFileSync(join(dir, 'VERSION'), 'utf8')).toBe('1.0');
      const v1 = JSON.parse(readFileSync(join(dir, 'json'), 'utf8'));
      expect(v1.id).toBe(layer.split('/')[0]);
      if (i > 0) expect(v1.parent).toBe(manifest[0].Layers[i - 1].split('/')[0]);
      // layer.tar is the UNCOMPRESSED layer (the image was stored gzip-compressed): its sha256 is the diff_id.
      expect(hashOf(join(x, layer))).toBe(diffIds[i]);
    });
    const top = manifest[0].Layers[2].split('/')[0];
    expect(JSON.parse(readFileSync(join(x, 'repositories'), 'utf8'))).toEqual({ 'localhost/three': { v1: top } });
    // The OCI side of the same tar.
    expect(JSON.parse(readFileSync(join(x, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(x, 'index.json'), 'utf8'));
    expect(index.manifests[0].annotations).toEqual({ 'io.containerd.image.name': 'localhost/three:v1', 'org.opencontainers.image.ref.name': 'v1' });

    // skopeo reads it as a docker-archive...
    const inspect = await run('skopeo', ['inspect', `docker-archive:${out}`]);
    expect(inspect.exitCode, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout).Layers).toEqual(diffIds);
    const copied = await run('skopeo', ['copy', `docker-archive:${out}`, `oci:${join(work, 'via-skopeo')}:t`]);
    expect(copied.exitCode, copied.stderr).toBe(0);
    // ...and umoci unpacks the copy: the files, with layer 3's whiteouts applied.
    const bundle = join(work, 'bundle');
    const unpacked = await run('umoci', ['unpack', '--image', `${join(work, 'via-skopeo')}:t`, bundle]);
    expect(unpacked.exitCode, unpacked.stderr).toBe(0);
    expect(readFileSync(join(bundle, 'rootfs/app/hello.txt'), 'utf8')).toBe('hello from layer 2\n');
    expect(existsSync(join(bundle, 'rootfs/app/old.txt'))).toBe(false);
    expect(readdirSync(join(bundle, 'rootfs/app/cache'))).toEqual(['c']);
    expect(statSync(join(bundle, 'rootfs/app/hello.txt')).uid).toBe(1000);

    // The OCI layout in the tar: skopeo's oci-archive: reads it, umoci unpacks it as extracted.
    const ociInspect = await run('skopeo', ['inspect', `oci-archive:${out}`]);
    expect(ociInspect.exitCode, ociInspect.stderr).toBe(0);
    expect(JSON.parse(ociInspect.stdout).Layers).toEqual(diffIds);
    const bundle2 = join(work, 'bundle2');
    const fromLayout = await run('umoci', ['unpack', '--image', `${x}:v1`, bundle2]);
    expect(fromLayout.exitCode, fromLayout.stderr).toBe(0);
    expect(readFileSync(join(bundle2, 'rootfs/app/layer3.txt'), 'utf8')).toBe('from layer 3\n');
  });

  it('save, rmi, load keeps the image ID, the tags and the files; several images at once, one by ID', { timeout: SLOW_MS }, async () => {
    const { img, tar } = ociArchive(join(work, 'round'), 'round:v1', threeLayerImage({ label: 'round' }));
    await tarOfDir(join(work, 'round'), tar);
    await glass(root, ['load', '-i', tar]);
    await glass(root, ['tag', 'round:v1', 'round:v2']);
    await glass(root, ['tag', 'round:v1', 'other/name:x']);
    // A second image, with no name at all (its index.json entry carries no annotations): saved by an ID prefix.
    const single = buildOciLayout(join(work, 'single'), 'single:1', { layers: [busyboxLayer(), { entries: [{ path: 'single.txt', content: 'one\n' }] }] });
    const idx = JSON.parse(readFileSync(join(work, 'single/index.json'), 'utf8'));
    delete idx.manifests[0].annotations;
    writeFileSync(join(work, 'single/index.json'), JSON.stringify(idx));
    await tarOfDir(join(work, 'single'), join(work, 'single.tar'));
    expect((await glass(root, ['load', '-i', join(work, 'single.tar')])).stdout).toBe(`Loaded image ID: ${single.configDigest}\n`);

    // To stdout (not a terminal): `round` without a tag means all of its tags.
    const archive = join(work, 'both.tar');
    const piped = await sh(`${GLASS} --root ${root} save round ${single.configDigest.slice(7, 19)} > ${archive}`);
    expect(piped.exitCode, piped.stderr).toBe(0);
    const manifest = JSON.parse((await run('tar', ['-xOf', archive, 'manifest.json'])).stdout);
    expect(manifest.map((m: { RepoTags: string[] | null }) => m.RepoTags)).toEqual([['round:v1', 'round:v2'], null]);

    for (const ref of ['round:v1', 'round:v2', 'other/name:x']) await glass(root, ['rmi', ref]);
    await glass(root, ['rmi', single.configDigest]);
    const ids = (await glass(root, ['images', '-q', '--no-trunc'])).stdout;
    expect(ids).not.toContain(img.configDigest);

    const loaded = await glass(root, ['load', '-i', archive]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    expect(loaded.stdout).toBe(`Loaded image: round:v1\nLoaded image: round:v2\nLoaded image ID: ${single.configDigest}\n`);
    const inspect = JSON.parse((await glass(root, ['inspect', '--type', 'image', 'round:v2'])).stdout)[0];
    expect(inspect.Id).toBe(img.configDigest);
    expect(inspect.RepoTags).toEqual(['round:v1', 'round:v2']);
    expect((await glass(root, ['run', '--rm', 'round:v1'])).stdout).toBe('hello from layer 2\n');
    expect((await glass(root, ['run', '--rm', single.configDigest.slice(7), 'cat', '/single.txt'])).stdout).toBe('one\n');

    // The same archive again: every name is already there, on the same image; nothing to rename.
    expect((await glass(root, ['load', '-q', '-i', archive])).stdout).toBe(`Loaded image: round:v1\nLoaded image: round:v2\nLoaded image ID: ${single.configDigest}\n`);

    // A save of a save is the same archive (IDs, v1 IDs and blobs are all content-derived).
    await glass(root, ['save', '-o', join(work, 'again.tar'), 'round', single.configDigest]);
    expect(hashOf(join(work, 'again.tar'))).toBe(hashOf(archive));

    // Events, as Docker names them.
    const until = ((Date.now() + 1000) / 1000).toFixed(3);
    const events = await glass(root, ['events', '--since', '0', '--until', until, '--filter', 'type=image', '--format', '{{.Action}} {{.Actor.ID}}']);
    expect(events.stdout).toContain(`save ${img.configDigest}`);
    expect(events.stdout).toContain(`load ${img.configDigest}`);
  });

  it('refuses a terminal, and leaves an existing -o file untouched when the save fails', { timeout: SLOW_MS }, async () => {
    // `script` gives glass a terminal as stdout.
    const tty = await run('script', ['-qec', `${GLASS} --root ${root} --no-color save busybox`, '/dev/null']);
    expect(tty.exitCode).toBe(1);
    expect(tty.stdout).toContain('cowardly refusing to save to a terminal. Use the -o flag or redirect');

    const out = join(work, 'keep.tar');
    writeFileSync(out, 'previous contents');
    const missing = await glass(root, ['save', '-o', out, 'localhost/three:v1', 'no-such-image:1']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe('Error: No such image: no-such-image:1\n');
    expect(readFileSync(out, 'utf8')).toBe('previous contents');
    expect(readdirSync(work).filter((f) => f.startsWith('.keep.tar'))).toEqual([]);
    expect(storeState(root).tmp).toEqual([]);
  });

  it('interoperates with docker and podman when they can run here', { timeout: SLOW_MS }, async () => {
    const archive = join(work, 'for-docker.tar');
    expect((await glass(root, ['save', '-o', archive, 'localhost/three:v1'])).exitCode).toBe(0);
    const docker = await run('docker', ['info', '--format', '{{.ServerVersion}}']);
    if (docker.exitCode !== 0) {
      console.log('docker load: skipped (no docker daemon answers here)');
    } else {
      const loaded = await run('docker', ['load', '-i', archive]);
      expect(loaded.stdout).toContain('Loaded image: localhost/three:v1');
      // (run() trims what it collects.) Docker unpacked glass's layers, whiteouts included, and runs the image's CMD.
      expect((await run('docker', ['run', '--rm', 'localhost/three:v1'])).stdout.trim()).toBe('hello from layer 2');
      await run('docker', ['rmi', 'localhost/three:v1']);
    }
    const podman = await run('podman', ['--version']);
    if (podman.exitCode !== 0) {
      console.log('podman load: skipped (podman is not installed)');
    } else {
      const loaded = await run('podman', ['load', '-i', archive]);
      expect(loaded.exitCode, loaded.stderr).toBe(0);
      expect(loaded.stdout).toContain('localhost/three:v1');
      await run('podman', ['rmi', 'localhost/three:v1']);
    }
  });
});

describe.skipIf(!isRoot)('glass load', () => {
  const root = useRoot();
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });

  it("loads skopeo's docker-archive (plain, gzip and xz on stdin); the image runs, whiteouts applied; progress on a terminal", { timeout: SLOW_MS }, async () => {
    const layout = join(work, 'src');
    const img = buildOciLayout(layout, 'src', threeLayerImage({ label: 'skopeo' }));
    const da = join(work, 'skopeo.tar');
    const made = await run('skopeo', ['copy', `oci:${layout}:src`, `docker-archive:${da}:example.com/team/app:1.0`]);
    expect(made.exitCode, made.stderr).toBe(0);

    const loaded = await glass(root, ['load', '-i', da]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    expect(loaded.stdout).toBe('Loaded image: example.com/team/app:1.0\n');
    expect((await glass(root, ['run', '--rm', 'example.com/team/app:1.0'])).stdout).toBe('hello from layer 2\n');
    const ls = await glass(root, ['run', '--rm', 'example.com/team/app:1.0', 'sh', '-c', 'ls /app; echo --; ls /app/cache; cat /app/cache/c']);
    expect(ls.stdout).toBe('cache\nhello.txt\nlayer3.txt\nlink\nprivate\nrun.sh\n--\nc\nupper c\n');
    const inspect = JSON.parse((await glass(root, ['inspect', '--type', 'image', 'example.com/team/app:1.0'])).stdout)[0];
    expect(inspect.Id).toBe(img.configDigest);

    // gzip-compressed, on stdin.
    writeFileSync(join(work, 'skopeo.tar.gz'), gzipSync(readFileSync(da)));
    await glass(root, ['rmi', 'example.com/team/app:1.0']);
    const fromStdin = await sh(`${GLASS} --root ${root} load < ${join(work, 'skopeo.tar.gz')}`);
    expect(fromStdin.exitCode, fromStdin.stderr).toBe(0);
    expect(fromStdin.stdout).toBe('Loaded image: example.com/team/app:1.0\n');

    // xz-compressed, as docker load also takes it (the host's xz decompresses).
    await glass(root, ['rmi', 'example.com/team/app:1.0']);
    const xz = await sh(`xz -c ${da} | ${GLASS} --root ${root} load`);
    expect(xz.exitCode, xz.stderr).toBe(0);
    expect(xz.stdout).toBe('Loaded image: example.com/team/app:1.0\n');

    // On a terminal, each layer's "Loading layer" progress first, as Docker; -q hides only that.
    const tty = await run('script', ['-qec', `${GLASS} --root ${root} --no-color load -i ${da}`, '/dev/null']);
    expect(tty.stdout).toMatch(new RegExp(`${img.layers[0]!.diffId.slice(7, 19)}: Loading layer +[0-9.]+[kM]B/[0-9.]+[kM]B`));
    expect(tty.stdout).toContain('Loaded image: example.com/team/app:1.0');
    const quiet = await run('script', ['-qec', `${GLASS} --root ${root} --no-color load -q -i ${da}`, '/dev/null']);
    expect(quiet.stdout.replace(/\r/g, '').trim()).toBe('Loaded image: example.com/team/app:1.0');

  });

  it("loads skopeo's oci-archive (an OCI layout in a tar), keeping its exact manifest", { timeout: SLOW_MS }, async () => {
    const layout = join(work, 'src-oci');
    const img = buildOciLayout(layout, 'src', threeLayerImage({ label: 'skopeo-oci' }));
    // The name from org.opencontainers.image.ref.name.
    const oa = join(work, 'skopeo-oci.tar');
    const madeOci = await run('skopeo', ['copy', `oci:${layout}:src`, `oci-archive:${oa}:localhost/from-oci:v2`]);
    expect(madeOci.exitCode, madeOci.stderr).toBe(0);
    expect((await glass(root, ['load', '-i', oa])).stdout).toBe('Loaded image: localhost/from-oci:v2\n');
    expect((await glass(root, ['run', '--rm', 'localhost/from-oci:v2', 'cat', '/app/layer3.txt'])).stdout).toBe('from layer 3\n');
    const inspectOci = JSON.parse((await glass(root, ['inspect', '--type', 'image', 'localhost/from-oci:v2'])).stdout)[0];
    expect(inspectOci.Id).toBe(img.configDigest);
    // Stored as it came: its manifest is the layout's own, byte for byte.
    expect(existsSync(join(root, 'images/oci/blobs/sha256', img.manifestDigest.slice(7)))).toBe(true);
  });

  it("loads Docker 25's layout (manifest.json pointing into blobs/sha256) and a multi-platform OCI index", { timeout: SLOW_MS }, async () => {
    // Docker 25+ writes manifest.json with Config and Layers as blobs/sha256/<hex>, no v1 directories.
    const layout = join(work, 'd25-src');
    const img = buildOciLayout(layout, 'localhost/d25:1', { layers: [busyboxLayer(), { entries: [{ path: 'd25.txt', content: 'docker 25\n' }], compression: 'none' }] });
    const d25 = join(work, 'd25');
    mkdirSync(join(d25, 'blobs/sha256'), { recursive: true });
    for (const f of readdirSync(join(layout, 'blobs/sha256'))) writeFileSync(join(d25, 'blobs/sha256', f), readFileSync(join(layout, 'blobs/sha256', f)));
    // Docker's own archive holds uncompressed layers: the gzip base layer goes in as a plain tar under its diff_id.
    const base = img.layers[0]!;
    await sh(`gunzip -c ${join(layout, 'blobs/sha256', base.digest.slice(7))} > ${join(d25, 'blobs/sha256', base.diffId.slice(7))}`);
    writeFileSync(
      join(d25, 'manifest.json'),
      JSON.stringify([{ Config: `blobs/sha256/${img.configDigest.slice(7)}`, RepoTags: ['localhost/d25:1'], Layers: img.layers.map((l) => `blobs/sha256/${l.diffId.slice(7)}`) }]),
    );
    await tarOfDir(d25, `${d25}.tar`);
    expect((await glass(root, ['load', '-i', `${d25}.tar`])).stdout).toBe('Loaded image: localhost/d25:1\n');
    expect((await glass(root, ['run', '--rm', 'localhost/d25:1', 'cat', '/d25.txt'])).stdout).toBe('docker 25\n');

    // An index of platforms (what a multi-arch image's layout holds): this host's is taken.
    const multi = join(work, 'multi');
    const arch = (await run('uname', ['-m'])).stdout.trim() === 'aarch64' ? 'arm64' : 'amd64';
    const other = arch === 'amd64' ? 'arm64' : 'amd64';
    buildMultiPlatformLayout(multi, 'localhost/multi:1', [
      { architecture: other, layers: [busyboxLayer(), { entries: [{ path: 'arch.txt', content: `${other}\n` }] }] },
      { architecture: arch, layers: [busyboxLayer(), { entries: [{ path: 'arch.txt', content: `${arch}\n` }] }] },
    ]);
    await tarOfDir(multi, `${multi}.tar`);
    expect((await glass(root, ['load', '-i', `${multi}.tar`])).stdout).toBe('Loaded image: localhost/multi:1\n');
    expect((await glass(root, ['run', '--rm', 'localhost/multi:1', 'cat', '/arch.txt'])).stdout).toBe(`${arch}\n`);
  });

  it('moves a name that pointed at another image, as Docker does', { timeout: SLOW_MS }, async () => {
    const layout = join(work, 'mover');
    buildOciLayout(layout, 'mover:1', { layers: [busyboxLayer()], config: { Cmd: ['echo', 'new'] } });
    await tarOfDir(layout, `${layout}.tar`);
    await glass(root, ['run', '--rm', 'busybox', 'true']);
    const old = (await glass(root, ['images', '-q', '--no-trunc', 'busybox'])).stdout.trim();
    await glass(root, ['tag', 'busybox', 'mover:1']);
    const r = await glass(root, ['load', '-i', `${layout}.tar`]);
    expect(r.stdout).toBe(`The image mover:1 already exists, renaming the old one with ID ${old} to empty string\nLoaded image: mover:1\n`);
    expect((await glass(root, ['run', '--rm', 'mover:1'])).stdout).toBe('new\n');
  });

  it('bad input: clear one-line errors, exit 1, nothing stored', { timeout: SLOW_MS }, async () => {
    const before = storeState(root);
    const fails = async (args: string[], message: RegExp) => {
      const r = await glass(root, ['load', ...args]);
      expect(r.exitCode, r.stdout).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(storeState(root)).toEqual(before);
    };
    // Not an archive at all; a tar that holds no image; nothing.
    writeFileSync(join(work, 'notes.txt'), 'just some text, long enough to fill more than one tar block? no: text is not a tar header.\n'.repeat(10));
    await fails(['-i', join(work, 'notes.txt')], /^Error: .*notes\.txt is not an image archive: not a tar archive/);
    await run('tar', ['-C', work, '-cf', join(work, 'plain.tar'), 'notes.txt']);
    await fails(['-i', join(work, 'plain.tar')], /^Error: .*plain\.tar is not an image archive: no manifest\.json or index\.json\n$/);
    await fails(['-i', join(work, 'nope.tar')], /^Error: open .*nope\.tar: no such file or directory\n$/);
    writeFileSync(join(work, 'empty.tar'), '');
    await fails(['-i', join(work, 'empty.tar')], /is empty: expected an image archive/);

    // A good archive, truncated (plain and gzip).
    const layout = join(work, 'bad-src');
    const img = buildOciLayout(layout, 'localhost/bad:1', threeLayerImage({ label: 'bad' }));
    await tarOfDir(layout, join(work, 'good.tar'));
    const good = readFileSync(join(work, 'good.tar'));
    writeFileSync(join(work, 'cut.tar'), good.subarray(0, Math.floor(good.length / 2)));
    await fails(['-i', join(work, 'cut.tar')], /cut\.tar is damaged: it is truncated/);
    writeFileSync(join(work, 'cut.tar.gz'), gzipSync(good).subarray(0, 4000));
    await fails(['-i', join(work, 'cut.tar.gz')], /cut\.tar\.gz is damaged: .*(truncated|unexpected end of file)/);

    // A layer blob changed after the manifest was written: its digest no longer matches.
    const tampered = join(work, 'tampered');
    await run('cp', ['-a', layout, tampered]);
    const layerBlob = join(tampered, 'blobs/sha256', img.layers[1]!.digest.slice(7));
    const bytes = readFileSync(layerBlob);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(layerBlob, bytes);
    await tarOfDir(tampered, join(work, 'tampered.tar'));
    await fails(['-i', join(work, 'tampered.tar')], new RegExp(`tampered\\.tar is damaged: blobs/sha256/${img.layers[1]!.digest.slice(7)} has digest sha256:[0-9a-f]{64}, not ${img.layers[1]!.digest}`));

    // A docker-archive whose layer is not the one its config names (diff_id mismatch).
    const da = join(work, 'swap');
    const saved = join(work, 'swap.tar');
    expect((await run('skopeo', ['copy', `oci:${layout}:localhost/bad:1`, `docker-archive:${saved}:localhost/bad:1`])).exitCode).toBe(0);
    await extract(saved, da);
    const m = JSON.parse(readFileSync(join(da, 'manifest.json'), 'utf8'));
    m[0].Layers = [m[0].Layers[0], m[0].Layers[2], m[0].Layers[1]];
    writeFileSync(join(da, 'manifest.json'), JSON.stringify(m));
    await tarOfDir(da, join(work, 'swapped.tar'));
    await fails(['-i', join(work, 'swapped.tar')], /swapped\.tar is damaged: layer .* has diff_id sha256:[0-9a-f]{64}, but the image config expects sha256:[0-9a-f]{64}/);

    // A layer whose tar climbs out with '..': refused, nothing written outside.
    const evil = join(work, 'evil');
    buildOciLayout(evil, 'localhost/evil:1', { layers: [busyboxLayer(), { entries: [{ path: '../../escaped-by-load', content: 'gotcha\n' }], compression: 'none' }] });
    await tarOfDir(evil, join(work, 'evil.tar'));
    await fails(['-i', join(work, 'evil.tar')], /refusing to unpack layer .*'\.\.'/);
    expect(existsSync(join(root, 'escaped-by-load'))).toBe(false);
    expect(existsSync(join(root, 'tmp/escaped-by-load'))).toBe(false);

    // An archive member that names a host file (absolute symlink): never followed outside the archive.
    const sneaky = join(work, 'sneaky');
    mkdirSync(sneaky);
    writeFileSync(join(sneaky, 'manifest.json'), JSON.stringify([{ Config: 'cfg.json', RepoTags: ['sneaky:1'], Layers: ['layer.tar'] }]));
    await run('ln', ['-s', '/etc/passwd', join(sneaky, 'cfg.json')]);
    await run('ln', ['-s', '/etc/passwd', join(sneaky, 'layer.tar')]);
    await tarOfDir(sneaky, join(work, 'sneaky.tar'));
    await fails(['-i', join(work, 'sneaky.tar')], /sneaky\.tar is damaged: the image config "cfg\.json" is not in the archive/);

    // stdin that is a terminal: nothing to read.
    const tty = await run('script', ['-qec', `${GLASS} --root ${root} --no-color load`, '/dev/null']);
    expect(tty.stdout).toContain('requested load from stdin, but stdin is empty');
    expect(storeState(root)).toEqual(before);
  });
});
