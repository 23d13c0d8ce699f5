import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { exists, readJson, readJsonIfExists, writeFileAtomic, writeJson } from '../state/files.js';
import type { Paths } from '../state/paths.js';
import type { OciImageConfig } from './types.js';

/**
 * The OCI image layout (github.com/opencontainers/image-spec). An image is a
 * small tree of content-addressed blobs, each stored under the sha256 of its
 * own bytes, so identical content is stored once and can always be verified:
 *
 *   index.json     the entry point: which manifests this store holds, and
 *                  under which names
 *   manifest       one image for one platform: points to its config and to
 *                  its layers, in order
 *   config         how to run it (Env, Cmd, WorkingDir...) and the diff_ids:
 *                  the sha256 of each layer's *uncompressed* tar. Its own
 *                  digest is the image ID that `docker images` shows.
 *   layer          a tar archive of files (maybe gzip-compressed; then its
 *                  digest and its diff_id differ)
 */
export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  layerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** "Where a blob is, what it is, how big": how one OCI document points to another. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface OciManifest {
  schemaVersion: 2;
  mediaType: typeof MEDIA.manifest;
  config: Descriptor;
  layers: Descriptor[];
}

export interface OciIndex {
  schemaVersion: 2;
  mediaType: typeof MEDIA.index;
  manifests: Descriptor[];
}

/** OCI annotations naming an image in index.json (as `docker save` writes them). */
export const ANNOTATION = {
  refName: 'org.opencontainers.image.ref.name',
  imageName: 'io.containerd.image.name',
} as const;

export function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** The exact bytes of a JSON document: its digest is taken over these. */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

export function manifestFor(config: { digest: string; size: number }, layers: Descriptor[]): OciManifest {
  return {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: config.digest, size: config.size },
    layers,
  };
}

/** Create the directories and the two fixed files of the layout if missing. */
export async function ensureLayout(paths: Paths): Promise<void> {
  await fs.mkdir(join(paths.oci, 'blobs', 'sha256'), { recursive: true });
  await fs.mkdir(paths.layers, { recursive: true });
  await fs.mkdir(paths.tmp, { recursive: true });
  const layoutFile = join(paths.oci, 'oci-layout');
  if (!(await exists(layoutFile))) await writeJson(layoutFile, { imageLayoutVersion: '1.0.0' });
  const indexFile = join(paths.oci, 'index.json');
  if (!(await exists(indexFile))) await writeIndex(paths, []);
}

export async function readIndex(paths: Paths): Promise<Descriptor[]> {
  const index = await readJsonIfExists<OciIndex>(join(paths.oci, 'index.json'));
  return index?.manifests ?? [];
}

export async function writeIndex(paths: Paths, manifests: Descriptor[]): Promise<void> {
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA.index, manifests };
  await writeJson(join(paths.oci, 'index.json'), index);
}

export async function readBlobJson<T>(paths: Paths, digest: string): Promise<T> {
  return readJson<T>(paths.blob(digest));
}

/** Store bytes under their digest, unless already there (content addressing makes this idempotent). */
export async function putBlob(paths: Paths, data: Uint8Array): Promise<{ digest: string; size: number; created: boolean }> {
  const digest = sha256(data);
  const path = paths.blob(digest);
  if (await exists(path)) return { digest, size: data.length, created: false };
  await writeFileAtomic(path, data);
  return { digest, size: data.length, created: true };
}

/** An image assembled in a scratch directory, ready to be moved into the store. */
export interface PreparedImage {
  config: OciImageConfig;
  /**
   * The config exactly as it came (load, pull): stored byte for byte, so the
   * image ID (its sha256) stays the same. Absent: `config` is serialised.
   */
  configBytes?: Buffer;
  /** The manifest exactly as it came, with its media type; absent: an OCI manifest is made. */
  manifestBytes?: Buffer;
  manifestMediaType?: string;
  layers: PreparedLayer[];
  /**
   * The scratch directory; whatever was not moved into the store is removed
   * with it. Absent: the caller removes its own scratch (pull does).
   */
  workDir?: string;
}

export interface PreparedLayer {
  /** The layer blob as the manifest lists it. */
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar: names the unpacked tree in layers/. */
  diffId: string;
  /** The blob file, to be moved to blobs/sha256/<hex>; absent when the store had the blob already. */
  blobPath?: string;
  /** The unpacked tree, to be moved to layers/<diff_id hex>; absent when the store had the layer already. */
  treePath?: string;
}

/** The OCI (Go) name of this machine's CPU architecture. */
export function hostArchitecture(): string {
  const goarch: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loong64',
    mips: 'mips',
    mipsel: 'mipsle',
  };
  return goarch[process.arch] ?? process.arch;
}

/** RFC 3339 without fractional seconds, as image configs usually carry it. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
