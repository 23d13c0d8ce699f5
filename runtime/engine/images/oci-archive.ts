import { GlassError } from '../errors.js';
import { ANNOTATION, MEDIA, hostArchitecture, type Descriptor } from './oci.js';
import { fullyQualifiedName, parseReference, parseTagTarget, splitTag } from './reference.js';

/**
 * The OCI image layout, packed in a tar (what `skopeo copy ... oci-archive:`
 * writes, what Docker 25+ adds to `docker save`, what containerd imports):
 *
 *   oci-layout            {"imageLayoutVersion":"1.0.0"}: "this is a layout"
 *   index.json            the entry point: one descriptor per image (or an
 *                         index of platforms), named by annotations
 *   blobs/sha256/<hex>    every manifest, config and layer, under the sha256
 *                         of its bytes
 *
 * Names live in annotations of index.json: containerd and Docker write the
 * full name in "io.containerd.image.name" (docker.io/library/busybox:latest)
 * and the tag in "org.opencontainers.image.ref.name"; skopeo and umoci write
 * whatever name they were given in "org.opencontainers.image.ref.name" only.
 */

/** Media types of image manifests and indexes, OCI's and Docker's. */
export const MANIFEST_TYPES = new Set([MEDIA.manifest, 'application/vnd.docker.distribution.manifest.v2+json']);
export const INDEX_TYPES = new Set([MEDIA.index, 'application/vnd.docker.distribution.manifest.list.v2+json']);

/** A blob's path inside the layout: "blobs/sha256/<hex>". */
export function blobName(digest: string): string {
  const [alg, hex] = digest.split(':');
  return `blobs/${alg}/${hex}`;
}

/** index.json's descriptor for one image under one name (or none), as Docker 25+ writes it. */
export function indexEntry(manifest: { digest: string; size: number }, repoTag?: string): Descriptor {
  const d: Descriptor = { mediaType: MEDIA.manifest, digest: manifest.digest, size: manifest.size };
  if (repoTag) {
    const { repository, tag } = splitTag(repoTag);
    d.annotations = { [ANNOTATION.imageName]: `${fullyQualifiedName(repository)}:${tag}`, [ANNOTATION.refName]: tag };
  }
  return d;
}

/**
 * The name ("busybox:latest") an index.json entry gives its image, if any.
 * The full name wins; a ref.name that is a whole reference ("app:v1",
 * "localhost/app:v1") names it; a bare tag ("latest", as skopeo's
 * oci:DIR:latest writes) names no repository, so the image loads untagged.
 */
export function nameOf(d: Descriptor): string | undefined {
  const full = d.annotations?.[ANNOTATION.imageName];
  if (full) return parseTagTarget(full);
  const ref = d.annotations?.[ANNOTATION.refName];
  if (!ref || !/[:/]/.test(ref)) return undefined;
  try {
    const r = parseReference(ref);
    return r.digest ? undefined : parseTagTarget(ref);
  } catch {
    return undefined;
  }
}

/** A validated descriptor (digest and size well-formed) or an error naming where it was. */
export function checkDescriptor(d: unknown, where: string): Descriptor {
  const x = d as Descriptor;
  if (typeof x !== 'object' || x === null || typeof x.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(x.digest) || !Number.isSafeInteger(x.size) || x.size < 0) {
    throw new GlassError('INVALID_ARGUMENT', `${where} has a descriptor without a valid sha256 digest and size`);
  }
  return x;
}

/** From an index of platforms, the manifest for this host (linux/<arch>), or the only one. */
export function pickPlatform(manifests: Descriptor[], where: string): Descriptor {
  const arch = hostArchitecture();
  type WithPlatform = Descriptor & { platform?: { os?: string; architecture?: string } };
  const images = (manifests as WithPlatform[]).filter((m) => MANIFEST_TYPES.has(m.mediaType as typeof MEDIA.manifest));
  const mine = images.find((m) => (m.platform?.os ?? 'linux') === 'linux' && m.platform?.architecture === arch) ?? (images.length === 1 ? images[0] : undefined);
  if (!mine) {
    const have = images.map((m) => `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'}`).join(', ') || 'none';
    throw new GlassError('INVALID_ARGUMENT', `${where} has no image for linux/${arch} (it has: ${have})`);
  }
  return mine;
}
