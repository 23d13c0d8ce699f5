import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, glass, glassInBackground, isRoot, testRoot, useRoot, waitFor, type Result } from '../helpers.js';
import { startRegistry, type TestRegistry } from '../registry.js';
import { bigImage, buildMultiPlatformLayout, buildOciLayout, busyboxLayer, pushToRegistry, threeLayerImage, type BuiltImage, type BuiltIndex, type TarEntry } from '../images.js';

/**
 * `glass pull` against a real docker-registry on loopback (test/registry.ts),
 * with images made here (test/images.ts) and pushed there with skopeo: what
 * a user sees (output, exit code, digests, files in a container), and what
 * is left in the store when a pull is refused (nothing).
 */

const SLOW_MS = 180_000;
const hex12 = (d: string) => d.slice(7, 19);

/** Client config dirs (GLASS_CONFIG), so no test reads the host's ~/.glass. */
const configs: string[] = [];
function clientConfig(json?: object): string {
  const dir = mkdtempSync('/tmp/glass-test-config-');
  configs.push(dir);
  if (json) writeFileSync(join(dir, 'config.json'), JSON.stringify(json), { mode: 0o600 });
  return dir;
}
const emptyConfig = () => clientConfig();
afterAll(() => {
  for (const d of configs) rmSync(d, { recursive: true, force: true });
});

const run = (root: string, args: string[], config = emptyConfig()): Promise<Result> =>
  glass(root, args, { env: { GLASS_CONFIG: config }, timeout: 120_000 });

/** Files under a root's store that a refused pull must not have left. */
function storeFiles(root: string): { blobs: string[]; layers: string[]; tmp: string[] } {
  const ls = (p: string) => (existsSync(p) ? readdirSync(p) : []);
  return { blobs: ls(`${root}/images/oci/blobs/sha256`), layers: ls(`${root}/images/layers`), tmp: ls(`${root}/tmp`) };
}

let layouts: string;
const layouts0 = () => (layouts ??= mkdtempSync('/tmp/glass-test-layouts-'));
let three: BuiltImage;
let tamperA: BuiltImage;
let tamperB: BuiltImage;
let multi: BuiltIndex;
let big: BuiltImage;
/** Layers that try to write outside their directory; `outside` is where they aim. */
let outside: string;
let escapes: { name: string; img: BuiltImage }[];
beforeAll(() => {
  outside = mkdtempSync('/tmp/glass-test-escape-target-');
  const evil = (entries: TarEntry[]) => ({ layers: [busyboxLayer(), { entries }], config: { Cmd: ['true'] } });
  escapes = [
    { name: 'dotdot', img: buildOciLayout(join(layouts0(), 'dotdot'), 'v1', evil([{ path: `../../../../../../..${outside}/dotdot.txt`, content: 'escaped\n' }])) },
    { name: 'absolute', img: buildOciLayout(join(layouts0(), 'absolute'), 'v1', evil([{ path: `${outside}/absolute.txt`, content: 'escaped\n' }])) },
    {
      name: 'symlink',
      img: buildOciLayout(join(layouts0(), 'symlink'), 'v1', evil([{ type: 'symlink', path: 'out', target: outside }, { path: 'out/through-link.txt', content: 'escaped\n' }])),
    },
  ];
  big = buildOciLayout(join(layouts0(), 'big'), 'v1', bigImage(40, 4, 'glass-pull-test'));
  layouts0();
  three = buildOciLayout(join(layouts, 'three'), 'v1', threeLayerImage());
  // Two images with a layer of their own each (to damage on the registry's disk).
  const own = (label: string) => ({ layers: [busyboxLayer(), { entries: [{ path: `${label}.txt`, content: `${label}\n`.repeat(1000) }] }], config: { Cmd: ['cat', `/${label}.txt`] } });
  tamperA = buildOciLayout(join(layouts, 'ta'), 'v1', own('flipped'));
  tamperB = buildOciLayout(join(layouts, 'tb'), 'v1', own('truncated'));
  multi = buildMultiPlatformLayout(join(layouts, 'multi'), 'm', [
    { ...threeLayerImage({ label: 'amd64' }), architecture: 'amd64' },
    { layers: [busyboxLayer()], config: { Cmd: ['echo', 'arm64'] }, architecture: 'arm64', variant: 'v8' },
  ]);
});
afterAll(() => {
  rmSync(layouts, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('glass pull from a registry without auth', () => {
  const root = useRoot();
  let reg: TestRegistry;
  let host: string;
  beforeAll(async () => {
    reg = await startRegistry();
    host = reg.host;
    await pushToRegistry(three.layoutDir, 'v1', host, 'test/three:v1');
    await pushToRegistry(three.layoutDir, 'v1', host, 'test/three-docker:v1', { format: 'v2s2' });
    await pushToRegistry(tamperA.layoutDir, 'v1', host, 'test/flipped:v1');
    await pushToRegistry(tamperB.layoutDir, 'v1', host, 'test/truncated:v1');
    await pushToRegistry(multi.layoutDir, 'm', host, 'test/multi:m', { all: true });
    await pushToRegistry(big.layoutDir, 'v1', host, 'test/big:v1');
    for (const e of escapes) await pushToRegistry(e.img.layoutDir, 'v1', host, `evil/${e.name}:v1`);
  }, SLOW_MS);
  afterAll(async () => {
    await reg?.stop();
  });

  it('pulls a three-layer image with Docker\'s output; every layer is there, whiteouts hide lower files', { timeout: SLOW_MS }, async () => {
    const ref = `${host}/test/three:v1`;
    const r = await run(root, ['pull', ref]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('v1: Pulling from test/three');
    for (const l of three.layers) {
      const id = hex12(l.digest);
      // Per layer, in Docker's order (non-tty: no byte counts).
      const mine = lines.filter((x) => x.startsWith(`${id}: `)).map((x) => x.slice(14));
      expect(mine).toEqual(['Pulling fs layer', 'Verifying Checksum', 'Download complete', 'Pull complete']);
    }
    expect(lines.slice(-3)).toEqual([`Digest: ${three.manifestDigest}`, `Status: Downloaded newer image for ${ref}`, ref]);

    // Exact registry bytes: the image ID is the config's digest, the RepoDigest the manifest's.
    const inspect = JSON.parse((await run(root, ['inspect', ref])).stdout)[0];
    expect(inspect.Id).toBe(three.configDigest);
    expect(inspect.RepoTags).toEqual([ref]);
    expect(inspect.RepoDigests).toEqual([`${host}/test/three@${three.manifestDigest}`]);
    expect(inspect.RootFS.Layers).toEqual(three.layers.map((l) => l.diffId));
    const digests = await run(root, ['images', '--digests']);
    expect(digests.stdout.split('\n')[0]).toMatch(/^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$/);
    expect(digests.stdout).toMatch(new RegExp(`\\n${host}/test/three +v1 +${three.manifestDigest} +${hex12(three.configDigest)} `));
    const manifestMedia = JSON.parse(readFileSync(`${root}/images/oci/index.json`, 'utf8')).manifests.find((m: { digest: string }) => m.digest === three.manifestDigest).mediaType;
    expect(manifestMedia).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(readFileSync(`${root}/images/oci/blobs/sha256/${three.manifestDigest.slice(7)}`)).toEqual(three.manifest);

    // Overlay whiteouts on disk: a char device 0/0 for .wh.old.txt, trusted.overlay.opaque=y on the opaque dir.
    const top = `${root}/images/layers/${three.layers[2]!.diffId.slice(7)}`;
    const wh = lstatSync(`${top}/app/old.txt`);
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(existsSync(`${top}/app/.wh.old.txt`)).toBe(false);
    expect(execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', `${top}/app/cache`], { encoding: 'utf8' })).toBe('y');

    // In a container: files from every layer, owners and modes kept, deleted ones gone.
    const c = await run(root, ['run', '--rm', ref, 'sh', '-c', 'cat /app/hello.txt /app/layer3.txt /etc/motd; ls /app; ls /app/cache; stat -c "%u:%g %a" /app/hello.txt /app/private; stat -c %Y /app /app/cache; test -e /app/old.txt || echo old-gone']);
    expect(c.stderr).toBe('');
    expect(c.stdout).toBe(
      'hello from layer 2\nfrom layer 3\nwelcome\n' +
        'cache\nhello.txt\nlayer3.txt\nlink\nprivate\nrun.sh\n' +
        'c\n' +
        '1000:1000 644\n1000:1000 700\n' +
        // Directories that held whiteouts keep the layer's times (test/images.ts: 2026-01-01).
        `${Date.parse('2026-01-01T00:00:00Z') / 1000}\n`.repeat(2) +
        'old-gone\n',
    );
    expect((await run(root, ['run', '--rm', ref])).stdout).toBe('hello from layer 2\n'); // the image's Cmd

    // The event, as Docker names it.
    const events = readFileSync(`${root}/events.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } });
    expect(events.find((e) => e.Type === 'image' && e.Action === 'pull')).toMatchObject({ Actor: { ID: ref, Attributes: { name: `${host}/test/three` } } });
  });

  it('a second pull is up to date; another manifest of the same layers says Already exists', { timeout: SLOW_MS }, async () => {
    const ref = `${host}/test/three:v1`;
    await run(root, ['pull', '-q', ref]);
    const again = await run(root, ['pull', ref]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toBe(`v1: Pulling from test/three\nDigest: ${three.manifestDigest}\nStatus: Image is up to date for ${ref}\n${ref}\n`);

    // The same image as a Docker schema2 manifest: another digest, the same layers and config.
    const docker = `${host}/test/three-docker:v1`;
    const r = await run(root, ['pull', docker]);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(1, 4)).toEqual(three.layers.map((l) => `${hex12(l.digest)}: Already exists`));
    const digest = lines.find((l) => l.startsWith('Digest: '))!.slice(8);
    expect(digest).not.toBe(three.manifestDigest);
    expect(JSON.parse(readFileSync(`${root}/images/oci/index.json`, 'utf8')).manifests.find((m: { digest: string }) => m.digest === digest).mediaType).toBe(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    const inspect = JSON.parse((await run(root, ['inspect', docker])).stdout)[0];
    expect(inspect.Id).toBe(three.configDigest);
    // One image (one config, one ID) known to the registry by two manifests: both are its RepoDigests, as in Docker.
    expect(inspect.RepoDigests).toEqual([`${host}/test/three-docker@${digest}`, `${host}/test/three@${three.manifestDigest}`]);

    const q = await run(root, ['pull', '-q', docker]);
    expect(q.stdout).toBe(`${docker}\n`);
  });

  it('a blob changed on the registry\'s disk is rejected and nothing is stored; so is a truncated one', { timeout: SLOW_MS }, async () => {
    const own = testRoot();
    const flippedLayer = tamperA.layers[1]!;
    reg.tamperBlob(flippedLayer.digest, 'flip');
    const r = await run(own, ['pull', `${host}/test/flipped:v1`]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`Error response from daemon: filesystem layer verification failed for digest ${flippedLayer.digest}: the registry sent content whose sha256 is ${r.stderr.match(/whose sha256 is (sha256:[0-9a-f]{64})/)?.[1]}; nothing was stored\n`);
    expect((await run(own, ['images', '-q'])).stdout).toBe('');
    let left = storeFiles(own);
    expect(left.blobs.filter((b) => b === flippedLayer.digest.slice(7) || b === tamperA.configDigest.slice(7) || b === tamperA.manifestDigest.slice(7))).toEqual([]);
    expect(left.layers).toEqual([]);
    expect(left.tmp).toEqual([]);

    const cut = tamperB.layers[1]!;
    reg.tamperBlob(cut.digest, 'truncate');
    const t = await run(own, ['pull', `${host}/test/truncated:v1`]);
    expect(t.exitCode).toBe(1);
    expect(t.stderr).toMatch(new RegExp(`^Error response from daemon: layer ${cut.digest}: .*(unexpected EOF|broke off).*nothing was stored`));
    // A download cut short is tried again (as Docker does), from scratch; a wrong digest never is.
    expect(t.stdout).toContain(`${hex12(cut.digest)}: Retrying in 1 second\n`);
    expect(t.stdout).toContain(`${hex12(cut.digest)}: Retrying in 2 seconds\n`);
    expect(r.stdout).not.toContain('Retrying');
    expect((await run(own, ['images', '-q'])).stdout).toBe('');
    left = storeFiles(own);
    expect(left.layers).toEqual([]);
    expect(left.tmp).toEqual([]);
  });

  it('a layer with .. , absolute paths or a symlink out is refused: nothing written outside, nothing stored', { timeout: SLOW_MS }, async () => {
    const own = testRoot();
    for (const e of escapes) {
      const r = await run(own, ['pull', `${host}/evil/${e.name}:v1`]);
      expect(r.exitCode, `${e.name}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^Error response from daemon: refusing to unpack layer ${hex12(e.img.layers[1]!.digest)} of ${host}/evil/${e.name}:v1: .+\\n$`));
      expect(readdirSync(outside)).toEqual([]);
      expect((await run(own, ['images', '-q'])).stdout).toBe('');
      expect(storeFiles(own).layers).toEqual([]);
      expect(storeFiles(own).tmp).toEqual([]);
    }
  });

  it('unknown tags, unreachable registries and bad platforms get one clear line and exit 1', { timeout: SLOW_MS }, async () => {
    const own = testRoot();
    const unknown = await run(own, ['pull', `${host}/test/three:nope`]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toBe(`Error response from daemon: manifest for ${host}/test/three:nope not found: manifest unknown: manifest unknown\n`);
    const noRepo = await run(own, ['pull', `${host}/no/such`]);
    expect(noRepo.exitCode).toBe(1);
    expect(noRepo.stdout).toBe('Using default tag: latest\n'); // Docker says "Pulling from" only once the registry has a manifest
    expect(noRepo.stderr).toMatch(/^Error response from daemon: manifest for .*\/no\/such:latest not found: (manifest|name) unknown/);

    const port = await freePort();
    const refused = await run(own, ['pull', `127.0.0.1:${port}/x/y:1`]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe(`Error response from daemon: Get "http://127.0.0.1:${port}/v2/x/y/manifests/1": dial tcp 127.0.0.1:${port}: connect: connection refused\n`);

    const badPlatform = await run(own, ['pull', '--platform', 'linux/s390x', `${host}/test/multi:m`]);
    expect(badPlatform.exitCode).toBe(1);
    expect(badPlatform.stderr).toBe(
      `Error response from daemon: no matching manifest for linux/s390x in the manifest list entries of ${host}/test/multi:m (available: linux/amd64, linux/arm64/v8; choose one with --platform)\n`,
    );
    const malformed = await run(own, ['pull', '--platform', 'amd64', `${host}/test/multi:m`]);
    expect(malformed.exitCode).toBe(1);
    expect(malformed.stderr).toMatch(/invalid platform: use os\/arch\[\/variant\]/);
    expect(storeFiles(own).layers).toEqual([]);
  });

  it('pulls by digest, and picks a platform from an index', { timeout: SLOW_MS }, async () => {
    const own = testRoot();
    const byDigest = `${host}/test/three@${three.manifestDigest}`;
    const r = await run(own, ['pull', byDigest]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`${three.manifestDigest}: Pulling from test/three`);
    expect(r.stdout.endsWith(`Status: Downloaded newer image for ${byDigest}\n${byDigest}\n`)).toBe(true);
    expect((await run(own, ['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}'])).stdout).toBe(`${host}/test/three <none> ${three.manifestDigest}\n`);
    expect((await run(own, ['run', '--rm', byDigest])).stdout).toBe('hello from layer 2\n');

    // The index: the host's platform by default, another with --platform (RepoDigest: the index's digest).
    const ref = `${host}/test/multi:m`;
    const amd = multi.images.find((i) => i.platform.architecture === 'amd64')!;
    const arm = multi.images.find((i) => i.platform.architecture === 'arm64')!;
    const host1 = await run(own, ['pull', ref]);
    expect(host1.exitCode).toBe(0);
    expect(host1.stdout).toContain(`Digest: ${multi.indexDigest}\n`);
    let inspect = JSON.parse((await run(own, ['inspect', ref])).stdout)[0];
    expect(inspect.Id).toBe(process.arch === 'arm64' ? arm.configDigest : amd.configDigest);
    expect(inspect.RepoDigests).toEqual([`${host}/test/multi@${multi.indexDigest}`]);

    const other = await run(own, ['pull', '--platform', process.arch === 'arm64' ? 'linux/amd64' : 'linux/arm64', ref]);
    expect(other.exitCode).toBe(0);
    inspect = JSON.parse((await run(own, ['inspect', ref])).stdout)[0];
    expect(inspect.Id).toBe(process.arch === 'arm64' ? amd.configDigest : arm.configDigest);
    expect(inspect.Architecture).toBe(process.arch === 'arm64' ? 'amd64' : 'arm64');
  });

  it('run of an image only in the registry pulls it (progress on stderr) and runs it', { timeout: SLOW_MS }, async () => {
    const own = testRoot();
    const ref = `${host}/test/three:v1`;
    const r = await run(own, ['run', '--rm', ref, 'cat', '/app/layer3.txt']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('from layer 3\n');
    expect(r.stderr.split('\n').slice(0, 2)).toEqual([`Unable to find image '${ref}' locally`, 'v1: Pulling from test/three']);
    expect(r.stderr).toContain(`Status: Downloaded newer image for ${ref}\n`);

    // Pulled once: the next run says nothing about pulling.
    const again = await run(own, ['run', '--rm', ref, 'true']);
    expect(again.stderr).toBe('');

    // A tag the registry does not have: Docker's run exit code for a daemon error.
    const missing = await run(own, ['run', '--rm', `${host}/test/three:nope`, 'true']);
    expect(missing.exitCode).toBe(125);
    expect(missing.stderr).toContain(`Unable to find image '${host}/test/three:nope' locally\n`);
    expect(missing.stderr).toContain('glass: Error response from daemon: manifest for');

    const created = await run(own, ['create', `${host}/test/three-docker:v1`]);
    expect(created.exitCode).toBe(0);
    expect(created.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(created.stderr).toContain(`Unable to find image '${host}/test/three-docker:v1' locally\n`);
    await run(own, ['rm', created.stdout.trim()]);
  });

  it('a pull killed half-way leaves nothing half-made, and pulling again works', { timeout: SLOW_MS }, async () => {
    const own = testRoot();
    const ref = `${host}/test/big:v1`;
    const env = { GLASS_CONFIG: emptyConfig() };
    const bg = glassInBackground(own, ['pull', ref], { env });
    // Killed once it works in its scratch directory (<root>/tmp/pull-...), before anything is stored.
    await waitFor(() => storeFiles(own).tmp.filter((d) => d.startsWith('pull-')).length, (n) => n > 0, { what: 'the pull to start downloading' });
    bg.proc.kill('SIGKILL');
    await bg.proc.catch(() => undefined);
    expect((await run(own, ['images', '-q'])).stdout).toBe(''); // (this glass also sweeps the dead pull's scratch)
    expect(storeFiles(own).layers).toEqual([]);
    expect(storeFiles(own).tmp).toEqual([]);
    // Ctrl-C: the pull stops, removes its own scratch at once, and exits as SIGINT would.
    const bg2 = glassInBackground(own, ['pull', ref], { env });
    await waitFor(() => storeFiles(own).tmp.filter((d) => d.startsWith('pull-')).length, (n) => n > 0, { what: 'the second pull to start downloading' });
    bg2.proc.kill('SIGINT');
    const interrupted = await bg2.proc.catch((e: { exitCode?: number }) => e);
    expect((interrupted as { exitCode?: number }).exitCode).toBe(130);
    expect(storeFiles(own).tmp).toEqual([]);
    expect(storeFiles(own).layers).toEqual([]);

    const again = await run(own, ['pull', ref]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(`Digest: ${big.manifestDigest}\n`);
    expect((await run(own, ['run', '--rm', ref, 'sh', '-c', 'cat /data/*.bin | wc -c'])).stdout.trim()).toBe(String(4 * Math.ceil((40 * 1024 * 1024) / 4)));
    expect(storeFiles(own).tmp).toEqual([]);
  });

  it('rmi of a pulled image untags its RepoDigest too; pulling again works', { timeout: SLOW_MS }, async () => {
    const own = testRoot();
    const ref = `${host}/test/three:v1`;
    await run(own, ['pull', '-q', ref]);
    // Untagging the repository's last tag of the image drops that repository's digest reference too (as Docker does);
    // the image stays under its other name.
    await run(own, ['tag', ref, 'other:v1']);
    const untag = await run(own, ['rmi', ref]);
    expect(untag.stdout).toBe(`Untagged: ${ref}\nUntagged: ${host}/test/three@${three.manifestDigest}\n`);
    expect(JSON.parse((await run(own, ['inspect', 'other:v1'])).stdout)[0].RepoDigests).toEqual([]);
    await run(own, ['pull', '-q', ref]);
    expect((await run(own, ['rmi', 'other:v1'])).stdout).toBe('Untagged: other:v1\n');
    // By its digest: only that reference goes while the image has others (here: its tag).
    await run(own, ['tag', ref, 'other:v1']);
    expect((await run(own, ['rmi', `${host}/test/three@${three.manifestDigest}`])).stdout).toBe(`Untagged: ${host}/test/three@${three.manifestDigest}\n`);
    expect((await run(own, ['images', '-q'])).stdout).toBe(`${hex12(three.configDigest)}\n`);
    await run(own, ['rmi', 'other:v1']);
    await run(own, ['pull', '-q', ref]);
    const rmi = await run(own, ['rmi', ref]);
    expect(rmi.stdout.split('\n').slice(0, 2)).toEqual([`Untagged: ${ref}`, `Untagged: ${host}/test/three@${three.manifestDigest}`]);
    expect(rmi.stdout).toContain(`Deleted: ${three.configDigest}\n`);
    expect(storeFiles(own).layers).toEqual([]);
    const back = await run(own, ['pull', ref]);
    expect(back.exitCode).toBe(0);
    expect(back.stdout).toContain(`Digest: ${three.manifestDigest}\n`);
  });
});

describe.skipIf(!isRoot)('glass pull with token auth (a token server as Docker Hub\'s)', () => {
  let reg: TestRegistry;
  const password = 'pw-never-printed-5e1f';
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token', users: { alice: password }, token: { anonymous: 'none' } });
    await pushToRegistry(three.layoutDir, 'v1', reg.host, 'private/three:v1', { creds: { username: 'alice', password } });
  }, SLOW_MS);
  afterAll(async () => {
    await reg?.stop();
  });

  it('works with the stored credentials and fails clearly without; the password never shows', { timeout: SLOW_MS }, async () => {
    const own = testRoot();
    const ref = `${reg.host}/private/three:v1`;
    const denied = await run(own, ['pull', ref]);
    expect(denied.exitCode).toBe(1);
    expect(denied.stderr).toMatch(new RegExp(`^Error response from daemon: pull access denied for ${reg.host}/private/three, repository does not exist or may require 'glass login': unauthorized: .+\\n$`));
    expect(storeFiles(own).layers).toEqual([]);

    const wrong = clientConfig({ auths: { [reg.host]: { auth: Buffer.from('alice:wrong').toString('base64') } } });
    const bad = await run(own, ['pull', ref], wrong);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/^Error response from daemon: unauthorized: /);

    const good = clientConfig({ auths: { [reg.host]: { auth: Buffer.from(`alice:${password}`).toString('base64') } } });
    const r = await run(own, ['--explain', 'pull', ref], good);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${ref}\n`);
    // The trace shows the protocol: the token request, the manifest, each blob, each layer as a lowerdir.
    expect(r.stderr).toMatch(/Ask the token server for a token \(with your credentials\): repository:private\/three:pull/);
    expect(r.stderr).toContain(`-u 'alice:<redacted>'`);
    expect(r.stderr).toContain("Authorization: Bearer <redacted>");
    expect(r.stderr).toContain(`Fetch the manifest of ${reg.host}/private/three:v1`);
    for (const l of three.layers) expect(r.stderr).toContain(`Download layer ${hex12(l.digest)} (${l.digest}`);
    expect(r.stderr).toMatch(/Unpack layer [0-9a-f]{12} into a layer directory \(an overlay lowerdir\)/);
    expect(r.stdout + r.stderr).not.toContain(password);
    expect(r.stdout + r.stderr).not.toContain(Buffer.from(`alice:${password}`).toString('base64'));
    const token = reg.tokenServer!.requests.at(-1)!;
    expect(token).toMatchObject({ user: 'alice', via: 'basic', status: 200 });
    expect(token.scopes).toEqual(['repository:private/three:pull']);
    expect((await run(own, ['run', '--rm', ref])).stdout).toBe('hello from layer 2\n');
    // Nothing glass recorded holds the password.
    let holders = '';
    try {
      holders = execFileSync('grep', ['-rl', '--', password, own], { encoding: 'utf8' });
    } catch (e) {
      expect((e as { status?: number }).status).toBe(1); // grep: no file matched
    }
    expect(holders).toBe('');
  });
});

describe.skipIf(!isRoot)('glass pull with Basic auth (htpasswd)', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'htpasswd', users: { bob: 'bob-secret' } });
    await pushToRegistry(three.layoutDir, 'v1', reg.host, 'basic/three:v1', { creds: 'bob:bob-secret' });
  }, SLOW_MS);
  afterAll(async () => {
    await reg?.stop();
  });

  it('sends the stored user and password; without them says so', { timeout: SLOW_MS }, async () => {
    const own = testRoot();
    const ref = `${reg.host}/basic/three:v1`;
    const none = await run(own, ['pull', ref]);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toMatch(/no basic auth credentials/);
    const cfg = clientConfig({ auths: { [reg.host]: { auth: Buffer.from('bob:bob-secret').toString('base64') } } });
    const r = await run(own, ['pull', '-q', ref], cfg);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${ref}\n`);
  });
});
