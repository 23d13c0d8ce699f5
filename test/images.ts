/**
 * Test images made locally, with no network: an OCI image layout (the
 * directory format `skopeo copy oci:DIR:TAG` reads) built from layer specs,
 * and a push of it to a registry with skopeo.
 *
 *   const img = buildOciLayout(dir, 'v1', threeLayerImage());
 *   await pushToRegistry(dir, 'v1', reg.host, 'test/three:v1');
 *   ... glass pull ${reg.host}/test/three:v1, compare digests with img ...
 *
 * Layers are tar archives written here byte by byte (POSIX ustar, with a pax
 * header only for names too long for ustar), then gzip: so every entry's
 * owner, mode and time is exactly what the spec says, with no root and no
 * chown; the same spec always gives the same bytes and digests; and a test
 * can make archives a careful tar would refuse to write (`../x`, `/etc/x`,
 * a symlink out of the root) to check that glass refuses them. GNU tar reads
 * them back (test/unit/test-images.test.ts checks it).
 *
 * No vitest import: bench/pull.mjs uses this file too (through tsx).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants as zlibConstants } from 'node:zlib';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
} as const;

/** One member of a layer tar. `path` is written as given (relative, no leading "./"; a dir gets its trailing "/"). */
export type TarEntry =
  | { type?: 'file'; path: string; content?: string | Buffer; mode?: number; uid?: number; gid?: number; mtime?: number; uname?: string; gname?: string }
  | { type: 'dir'; path: string; mode?: number; uid?: number; gid?: number; mtime?: number }
  | { type: 'symlink'; path: string; target: string; uid?: number; gid?: number; mtime?: number }
  | { type: 'hardlink'; path: string; target: string; mtime?: number }
  | { type: 'fifo'; path: string; mode?: number; mtime?: number }
  /** OCI whiteout: deletes `path` of a lower layer (written as an empty file `.wh.<name>` beside it). */
  | { type: 'whiteout'; path: string; mtime?: number }
  /** OCI opaque marker: hides everything lower layers had in directory `path` (an empty file `<path>/.wh..wh..opq`). */
  | { type: 'opaque'; path: string; mtime?: number };

export interface LayerSpec {
  entries: TarEntry[];
  /** The history entry's created_by (default: a Dockerfile-like line). */
  createdBy?: string;
  comment?: string;
  /** 'gzip' (default, as registries serve) or 'none' (an uncompressed tar layer). */
  compression?: 'gzip' | 'none';
  /** zlib level for gzip (default 6; bigger random layers use 1: random data does not compress anyway). */
  gzipLevel?: number;
}

export interface ImageSpec {
  layers: LayerSpec[];
  /** The container config: Cmd, Entrypoint, Env, WorkingDir, User, Labels, ExposedPorts... */
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
  variant?: string;
  /** RFC 3339 (default a fixed date: the same spec gives the same image ID). */
  created?: string;
  author?: string;
}

export interface BuiltLayer {
  mediaType: string;
  /** sha256 of the blob as stored (compressed). */
  digest: string;
  size: number;
  /** sha256 of the uncompressed tar. */
  diffId: string;
}

export interface BuiltImage {
  layoutDir: string;
  tag: string;
  /** The manifest's digest (what a registry answers as Docker-Content-Digest for an OCI push of it). */
  manifestDigest: string;
  manifest: Buffer;
  /** The image ID: the config blob's digest. */
  configDigest: string;
  config: Buffer;
  layers: BuiltLayer[];
  /** Sum of the layer blobs' sizes. */
  layersSize: number;
}

/** The platform-specific images of a multi-platform index, and the index itself. */
export interface BuiltIndex {
  layoutDir: string;
  tag: string;
  indexDigest: string;
  index: Buffer;
  images: (BuiltImage & { platform: { architecture: string; os: string; variant?: string } })[];
}

const FIXED_CREATED = '2026-01-01T00:00:00Z';
const FIXED_MTIME = Date.parse(FIXED_CREATED) / 1000;

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The Go/OCI architecture name of this host (amd64, arm64...). */
export function hostArchitecture(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[process.arch] ?? process.arch;
}

// ---- tar, by hand ------------------------------------------------------------

function octal(n: number, width: number): string {
  // width-1 octal digits and a NUL, as ustar wants.
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(fields: { name: string; mode: number; uid: number; gid: number; size: number; mtime: number; type: string; linkname?: string; uname?: string; gname?: string; prefix?: string }): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => {
    const b = Buffer.from(s);
    if (b.length > len) throw new Error(`tar header field too long (${b.length} > ${len}): ${s}`);
    b.copy(h, off);
  };
  put(fields.name, 0, 100);
  put(octal(fields.mode, 8), 100, 8);
  put(octal(fields.uid, 8), 108, 8);
  put(octal(fields.gid, 8), 116, 8);
  put(octal(fields.size, 12), 124, 12);
  put(octal(fields.mtime, 12), 136, 12);
  h.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  put(fields.type, 156, 1);
  put(fields.linkname ?? '', 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put(fields.uname ?? '', 265, 32);
  put(fields.gname ?? '', 297, 32);
  put(octal(0, 8), 329, 8);
  put(octal(0, 8), 337, 8);
  put(fields.prefix ?? '', 345, 155);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** A pax extended header ('x') carrying records that do not fit ustar (long path or link target). */
function paxHeader(records: Record<string, string>, mtime: number): Buffer[] {
  let body = '';
  for (const [k, v] of Object.entries(records)) {
    // "LEN key=value\n", LEN counting itself.
    const rest = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(rest) + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len) len++;
    body += `${len}${rest}`;
  }
  const data = Buffer.from(body);
  return [header({ name: 'PaxHeaders/entry', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime, type: 'x' }), data, pad(data.length)];
}

/** Split a name into ustar's prefix (≤155) and name (≤100), or undefined when it cannot be. */
function ustarName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest) return { name: rest, prefix };
  }
  return undefined;
}

function dirOf(path: string): string {
  const p = path.replace(/\/+$/, '');
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i + 1);
}

function baseOf(path: string): string {
  const p = path.replace(/\/+$/, '');
  return p.slice(p.lastIndexOf('/') + 1);
}

/** A tar archive holding these entries, in the order given, ending in two zero blocks. */
export function tarOf(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const mtime = e.mtime ?? FIXED_MTIME;
    let name = e.path;
    let type = '0';
    let mode = 0o644;
    let uid = 0;
    let gid = 0;
    let data: Buffer = Buffer.alloc(0);
    let linkname = '';
    let uname = '';
    let gname = '';
    switch (e.type ?? 'file') {
      case 'file': {
        const f = e as Extract<TarEntry, { type?: 'file' }>;
        data = Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content ?? '');
        mode = f.mode ?? 0o644;
        uid = f.uid ?? 0;
        gid = f.gid ?? 0;
        uname = f.uname ?? '';
        gname = f.gname ?? '';
        break;
      }
      case 'dir': {
        const d = e as Extract<TarEntry, { type: 'dir' }>;
        type = '5';
        mode = d.mode ?? 0o755;
        uid = d.uid ?? 0;
        gid = d.gid ?? 0;
        if (!name.endsWith('/')) name += '/';
        break;
      }
      case 'symlink': {
        const s = e as Extract<TarEntry, { type: 'symlink' }>;
        type = '2';
        mode = 0o777;
        uid = s.uid ?? 0;
        gid = s.gid ?? 0;
        linkname = s.target;
        break;
      }
      case 'hardlink':
        type = '1';
        linkname = (e as Extract<TarEntry, { type: 'hardlink' }>).target;
        break;
      case 'fifo':
        type = '6';
        mode = (e as Extract<TarEntry, { type: 'fifo' }>).mode ?? 0o644;
        break;
      case 'whiteout':
        name = `${dirOf(e.path)}.wh.${baseOf(e.path)}`;
        break;
      case 'opaque':
        name = `${e.path.replace(/\/+$/, '')}/.wh..wh..opq`;
        break;
    }
    const split = ustarName(name);
    const pax: Record<string, string> = {};
    if (!split) pax.path = name;
    if (Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
    if (Object.keys(pax).length) parts.push(...paxHeader(pax, mtime));
    const short = split ?? { name: name.slice(0, 99), prefix: '' };
    parts.push(
      header({ name: short.name, prefix: short.prefix, mode, uid, gid, size: data.length, mtime, type, linkname: pax.linkpath ? linkname.slice(0, 99) : linkname, uname, gname }),
      data,
      pad(data.length),
    );
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

// ---- layers and images ----------------------------------------------------------

/** Pack one layer: its tar, the blob (gzip or the tar itself), the digests. */
export function packLayer(spec: LayerSpec): BuiltLayer & { blob: Buffer; tar: Buffer } {
  const tar = tarOf(spec.entries);
  // gzip from zlib: no file name, mtime 0 in the header, so the same tar always gives the same blob.
  const blob = spec.compression === 'none' ? tar : gzipSync(tar, { level: spec.gzipLevel ?? zlibConstants.Z_DEFAULT_COMPRESSION });
  return { mediaType: spec.compression === 'none' ? MEDIA.ociLayerTar : MEDIA.ociLayerGzip, digest: sha256(blob), size: blob.length, diffId: sha256(tar), blob, tar };
}

function writeBlob(layoutDir: string, data: Buffer): string {
  const digest = sha256(data);
  const dir = join(layoutDir, 'blobs/sha256');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, digest.slice(7)), data);
  return digest;
}

/** Write one image's layers, config and manifest as blobs of the layout; index.json is the caller's. */
function writeImage(layoutDir: string, tag: string, spec: ImageSpec): BuiltImage {
  const created = spec.created ?? FIXED_CREATED;
  const layers: BuiltLayer[] = [];
  const history: Record<string, unknown>[] = [];
  spec.layers.forEach((l, i) => {
    const packed = packLayer(l);
    writeBlob(layoutDir, packed.blob);
    layers.push({ mediaType: packed.mediaType, digest: packed.digest, size: packed.size, diffId: packed.diffId });
    history.push({ created, created_by: l.createdBy ?? `/bin/sh -c #(nop) ADD file:layer${i + 1} in / `, ...(l.comment ? { comment: l.comment } : {}) });
  });
  const configJson = {
    created,
    ...(spec.author ? { author: spec.author } : {}),
    architecture: spec.architecture ?? hostArchitecture(),
    ...(spec.variant ? { variant: spec.variant } : {}),
    os: spec.os ?? 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], ...spec.config },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history,
  };
  const config = Buffer.from(JSON.stringify(configJson));
  const configDigest = writeBlob(layoutDir, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  const manifestDigest = writeBlob(layoutDir, manifest);
  return { layoutDir, tag, manifestDigest, manifest, configDigest, config, layers, layersSize: layers.reduce((n, l) => n + l.size, 0) };
}

function writeLayoutFiles(layoutDir: string, descriptor: Record<string, unknown>): void {
  writeFileSync(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layoutDir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [descriptor] }));
}

/**
 * Build an OCI image layout in `layoutDir` (created if missing) holding one
 * image, tagged `tag` in index.json (org.opencontainers.image.ref.name).
 */
export function buildOciLayout(layoutDir: string, tag: string, spec: ImageSpec): BuiltImage {
  mkdirSync(layoutDir, { recursive: true });
  const img = writeImage(layoutDir, tag, spec);
  writeLayoutFiles(layoutDir, { mediaType: MEDIA.ociManifest, digest: img.manifestDigest, size: img.manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } });
  return img;
}

/**
 * Build an OCI layout whose `tag` names an image index (a "manifest list")
 * with one image per platform, as multi-platform images on Docker Hub are.
 * Push it with `pushToRegistry(..., { all: true })`.
 */
export function buildMultiPlatformLayout(layoutDir: string, tag: string, platforms: (ImageSpec & { architecture: string; os?: string })[]): BuiltIndex {
  mkdirSync(layoutDir, { recursive: true });
  const images = platforms.map((spec) => {
    const img = writeImage(layoutDir, tag, spec);
    return { ...img, platform: { architecture: spec.architecture, os: spec.os ?? 'linux', ...(spec.variant ? { variant: spec.variant } : {}) } };
  });
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: images.map((i) => ({ mediaType: MEDIA.ociManifest, digest: i.manifestDigest, size: i.manifest.length, platform: i.platform })),
    }),
  );
  const indexDigest = writeBlob(layoutDir, index);
  writeLayoutFiles(layoutDir, { mediaType: MEDIA.ociIndex, digest: indexDigest, size: index.length, annotations: { 'org.opencontainers.image.ref.name': tag } });
  return { layoutDir, tag, indexDigest, index, images };
}

// ---- ready-made layers -----------------------------------------------------------

let applets: string[] | undefined;

/**
 * A base layer that runs: the host's static busybox as /bin/busybox, a
 * symlink per applet (/bin/sh, /bin/echo...), the usual top-level
 * directories, root in /etc/passwd. (busybox-static is a dependency of glass.)
 */
export function busyboxLayer(): LayerSpec {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('test images need the host busybox (apt-get install busybox-static)');
  applets ??= execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox' && !a.includes('/'));
  const entries: TarEntry[] = [
    ...['bin', 'dev', 'etc', 'proc', 'sys', 'usr', 'usr/bin', 'var'].map((path) => ({ type: 'dir' as const, path })),
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { path: 'bin/busybox', content: readFileSync(busybox), mode: 0o755 },
    ...applets.sort().map((a) => ({ type: 'symlink' as const, path: `bin/${a}`, target: 'busybox' })),
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' },
    { path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
  ];
  return { entries, createdBy: '/bin/sh -c #(nop) ADD file:busybox in / ' };
}

/**
 * The standard three-layer test image:
 *   1. busybox (runs `sh`, `cat`, `ls`...)
 *   2. /app with a file owned by 1000:1000, a script 0755, a symlink, a
 *      0700 directory, and /etc/motd and /app/old.txt to be removed later
 *   3. a whiteout of /app/old.txt, an opaque marker on /app/cache (its
 *      lower files vanish, a new one appears), and a new file
 * Running `cat /app/hello.txt` prints "hello from layer 2".
 */
export function threeLayerImage(extra: { label?: string } = {}): ImageSpec {
  return {
    layers: [
      busyboxLayer(),
      {
        entries: [
          { type: 'dir', path: 'app' },
          { path: 'app/hello.txt', content: 'hello from layer 2\n', uid: 1000, gid: 1000 },
          { path: 'app/run.sh', content: '#!/bin/sh\necho running\n', mode: 0o755 },
          { type: 'symlink', path: 'app/link', target: 'hello.txt' },
          { path: 'app/old.txt', content: 'removed by layer 3\n' },
          { type: 'dir', path: 'app/cache' },
          { path: 'app/cache/a', content: 'lower a\n' },
          { path: 'app/cache/b', content: 'lower b\n' },
          { type: 'dir', path: 'app/private', mode: 0o700, uid: 1000, gid: 1000 },
          { path: 'etc/motd', content: 'welcome\n', mode: 0o600 },
        ],
        createdBy: '/bin/sh -c #(nop) COPY dir:app in /app ',
      },
      {
        entries: [
          { type: 'dir', path: 'app' },
          { type: 'whiteout', path: 'app/old.txt' },
          { type: 'dir', path: 'app/cache' },
          { type: 'opaque', path: 'app/cache' },
          { path: 'app/cache/c', content: 'upper c\n' },
          { path: 'app/layer3.txt', content: 'from layer 3\n', mode: 0o640 },
        ],
        createdBy: '/bin/sh -c rm /app/old.txt && rm -r /app/cache/* && echo upper c > /app/cache/c',
      },
    ],
    config: { Cmd: ['cat', '/app/hello.txt'], WorkingDir: '/app', Labels: { 'org.glass.test': extra.label ?? 'three-layer' } },
  };
}

/**
 * `count` layers of incompressible data, `totalBytes` in all (each a file
 * /data/layerN.bin), from a seeded keystream (AES-128-CTR of zeros): the
 * same seed gives the same bytes, so the same image, quickly (GB/s).
 */
export function randomLayers(totalBytes: number, count: number, seed = 'glass'): LayerSpec[] {
  const per = Math.ceil(totalBytes / count);
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Array.from({ length: count }, (_, i) => ({
    entries: [
      { type: 'dir' as const, path: 'data' },
      { path: `data/layer${i + 1}.bin`, content: cipher.update(Buffer.alloc(per)) },
    ],
    createdBy: `/bin/sh -c head -c ${per} /dev/urandom > /data/layer${i + 1}.bin`,
    gzipLevel: 1,
  }));
}

/** An image of about `megabytes` MB (busybox plus `count` random layers), for the pull benchmark. */
export function bigImage(megabytes: number, count = 5, seed = 'glass-bench'): ImageSpec {
  return {
    layers: [busyboxLayer(), ...randomLayers(megabytes * 1024 * 1024, count, seed)],
    config: { Cmd: ['ls', '-l', '/data'] },
  };
}

// ---- to a registry -----------------------------------------------------------------

export interface PushOptions {
  /** "user:password" or {username, password}, for a registry that wants them (Basic or token auth). */
  creds?: string | { username: string; password: string };
  /** 'oci' (default: the layout's own OCI media types) or 'v2s2' (Docker schema2: skopeo rewrites the manifest, the blobs stay). */
  format?: 'oci' | 'v2s2';
  /** Push every platform of an index (a multi-platform layout). */
  all?: boolean;
}

/**
 * Push the layout's `tag` to docker://HOST/REPOSITORY[:TAG] with skopeo
 * (plain HTTP: the registry is on loopback). `repository` may carry a tag
 * ("test/three:v1"); without one the layout's tag is used. Resolves to
 * skopeo's output; rejects with it when skopeo fails.
 */
export function pushToRegistry(layoutDir: string, tag: string, registryHost: string, repository: string, opts: PushOptions = {}): Promise<string> {
  const dest = /:[^/]+$/.test(repository) ? repository : `${repository}:${tag}`;
  const args = ['--insecure-policy', 'copy', '--dest-tls-verify=false'];
  if (opts.creds) args.push('--dest-creds', typeof opts.creds === 'string' ? opts.creds : `${opts.creds.username}:${opts.creds.password}`);
  if (opts.format === 'v2s2') args.push('--format', 'v2s2');
  if (opts.all) args.push('--all');
  args.push(`oci:${layoutDir}:${tag}`, `docker://${registryHost}/${dest}`);
  return new Promise((resolve, reject) => {
    execFile('skopeo', args, { maxBuffer: 16 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      // Never echo the command line: it may hold a password.
      if (err) reject(new Error(`skopeo copy oci:${layoutDir}:${tag} docker://${registryHost}/${dest} failed: ${stderr || err.message}`));
      else resolve(stdout + stderr);
    });
  });
}
