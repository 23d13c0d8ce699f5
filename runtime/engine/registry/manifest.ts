import { GlassError } from '../errors.js';
import { hostArchitecture, type Descriptor } from '../images/oci.js';

/**
 * The documents a registry serves for a tag, by media type. Two families
 * say the same things: Docker's (schema 2, 2016) and the OCI's (2017, which
 * grew out of it). A tag names either
 *
 *   an index / manifest list   one entry per platform (linux/amd64,
 *                              linux/arm64/v8...): pick the host's, then
 *                              fetch that manifest by its digest
 *   a manifest                 one image: its config blob and its layer blobs
 *
 * Docker's older schema 1 (signed JSON, no config blob, no content-addressed
 * image ID) is refused, as current Docker refuses it.
 */
export const MANIFEST_MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  schema1: 'application/vnd.docker.distribution.manifest.v1+json',
  schema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The Accept header of a manifest GET: every kind glass reads, and schema 1 only to say it is refused. */
export const MANIFEST_ACCEPT = [
  MANIFEST_MEDIA.ociIndex,
  MANIFEST_MEDIA.dockerList,
  MANIFEST_MEDIA.ociManifest,
  MANIFEST_MEDIA.dockerManifest,
  `${MANIFEST_MEDIA.schema1Signed};q=0.5`,
  `${MANIFEST_MEDIA.schema1};q=0.5`,
].join(', ');

export const CONFIG_MEDIA = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];

/** Layer media types glass unpacks, and how each is compressed. */
const LAYER_MEDIA: Record<string, 'gzip' | 'none' | 'zstd'> = {
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
};

/** The largest manifest glass reads (containerd's limit): a reply bigger than this is not a manifest. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface PlatformDescriptor extends Descriptor {
  platform?: Platform & { 'os.version'?: string };
}

export interface ImageIndexDoc {
  schemaVersion: number;
  mediaType?: string;
  manifests: PlatformDescriptor[];
}

export interface ImageManifestDoc {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export type FetchedDocument =
  | { kind: 'index'; mediaType: string; doc: ImageIndexDoc }
  | { kind: 'manifest'; mediaType: string; doc: ImageManifestDoc };

/**
 * Read a manifest reply: which kind it is (from its Content-Type, else its
 * own mediaType field, else its shape) and its fields, checked enough that
 * nothing later trips on a malicious or broken one.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | null, what: string): FetchedDocument {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new GlassError('REGISTRY_ERROR', `the manifest of ${what} is not valid JSON`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new GlassError('REGISTRY_ERROR', `the manifest of ${what} is not a JSON object`);
  const header = (contentType ?? '').split(';')[0]!.trim();
  const own = typeof doc.mediaType === 'string' ? doc.mediaType : '';
  let mediaType = own || header;
  if (!mediaType || mediaType === 'application/json' || mediaType === 'application/octet-stream') {
    mediaType = Array.isArray(doc.manifests) ? MANIFEST_MEDIA.ociIndex : doc.config ? MANIFEST_MEDIA.ociManifest : doc.schemaVersion === 1 ? MANIFEST_MEDIA.schema1 : '';
  }
  if (mediaType === MANIFEST_MEDIA.schema1 || mediaType === MANIFEST_MEDIA.schema1Signed || doc.schemaVersion === 1) {
    throw new GlassError(
      'REGISTRY_ERROR',
      `[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled by default and will be removed in an upcoming release. Suggest the author of ${what} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/`,
    );
  }
  if (doc.schemaVersion !== 2) throw new GlassError('REGISTRY_ERROR', `the manifest of ${what} has schemaVersion ${JSON.stringify(doc.schemaVersion)}; glass reads schema version 2 (OCI and Docker)`);
  if (mediaType === MANIFEST_MEDIA.ociIndex || mediaType === MANIFEST_MEDIA.dockerList) {
    if (!Array.isArray(doc.manifests)) throw new GlassError('REGISTRY_ERROR', `the index of ${what} has no "manifests" list`);
    for (const m of doc.manifests) checkDescriptor(m, what);
    return { kind: 'index', mediaType, doc: doc as unknown as ImageIndexDoc };
  }
  if (mediaType === MANIFEST_MEDIA.ociManifest || mediaType === MANIFEST_MEDIA.dockerManifest) {
    checkDescriptor(doc.config, what);
    if (!Array.isArray(doc.layers)) throw new GlassError('REGISTRY_ERROR', `the manifest of ${what} has no "layers" list`);
    for (const l of doc.layers) checkDescriptor(l, what);
    return { kind: 'manifest', mediaType, doc: doc as unknown as ImageManifestDoc };
  }
  throw new GlassError(
    'REGISTRY_ERROR',
    `unsupported manifest media type ${JSON.stringify(mediaType)} for ${what}: glass reads OCI and Docker schema 2 images (an artifact that is not a container image cannot be run)`,
  );
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function checkDescriptor(d: unknown, what: string): asserts d is Descriptor {
  const x = d as Descriptor;
  if (!x || typeof x !== 'object' || typeof x.digest !== 'string' || !Number.isSafeInteger(x.size) || x.size < 0) {
    throw new GlassError('REGISTRY_ERROR', `the manifest of ${what} has a malformed entry (a descriptor needs a digest and a size)`);
  }
  if (!DIGEST.test(x.digest)) {
    throw new GlassError('REGISTRY_ERROR', `the manifest of ${what} names a blob by ${JSON.stringify(x.digest.slice(0, 80))}: glass accepts sha256 digests only`);
  }
}

/** How a layer blob is compressed, or an error for a media type glass cannot unpack. */
export function layerCompression(d: Descriptor, what: string): 'gzip' | 'none' {
  const c = LAYER_MEDIA[d.mediaType];
  if (c === 'zstd') {
    throw new GlassError('REGISTRY_ERROR', `${what} has a zstd-compressed layer (${d.digest.slice(7, 19)}); glass unpacks gzip and uncompressed layers only (Node 20 has no zstd): pull a gzip variant of the image`);
  }
  if (c) return c;
  if (d.mediaType.includes('foreign')) {
    throw new GlassError('REGISTRY_ERROR', `${what} has a foreign layer (${d.mediaType}): that is a Windows image, which Linux containers cannot run`);
  }
  throw new GlassError('REGISTRY_ERROR', `unsupported layer media type ${JSON.stringify(d.mediaType)} in ${what}`);
}

/** The host's platform, in the OCI (Go) names: linux/amd64, linux/arm64/v8, linux/arm/v7. */
export function hostPlatform(): Platform {
  const architecture = hostArchitecture();
  const variant = architecture === 'arm64' ? 'v8' : architecture === 'arm' ? `v${armVersion()}` : undefined;
  return { os: 'linux', architecture, ...(variant ? { variant } : {}) };
}

function armVersion(): number {
  const v = Number((process.config.variables as { arm_version?: string | number }).arm_version);
  return Number.isFinite(v) && v > 0 ? v : 7;
}

/** Parse `--platform os/arch[/variant]` (Docker also takes "arch" alone... no: it requires os). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new GlassError('INVALID_ARGUMENT', `"${text}": invalid platform: use os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  const [os, arch, variant] = parts as [string, string, string?];
  const normal = normaliseArch(arch, variant);
  return { os, ...normal };
}

/** containerd's normalisation: x86_64 is amd64, aarch64 is arm64 (variant v8 is the default), armhf is arm/v7. */
function normaliseArch(arch: string, variant?: string): { architecture: string; variant?: string } {
  const a = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i386: '386' }[arch] ?? arch;
  let v = variant;
  if (arch === 'armhf' && !v) v = 'v7';
  if (arch === 'armel' && !v) v = 'v6';
  if (a === 'arm64' && (v === '8' || v === 'v8')) v = undefined;
  if (a === 'arm' && v && /^\d$/.test(v)) v = `v${v}`;
  if (a === 'amd64' && v === 'v1') v = undefined;
  return { architecture: a, ...(v ? { variant: v } : {}) };
}

export function formatPlatform(p: Partial<Platform>): string {
  return [p.os ?? 'unknown', p.architecture ?? 'unknown', p.variant].filter(Boolean).join('/');
}

/** Whether an index entry's platform runs on (or is) `want`. */
export function platformMatches(entry: Partial<Platform> | undefined, want: Platform): boolean {
  if (!entry?.os || !entry.architecture) return false;
  const e = { os: entry.os.toLowerCase(), ...normaliseArch(entry.architecture.toLowerCase(), entry.variant?.toLowerCase()) };
  const w = { os: want.os, ...normaliseArch(want.architecture, want.variant) };
  if (e.os !== w.os || e.architecture !== w.architecture) return false;
  if (!w.variant || !e.variant) return true; // no variant asked for (or none recorded): any
  return e.variant === w.variant;
}

/**
 * Pick the manifest for `want` from an index: the first entry whose platform
 * matches, preferring an exact variant. An image built for several platforms
 * also lists attestation manifests (platform unknown/unknown): never chosen.
 */
export function selectPlatform(index: ImageIndexDoc, want: Platform, what: string): PlatformDescriptor {
  const candidates = index.manifests.filter((m) => platformMatches(m.platform, want));
  const exact = candidates.find((m) => (m.platform?.variant ?? '') === (want.variant ?? ''));
  const chosen = exact ?? candidates[0];
  if (chosen) return chosen;
  const available = [...new Set(index.manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => formatPlatform(m.platform!)))];
  throw new GlassError(
    'REGISTRY_ERROR',
    `no matching manifest for ${formatPlatform(want)} in the manifest list entries of ${what}${available.length ? ` (available: ${available.join(', ')}; choose one with --platform)` : ''}`,
  );
}
