import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { detectCompression, digestingStream, shellJoin } from '../../kernel/archive.js';
import { report, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import { makeScratchDir } from '../state/scratch.js';
import { v1Layers, type DockerManifestEntry } from './docker-archive.js';
import { blobName, indexEntry } from './oci-archive.js';
import { MEDIA, canonicalJson, hexOf, manifestFor, readBlobJson, sha256, type Descriptor, type OciIndex, type OciManifest } from './oci.js';
import { FULL_ID, parseReference, repoTagOf, shortId, splitTag } from './reference.js';
import type { ImageStore } from './store.js';
import { TarWriter } from './tar-stream.js';
import type { ImageRecord } from './types.js';

/**
 * `docker save`: images out of the store into one tar, in both formats at
 * once, as Docker 25+ writes it:
 *
 *   - the docker-archive format (docker-archive.ts): manifest.json,
 *     repositories, <config hex>.json, and per layer <v1 id>/{VERSION,json,layer.tar},
 *     read by `docker load` of every version, `podman load`, skopeo's docker-archive:
 *   - the OCI image layout (oci-archive.ts): oci-layout, index.json and
 *     blobs/sha256/, read by containerd, Docker 25+, skopeo's oci-archive:, umoci
 *
 * Each layer is stored once, UNCOMPRESSED (both formats want the plain tar
 * there: its sha256 is the diff_id), as blobs/sha256/<diff_id hex>; each
 * <v1 id>/layer.tar is a relative symlink to it (Docker itself links
 * repeated layers that way, and every loader follows such links). The config
 * goes in byte for byte, so the image ID stays the same through save and load.
 */

export interface SavedImage {
  id: string;
  repoTags: string[];
}

interface Resolved {
  record: ImageRecord;
  tags: string[];
}

/** The images `refs` name, Docker's way: a name without a tag means every tag of that repository. */
async function resolveAll(store: ImageStore, refs: string[]): Promise<Resolved[]> {
  const out: Resolved[] = [];
  const add = (record: ImageRecord, tag?: string) => {
    let r = out.find((x) => x.record.id === record.id);
    if (!r) out.push((r = { record, tags: [] }));
    if (tag && !r.tags.includes(tag)) r.tags.push(tag);
  };
  for (const ref of refs) {
    const named = FULL_ID.test(ref) ? undefined : parseReference(ref);
    if (named && !named.tag && !named.digest) {
      // A bare repository name: every tag it has (docker save busybox saves busybox:1.36 too).
      let found = false;
      for (const record of await store.list()) {
        for (const t of record.repoTags.filter((t) => splitTag(t).repository === named.repository)) {
          add(record, t);
          found = true;
        }
      }
      if (found) continue;
    }
    // A name:tag, a name@digest, an image ID or a unique prefix of one.
    let record = await store.lookup(ref);
    if (!record && named && !named.digest && repoTagOf(named) === 'busybox:latest') record = await store.ensureBusybox();
    if (!record) throw new GlassError('NO_SUCH_IMAGE', `No such image: ${ref}`);
    const tag = named && !named.digest ? repoTagOf(named) : undefined;
    add(record, tag && record.repoTags.includes(tag) ? tag : undefined);
  }
  return out;
}

interface LayerFile {
  diffId: string;
  /** The uncompressed tar on disk (a store blob, or a file decompressed into scratch). */
  path: string;
  size: number;
}

/** Write `refs` as one archive to `out`. The stream is not ended. */
export async function saveImages(trace: Tracer, store: ImageStore, refs: string[], out: Writable): Promise<SavedImage[]> {
  if (refs.length === 0) throw new GlassError('INVALID_ARGUMENT', 'save needs at least one image');
  const images = await resolveAll(store, refs);
  const paths = store.paths;
  const scratch = await makeScratchDir(paths.tmp, 'save');
  try {
    // Everything is read (and gzip layers decompressed) before the first byte
    // is written, so a missing or damaged blob fails the save with no output.
    const layers = new Map<string, LayerFile>();
    const prepared: Prepared[] = [];
    for (const image of images) {
      const { record } = image;
      const configBytes = await readBlob(paths.blob(record.id), record.id);
      const manifest = await readBlobJson<OciManifest>(paths, record.manifestDigest).catch(() => {
        throw damaged(record.id, `its manifest ${record.manifestDigest} is missing`);
      });
      const diffIds = record.config.rootfs.diff_ids;
      if (manifest.layers.length !== diffIds.length) throw damaged(record.id, 'its manifest and config list different numbers of layers');
      for (const [i, desc] of manifest.layers.entries()) {
        const diffId = diffIds[i]!;
        if (!layers.has(diffId)) layers.set(diffId, await uncompressedLayer(trace, paths.blob(desc.digest), desc, diffId, scratch));
      }
      // The OCI side lists the layers uncompressed, as the archive holds them;
      // a manifest that already did is kept as it is (its digest unchanged).
      const plain = manifest.layers.every((l, i) => l.digest === diffIds[i]) && manifest.mediaType === MEDIA.manifest;
      const manifestBytes = plain
        ? await readBlob(paths.blob(record.manifestDigest), record.manifestDigest)
        : canonicalJson(
            manifestFor(
              { digest: record.id, size: configBytes.length },
              diffIds.map((d): Descriptor => ({ mediaType: MEDIA.layerTar, digest: d, size: layers.get(d)!.size })),
            ),
          );
      const v1 = v1Layers(JSON.parse(configBytes.toString('utf8')) as Record<string, unknown>, diffIds);
      prepared.push({ image, configBytes, manifestBytes, v1 });
    }

    // Open every layer now: a concurrent rmi may unlink a blob while the archive is
    // being written, but an open file stays readable until it is closed.
    const open = new Map<string, FileHandle>();
    try {
      for (const layer of layers.values()) {
        open.set(layer.diffId, await fs.open(layer.path, 'r').catch(() => {
          throw new GlassError('NO_SUCH_IMAGE', `the store has lost layer ${layer.diffId} (removed meanwhile?): try the save again`);
        }));
      }
      return await writeArchive(trace, paths.blob.bind(paths), out, layers, open, prepared, images);
    } finally {
      for (const fh of open.values()) await fh.close();
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

type Prepared = { image: Resolved; configBytes: Buffer; manifestBytes: Buffer; v1: ReturnType<typeof v1Layers> };

/** The archive itself, from what saveImages prepared: blobs, v1 layer directories, configs, then the indexes. */
async function writeArchive(
  trace: Tracer,
  blobPath: (digest: string) => string,
  out: Writable,
  layers: Map<string, LayerFile>,
  open: Map<string, FileHandle>,
  prepared: Prepared[],
  images: Resolved[],
): Promise<SavedImage[]> {
  const tar = new TarWriter(out);
  await tar.dir('blobs');
  await tar.dir('blobs/sha256');
  const written = new Set<string>();
  for (const layer of layers.values()) {
    await tar.fileFrom(blobName(layer.diffId), open.get(layer.diffId)!, layer.size);
    written.add(layer.diffId);
    report(trace, {
      title: `Add layer ${shortId(layer.diffId)} as blobs/sha256/${hexOf(layer.diffId).slice(0, 12)}…`,
      why: "A layer goes into the archive as a plain (uncompressed) tar, named by its sha256: that is its diff_id, the name the image config uses for it, so the loader can check every byte.",
      command: shellJoin(['cp', layer.path, blobName(layer.diffId)]),
    });
  }
  const manifestJson: DockerManifestEntry[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA.index, manifests: [] };
  const v1Written = new Set<string>();
  for (const { image, configBytes, manifestBytes, v1 } of prepared) {
    const { record, tags } = image;
    const manifestDigest = sha256(manifestBytes);
    for (const [digest, bytes] of [[record.id, configBytes], [manifestDigest, manifestBytes]] as const) {
      if (written.has(digest)) continue;
      await tar.file(blobName(digest), bytes);
      written.add(digest);
    }
    for (const layer of v1) {
      if (v1Written.has(layer.id)) continue;
      v1Written.add(layer.id);
      const diffId = record.config.rootfs.diff_ids[v1.indexOf(layer)]!;
      await tar.dir(layer.id);
      await tar.file(`${layer.id}/VERSION`, Buffer.from('1.0'));
      await tar.file(`${layer.id}/json`, layer.json);
      await tar.symlink(`${layer.id}/layer.tar`, `../${blobName(diffId)}`);
    }
    await tar.file(`${hexOf(record.id)}.json`, configBytes);
    manifestJson.push({ Config: `${hexOf(record.id)}.json`, RepoTags: tags.length ? tags : null, Layers: v1.map((l) => `${l.id}/layer.tar`) });
    for (const t of tags) {
      const { repository, tag } = splitTag(t);
      (repositories[repository] ??= {})[tag] = v1.at(-1)!.id;
    }
    if (tags.length === 0) index.manifests.push(indexEntry({ digest: manifestDigest, size: manifestBytes.length }));
    for (const t of tags) index.manifests.push(indexEntry({ digest: manifestDigest, size: manifestBytes.length }, t));
    report(trace, {
      title: `Add image ${shortId(record.id)}${tags.length ? ` (${tags.join(', ')})` : ''}: config, manifest and v1 layer directories`,
      why:
        `${hexOf(record.id).slice(0, 12)}….json (also blobs/sha256/) is the image config, byte for byte, so the image keeps its ID; ` +
        'blobs/sha256/ also gets an OCI manifest listing config and layers; each <v1 id>/ directory (VERSION, json, layer.tar -> the layer blob) ' +
        'is how Docker before 1.10 stored a layer, still written for old loaders.',
      command: shellJoin(['cp', blobPath(record.id), `${hexOf(record.id)}.json`]),
    });
  }
  await tar.file('index.json', Buffer.from(JSON.stringify(index)));
  await tar.file('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
  await tar.file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  if (Object.keys(repositories).length) await tar.file('repositories', Buffer.from(JSON.stringify(repositories)));
  await tar.finish();
  report(trace, {
    title: 'Finish the archive: manifest.json, repositories, index.json, oci-layout',
    why:
      "manifest.json is docker load's entry point (per image: config file, names, layer files bottom first); repositories gives the names " +
      "in Docker 1.x's format; index.json and oci-layout make the same tar an OCI image layout, which containerd, skopeo and umoci read.",
    command: 'tar -cf - blobs <v1 ids> <config>.json index.json manifest.json oci-layout repositories',
  });
  return images.map((i) => ({ id: i.record.id, repoTags: i.tags }));
}

async function readBlob(path: string, digest: string): Promise<Buffer> {
  try {
    return await fs.readFile(path);
  } catch {
    throw new GlassError('NO_SUCH_IMAGE', `the store has lost blob ${digest} (removed meanwhile?): try the save again`);
  }
}

function damaged(id: string, detail: string): GlassError {
  return new GlassError('INVALID_ARGUMENT', `image ${shortId(id)} cannot be saved: ${detail}`);
}

/**
 * The layer as a plain tar: the blob itself when stored uncompressed,
 * otherwise decompressed into scratch, its sha256 checked against the diff_id.
 */
async function uncompressedLayer(trace: Tracer, blob: string, desc: Descriptor, diffId: string, scratch: string): Promise<LayerFile> {
  if (desc.digest === diffId) {
    const st = await fs.stat(blob).catch(() => {
      throw new GlassError('NO_SUCH_IMAGE', `the store has lost layer ${desc.digest} (removed meanwhile?): try the save again`);
    });
    return { diffId, path: blob, size: st.size };
  }
  const head = Buffer.alloc(6);
  const fh = await fs.open(blob, 'r');
  try {
    await fh.read(head, 0, 6, 0);
  } finally {
    await fh.close();
  }
  const compression = detectCompression(head);
  if (compression !== 'gzip') {
    throw new GlassError('INVALID_ARGUMENT', `layer ${shortId(desc.digest)} is compressed with ${compression ?? 'an unknown method'}; glass can only decompress gzip layers`);
  }
  const path = join(scratch, hexOf(diffId));
  const measure = digestingStream();
  await pipeline(createReadStream(blob), createGunzip(), measure.stream, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  const { digest, size } = measure.result();
  if (digest !== diffId) throw new GlassError('DIGEST_MISMATCH', `layer ${shortId(desc.digest)} decompresses to ${digest}, not its diff_id ${diffId}: the store is damaged`);
  report(trace, {
    title: `Decompress layer ${shortId(desc.digest)} for the archive`,
    why: 'The store keeps a pulled layer gzip-compressed, as the registry sent it; a saved archive holds plain tars, whose sha256 is the diff_id the config names.',
    command: `gunzip -c ${blob} | tee ${hexOf(diffId).slice(0, 12)}.tar | sha256sum`,
  });
  return { diffId, path, size };
}
