import { describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildMultiPlatformLayout, buildOciLayout, hostArchitecture, packLayer, randomLayers, sha256, tarOf, threeLayerImage } from '../images.js';
import { findEscape, LIST_FLAGS, parseTarListing } from '../../runtime/kernel/archive-members.js';

/**
 * The test-image builder (test/images.ts) that the registry tests, the pull
 * benchmark and the registries lesson's tests rely on: its tars read back in
 * GNU tar exactly as specified, its layouts are what skopeo reads, and the
 * same spec always gives the same digests. No root needed.
 */

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'glass-test-images-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** GNU tar's verbose listing of a tar given as bytes. */
function tarList(tar: Buffer): string[] {
  return execFileSync('tar', ['-tvf', '-', '--numeric-owner', '--utc'], { input: tar, encoding: 'utf8' }).trim().split('\n');
}

describe('test images: tar by hand', () => {
  it('writes files, dirs, symlinks, hardlinks, whiteouts and opaque markers with exact modes and owners, as GNU tar reads them', () => {
    const tar = tarOf([
      { type: 'dir', path: 'app', mode: 0o750, uid: 1000, gid: 1001 },
      { path: 'app/hello.txt', content: 'hello\n', mode: 0o600, uid: 1000, gid: 1000 },
      { type: 'symlink', path: 'app/link', target: 'hello.txt' },
      { type: 'hardlink', path: 'app/hard', target: 'app/hello.txt' },
      { type: 'whiteout', path: 'app/gone.txt' },
      { type: 'opaque', path: 'app/cache' },
      { type: 'fifo', path: 'app/pipe' },
      { path: 'tmp/x', content: 'x', mode: 0o4755 },
    ]);
    expect(tar.length % 512).toBe(0);
    expect(tarList(tar)).toEqual([
      'drwxr-x--- 1000/1001         0 2026-01-01 00:00 app/',
      '-rw------- 1000/1000         6 2026-01-01 00:00 app/hello.txt',
      'lrwxrwxrwx 0/0               0 2026-01-01 00:00 app/link -> hello.txt',
      'hrw-r--r-- 0/0               0 2026-01-01 00:00 app/hard link to app/hello.txt',
      '-rw-r--r-- 0/0               0 2026-01-01 00:00 app/.wh.gone.txt',
      '-rw-r--r-- 0/0               0 2026-01-01 00:00 app/cache/.wh..wh..opq',
      'prw-r--r-- 0/0               0 2026-01-01 00:00 app/pipe',
      '-rwsr-xr-x 0/0               1 2026-01-01 00:00 tmp/x',
    ]);
    // And the contents come back byte for byte.
    expect(execFileSync('tar', ['-xOf', '-', 'app/hello.txt'], { input: tar, encoding: 'utf8' })).toBe('hello\n');
  });

  it('names too long for ustar go in a pax header; ustar prefix/name splits are used when they fit', () => {
    const deep = `${'d'.repeat(120)}/${'f'.repeat(90)}`; // fits prefix (≤155) + name (≤100)
    const long = `${'x'.repeat(120)}/${'y'.repeat(150)}`; // name part > 100: pax
    const target = `${'t'.repeat(130)}`;
    const tar = tarOf([{ path: deep, content: 'a' }, { path: long, content: 'b' }, { type: 'symlink', path: 's', target }]);
    const names = execFileSync('tar', ['-tf', '-'], { input: tar, encoding: 'utf8' }).trim().split('\n');
    expect(names).toEqual([deep, long, 's']);
    expect(tarList(tar)[2]).toContain(`s -> ${target}`);
  });

  it('writes the members a careful tar refuses, so tests can check glass refuses them', () => {
    const tar = tarOf([
      { path: '../escape', content: 'x' },
      { path: '/etc/abs', content: 'x' },
      { type: 'symlink', path: 'out', target: '../../../../etc' },
    ]);
    const members = parseTarListing(execFileSync('tar', [...LIST_FLAGS, '-f', '-'], { input: tar, encoding: 'utf8' }));
    expect(members.map((m) => m.name)).toEqual(['../escape', '/etc/abs', 'out']);
    expect(findEscape(members)).toBeDefined();
  });

  it('packs a layer reproducibly: same spec, same bytes; diff_id is the sha256 of the tar, digest of the gzip blob', () => {
    const spec = { entries: [{ path: 'a', content: 'same' }] };
    const one = packLayer(spec);
    const two = packLayer(spec);
    expect(one.digest).toBe(two.digest);
    expect(one.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(one.diffId).toBe(sha256(gunzipSync(one.blob)));
    expect(one.digest).toBe(sha256(one.blob));
    const plain = packLayer({ ...spec, compression: 'none' });
    expect(plain.digest).toBe(plain.diffId);
    expect(plain.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
  });

  it('random layers are incompressible and the same for the same seed', () => {
    const [a] = randomLayers(1 << 20, 1, 's');
    const [b] = randomLayers(1 << 20, 1, 's');
    const pa = packLayer(a);
    expect(pa.digest).toBe(packLayer(b).digest);
    expect(pa.size).toBeGreaterThan(1 << 20); // gzip of random data is no smaller
    expect(packLayer(randomLayers(1 << 20, 1, 'other')[0]).digest).not.toBe(pa.digest);
  });
});

describe('test images: OCI layouts', () => {
  it('the three-layer image: skopeo reads the layout; config diff_ids, history and Cmd match the layers', () => {
    const dir = scratch();
    const img = buildOciLayout(dir, 'v1', threeLayerImage());
    expect(img.layers).toHaveLength(3);
    const inspect = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${dir}:v1`], { encoding: 'utf8' })) as { Digest: string; Layers: string[]; Architecture: string };
    expect(inspect.Digest).toBe(img.manifestDigest);
    expect(inspect.Layers).toEqual(img.layers.map((l) => l.digest));
    expect(inspect.Architecture).toBe(hostArchitecture());
    const config = JSON.parse(readFileSync(join(dir, 'blobs/sha256', img.configDigest.slice(7)), 'utf8'));
    expect(config.rootfs.diff_ids).toEqual(img.layers.map((l) => l.diffId));
    expect(config.history).toHaveLength(3);
    expect(config.config.Cmd).toEqual(['cat', '/app/hello.txt']);
    for (const l of img.layers) {
      const blob = readFileSync(join(dir, 'blobs/sha256', l.digest.slice(7)));
      expect(sha256(blob)).toBe(l.digest);
      expect(sha256(gunzipSync(blob))).toBe(l.diffId);
    }
    // The upper layer holds the whiteout and the opaque marker, as OCI writes them.
    const upper = tarList(gunzipSync(readFileSync(join(dir, 'blobs/sha256', img.layers[2].digest.slice(7)))));
    expect(upper.some((l) => l.endsWith(' app/.wh.old.txt'))).toBe(true);
    expect(upper.some((l) => l.endsWith(' app/cache/.wh..wh..opq'))).toBe(true);
    // Built again elsewhere: the same image ID and manifest digest.
    const again = buildOciLayout(join(dir, 'again'), 'v1', threeLayerImage());
    expect([again.configDigest, again.manifestDigest]).toEqual([img.configDigest, img.manifestDigest]);
  });

  it('a two-platform index: skopeo lists both platforms under one tag', () => {
    const dir = scratch();
    const idx = buildMultiPlatformLayout(dir, 'multi', [
      { layers: [{ entries: [{ path: 'amd', content: 'amd64' }] }], architecture: 'amd64' },
      { layers: [{ entries: [{ path: 'arm', content: 'arm64' }] }], architecture: 'arm64', variant: 'v8' },
    ]);
    const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci:${dir}:multi`], { encoding: 'utf8' }));
    expect(sha256(JSON.stringify(raw))).toBe(idx.indexDigest);
    expect(raw.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    const arm = JSON.parse(execFileSync('skopeo', ['inspect', '--override-arch', 'arm64', '--override-variant', 'v8', `oci:${dir}:multi`], { encoding: 'utf8' }));
    expect(arm.Architecture).toBe('arm64');
    expect(arm.Digest).toBe(idx.indexDigest); // skopeo names the digest of what the tag points to: the index
    expect(arm.Layers).toEqual(idx.images[1].layers.map((l) => l.digest));
  });
});
