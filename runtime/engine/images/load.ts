import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { detectCompression, digestingStream, peekStream, shellJoin } from '../../kernel/archive.js';
import { decompressWithTool } from '../../kernel/decompress.js';
import { report, type Tracer } from '../../kernel/step.js';
import { unpackLayerDir } from '../../kernel/whiteouts.js';
import { GlassError, isGlassError } from '../errors.js';
import { makeScratchDir } from '../state/scratch.js';
import { parseDockerManifest } from './docker-archive.js';
import { INDEX_TYPES, MANIFEST_TYPES, blobName, checkDescriptor, nameOf, pickPlatform } from './oci-archive.js';
import { MEDIA, hexOf, sha256, type Descriptor, type PreparedImage, type PreparedLayer } from './oci.js';
import { parseTagTarget, shortId } from './reference.js';
import type { ImageStore } from './store.js';
import { ArchiveError, findFile, readSmall, readTar, type TarEntry } from './tar-stream.js';
import type { OciImageConfig } from './types.js';

/**
 * `docker load`: images into the store from an archive that `docker save`,
 * `podman save`, skopeo or glass wrote: the docker-archive format
 * (manifest.json) or an OCI image layout in a tar (oci-layout + index.json),
 * plain or compressed (gzip, xz, bzip2, zstd), from a file or a stream.
 *
 * An archive is untrusted input. glass reads the outer tar itself (tar-stream.ts:
 * no name in it ever becomes a host path), then checks everything before
 * storing anything: each blob against the digest that names it, each layer's
 * uncompressed sha256 against the diff_id its config lists, each layer tar's
 * members against escaping (kernel/archive.ts). Only when every image of the
 * archive is ready does anything move into the store.
 */

export interface LoadedImage {
  id: string;
  repoTags: string[];
  /** Tags that named another image before: that image's ID ("renaming the old one"). */
  retagged: { tag: string; fromId: string }[];
}

/** One progress message, in Docker's JSON-message shape: `<12 hex of the diff_id>: Loading layer`. */
export interface LoadProgress {
  id: string;
  status: 'Loading layer';
  progressDetail: { current: number; total: number };
}

export interface LoadOptions {
  /** Per-layer progress while each layer is read and checked (Docker shows it on a terminal unless -q). */
  onProgress?: (m: LoadProgress) => void;
}

interface FileRef {
  path: string;
  size: number;
  name: string;
}

interface Plan {
  configFile: FileRef;
  /** The digest the archive names the config by, when it does (OCI blobs, Docker's <hex>.json). */
  configDigest?: string;
  layers: { file: FileRef; descriptor?: Descriptor }[];
  tags: string[];
  manifest?: { bytes: Buffer; mediaType: string };
}

/** Load every image of the archive at `source` (a path, or a stream such as stdin). */
export async function loadImages(
  trace: Tracer,
  store: ImageStore,
  source: string | NodeJS.ReadableStream,
  opts: LoadOptions = {},
): Promise<LoadedImage[]> {
  const label = typeof source === 'string' ? source : 'the input';
  const scratch = await makeScratchDir(store.paths.tmp, 'load');
  try {
    const files = join(scratch, 'files');
    await fs.mkdir(files);
    const entries = await readArchive(trace, source, files, label);
    report(trace, {
      title: `Read the archive (${entries.size} entries)`,
      why: 'An image archive is a tar of a few named files: an index (manifest.json or index.json), image configs and layer tars. glass keeps them in a scratch directory by number, never by the names the archive gives, so no name in it can reach a path on the host.',
      command: shellJoin(['tar', '-tvf', typeof source === 'string' ? source : '-']),
    });
    const plans = await planImages(trace, entries, label);

    // Verify and unpack every layer of every image before storing anything.
    const layers = new Map<string, PreparedLayer>();
    const ready: { prepared: PreparedImage; tags: string[] }[] = [];
    for (const [n, plan] of plans.entries()) {
      const configBytes = await readSmall(plan.configFile);
      const id = sha256(configBytes);
      if (plan.configDigest && plan.configDigest !== id) {
        throw new ArchiveError(`${label} is damaged: ${plan.configFile.name} has digest ${id}, not ${plan.configDigest}`);
      }
      const config = parseConfig(configBytes, plan.configFile.name, label);
      report(trace, {
        title: `Read the image config ${plan.configFile.name}: image ID ${shortId(id)}`,
        why: "The config says how to run the image and lists its layers' diff_ids; the sha256 of its exact bytes is the image ID, so glass stores those bytes unchanged and the ID is the same as where the archive was made.",
        command: `sha256sum ${plan.configFile.name}`,
      });
      const diffIds = config.rootfs.diff_ids;
      if (diffIds.length !== plan.layers.length) {
        throw new ArchiveError(`${label} is damaged: image ${shortId(id)} lists ${plan.layers.length} layers, but its config has ${diffIds.length} diff_ids`);
      }
      const imageLayers: PreparedLayer[] = [];
      for (const [i, layer] of plan.layers.entries()) {
        const diffId = diffIds[i]!;
        const key = `${layer.file.path}|${diffId}`;
        let prepared = layers.get(key);
        if (!prepared) {
          prepared = await prepareLayer(trace, scratch, layer, diffId, label, `${n}-${i}`, (await store.hasLayer(diffId)) ? store.paths.layer(hexOf(diffId)) : undefined, opts.onProgress);
          layers.set(key, prepared);
        }
        imageLayers.push(prepared);
      }
      const workDir = join(scratch, `image-${n}`);
      await fs.mkdir(workDir);
      ready.push({
        tags: plan.tags,
        prepared: {
          config,
          configBytes,
          manifestBytes: plan.manifest?.bytes,
          manifestMediaType: plan.manifest?.mediaType,
          layers: imageLayers,
          workDir,
        },
      });
    }

    const loaded: LoadedImage[] = [];
    for (const { prepared, tags } of ready) {
      const { image, retagged } = await store.installPrepared(prepared, tags);
      loaded.push({ id: image.id, repoTags: tags, retagged });
    }
    return loaded;
  } catch (e) {
    if (isGlassError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_') || code === 'ERR_STREAM_PREMATURE_CLOSE') {
      throw new ArchiveError(`${label} is damaged: its gzip stream is broken (${(e as Error).message})`);
    }
    throw e;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** Open the input, undo gzip, and read its tar into `dir`. */
async function readArchive(trace: Tracer, source: string | NodeJS.ReadableStream, dir: string, label: string): Promise<Map<string, TarEntry>> {
  let input: NodeJS.ReadableStream;
  if (typeof source === 'string') {
    const st = await fs.stat(source).catch((e: NodeJS.ErrnoException) => {
      throw new GlassError('INVALID_ARGUMENT', `open ${source}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    });
    if (!st.isFile()) throw new GlassError('INVALID_ARGUMENT', `${source} is not a file: expected an image archive (docker save, podman save, skopeo)`);
    input = createReadStream(source);
  } else input = source;
  const { head, stream } = await peekStream(input, 6);
  if (head.length === 0) throw new ArchiveError(`${label} is empty: expected an image archive (docker save, podman save, skopeo)`);
  // As docker load: gzip (Node's zlib), xz, bzip2 and zstd (the host's tools), or a plain tar.
  const compression = detectCompression(head);
  let plain: Readable = stream;
  if (compression === 'gzip') {
    plain = stream.pipe(createGunzip());
    stream.on('error', (e) => plain.destroy(e));
  } else if (compression) {
    plain = decompressWithTool(trace, compression, stream, label);
  }
  try {
    return await readTar(plain, dir);
  } catch (e) {
    throw archiveError(e, label);
  } finally {
    // The end-of-archive blocks end the reading; whatever follows (padding) is not needed, and a
    // decompressing tool still writing it must not keep glass waiting.
    plain.destroy();
  }
}

/** A reading failure as the one line a user sees. */
function archiveError(e: unknown, label: string): unknown {
  if (e instanceof ArchiveError) {
    const notTar = e.message.startsWith('not a tar');
    return new ArchiveError(notTar ? `${label} is not an image archive: ${e.message}` : `${label} is damaged: ${e.message.replace(/^the archive /, 'it ')}`);
  }
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (code.startsWith('Z_')) return new ArchiveError(`${label} is damaged: its gzip stream is broken (${(e as Error).message})`);
  if (/unexpected end of file/i.test((e as Error).message)) return new ArchiveError(`${label} is damaged: it is truncated (the gzip stream ends early)`);
  return e;
}

/** Which images the archive holds, from manifest.json (docker-archive) or index.json (OCI layout). */
async function planImages(trace: Tracer, entries: Map<string, TarEntry>, label: string): Promise<Plan[]> {
  const need = (name: string, what: string): FileRef => {
    const f = findFile(entries, name);
    if (!f) throw new ArchiveError(`${label} is damaged: ${what} ${JSON.stringify(name)} is not in the archive`);
    return f;
  };
  const manifestJson = findFile(entries, 'manifest.json');
  if (manifestJson) {
    const parsed = parseDockerManifest(await readSmall(manifestJson));
    if (typeof parsed === 'string') throw new ArchiveError(`${label} is damaged: ${parsed}`);
    report(trace, {
      title: `Read manifest.json: ${parsed.length} image${parsed.length === 1 ? '' : 's'} (docker-archive format)`,
      why: "manifest.json is docker save's table of contents: for each image, the file holding its config, its names (RepoTags) and its layer tars, bottom layer first.",
      command: 'tar -xOf ARCHIVE manifest.json',
    });
    return parsed.map((e) => ({
      configFile: need(e.Config, 'the image config'),
      configDigest: digestInName(e.Config),
      layers: e.Layers.map((l) => ({ file: need(l, 'the layer') })),
      tags: (e.RepoTags ?? []).map((t) => tagOf(t, label)),
    }));
  }
  const indexJson = findFile(entries, 'index.json');
  if (!indexJson) throw new ArchiveError(`${label} is not an image archive: no manifest.json or index.json`);
  const layoutFile = findFile(entries, 'oci-layout');
  if (layoutFile) {
    const layout = json<{ imageLayoutVersion?: unknown }>(await readSmall(layoutFile), 'oci-layout', label);
    if (typeof layout.imageLayoutVersion !== 'string' || !layout.imageLayoutVersion.startsWith('1.')) {
      throw new ArchiveError(`${label} has an OCI layout of version ${JSON.stringify(layout.imageLayoutVersion)}; glass reads version 1.x`);
    }
  }
  const index = json<{ manifests?: unknown }>(await readSmall(indexJson), 'index.json', label);
  if (!Array.isArray(index.manifests) || index.manifests.length === 0) throw new ArchiveError(`${label} is damaged: index.json lists no images`);
  report(trace, {
    title: `Read index.json: ${index.manifests.length} entr${index.manifests.length === 1 ? 'y' : 'ies'} (OCI image layout)`,
    why: "index.json is an OCI layout's entry point: a descriptor (media type, sha256 digest, size) of each image's manifest, its name in annotations. Every blob is found under blobs/sha256/<its digest> and checked against it.",
    command: 'tar -xOf ARCHIVE index.json',
  });
  const blob = async (d: Descriptor, what: string): Promise<{ file: FileRef; bytes?: Buffer }> => {
    const file = need(blobName(d.digest), what);
    if (file.size !== d.size) throw new ArchiveError(`${label} is damaged: ${file.name} is ${file.size} bytes, but its descriptor says ${d.size}`);
    return { file };
  };
  const verifiedJson = async (d: Descriptor, what: string): Promise<Buffer> => {
    const { file } = await blob(d, what);
    const bytes = await readSmall(file);
    if (sha256(bytes) !== d.digest) throw new ArchiveError(`${label} is damaged: ${file.name} does not match its digest (it is ${sha256(bytes)})`);
    return bytes;
  };

  // One plan per manifest; its names gathered from every index entry that points at it.
  const plans = new Map<string, Plan>();
  for (const [i, raw] of index.manifests.entries()) {
    let d = checkDescriptor(raw, `index.json entry ${i}`);
    const name = nameOf(d);
    if (INDEX_TYPES.has(d.mediaType as typeof MEDIA.index)) {
      const nested = json<{ manifests?: unknown[] }>(await verifiedJson(d, 'the image index'), blobName(d.digest), label);
      const inner = (nested.manifests ?? []).map((m, j) => checkDescriptor(m, `${blobName(d.digest)} entry ${j}`));
      d = { ...pickPlatform(inner, `${label} (${name ?? blobName(d.digest)})`), annotations: d.annotations };
    }
    if (!MANIFEST_TYPES.has(d.mediaType as typeof MEDIA.manifest)) {
      throw new ArchiveError(`${label}: index.json entry ${i} is a ${d.mediaType}, not an image manifest glass can load`);
    }
    const existing = plans.get(d.digest);
    if (existing) {
      if (name && !existing.tags.includes(name)) existing.tags.push(name);
      continue;
    }
    const bytes = await verifiedJson(d, 'the image manifest');
    const m = json<{ mediaType?: string; config?: unknown; layers?: unknown[] }>(bytes, blobName(d.digest), label);
    const config = checkDescriptor(m.config, `manifest ${shortId(d.digest)}`);
    if (!Array.isArray(m.layers)) throw new ArchiveError(`${label} is damaged: manifest ${shortId(d.digest)} has no layers list`);
    const layers = [];
    for (const [j, l] of m.layers.entries()) {
      const desc = checkDescriptor(l, `manifest ${shortId(d.digest)} layer ${j}`);
      if (/zstd/.test(desc.mediaType)) {
        throw new ArchiveError(`${label}: layer ${shortId(desc.digest)} is zstd-compressed (${desc.mediaType}); glass reads plain and gzip layers`);
      }
      layers.push({ file: (await blob(desc, 'the layer')).file, descriptor: desc });
    }
    plans.set(d.digest, {
      configFile: (await blob(config, 'the image config')).file,
      configDigest: config.digest,
      layers,
      tags: name ? [name] : [],
      manifest: { bytes, mediaType: m.mediaType ?? d.mediaType },
    });
  }
  return [...plans.values()];
}

/**
 * Check one layer file and unpack it into a tree: its digest (when the
 * archive names one), its uncompressed sha256 against the config's diff_id,
 * its members against escaping; then OCI whiteouts become overlay ones.
 */
async function prepareLayer(
  trace: Tracer,
  scratch: string,
  layer: { file: FileRef; descriptor?: Descriptor },
  diffId: string,
  label: string,
  n: string,
  /** The layer's directory when the store already has it. */
  inStore: string | undefined,
  onProgress?: (m: LoadProgress) => void,
): Promise<PreparedLayer> {
  const { file } = layer;
  const head = Buffer.alloc(6);
  const fh = await fs.open(file.path, 'r');
  try {
    await fh.read(head, 0, 6, 0);
  } finally {
    await fh.close();
  }
  const compression = detectCompression(head);
  if (compression && compression !== 'gzip') {
    throw new ArchiveError(`${label}: layer ${file.name} is compressed with ${compression}; glass reads plain and gzip layers`);
  }
  // One pass: the sha256 of the file as stored, and of its uncompressed tar.
  const stored = digestingStream();
  const plain = digestingStream();
  const id = hexOf(diffId).slice(0, 12);
  const total = file.size;
  let current = 0;
  let shown = -1;
  const progress = (chunk: Buffer) => {
    current += chunk.length;
    // At most ~50 updates a layer: a terminal line redrawn per 64 KiB chunk would cost more than the hashing.
    if (onProgress && (current === total || current - shown >= Math.max(total / 50, 1 << 20))) {
      shown = current;
      onProgress({ id, status: 'Loading layer', progressDetail: { current, total } });
    }
  };
  stored.stream.on('data', progress);
  const stages: NodeJS.ReadWriteStream[] = [stored.stream];
  if (compression === 'gzip') stages.push(createGunzip());
  try {
    await pipeline(createReadStream(file.path), ...(stages as [NodeJS.ReadWriteStream]), plain.stream, async function* (src: AsyncIterable<Buffer>) {
      for await (const _ of src); // only the digests matter here
    });
  } catch (e) {
    // A changed byte usually breaks the gzip stream before the digest can be compared: say which it was.
    if (layer.descriptor) {
      const whole = digestingStream();
      await pipeline(createReadStream(file.path), whole.stream, async function* (src: AsyncIterable<Buffer>) {
        for await (const _ of src);
      });
      const actual = whole.result().digest;
      if (actual !== layer.descriptor.digest) {
        throw new ArchiveError(`${label} is damaged: ${file.name} has digest ${actual}, not ${layer.descriptor.digest}`);
      }
    }
    throw new ArchiveError(`${label} is damaged: layer ${file.name} is not a readable gzip stream (${(e as Error).message})`);
  }
  const blob = stored.result();
  const uncompressed = plain.result();
  if (layer.descriptor && blob.digest !== layer.descriptor.digest) {
    throw new ArchiveError(`${label} is damaged: ${file.name} has digest ${blob.digest}, not ${layer.descriptor.digest}`);
  }
  if (uncompressed.digest !== diffId) {
    throw new ArchiveError(
      `${label} is damaged: layer ${file.name} has diff_id ${uncompressed.digest}, but the image config expects ${diffId}`,
    );
  }
  report(trace, {
    title: `Verify layer ${shortId(diffId)} (${file.name})`,
    why: "A layer's diff_id in the config is the sha256 of its uncompressed tar: recomputing it proves these bytes are the layer the image was built from, and that nothing was altered on the way.",
    command: `${compression === 'gzip' ? `gunzip -c ${file.name} | sha256sum` : `sha256sum ${file.name}`}   # must print ${hexOf(diffId)}`,
  });

  const treePath = join(scratch, `tree-${n}`);
  const mediaType = layer.descriptor?.mediaType ?? (compression === 'gzip' ? MEDIA.layerTarGzip : MEDIA.layerTar);
  const prepared = { descriptor: { mediaType, digest: blob.digest, size: blob.size }, diffId, blobPath: file.path, treePath };
  if (inStore) {
    // Checked above like any other; its unpacked directory is already there (named by this diff_id).
    report(trace, {
      title: `Layer ${shortId(diffId)} is already in the store: not unpacked again`,
      why: "Layer directories are named by the diff_id, the sha256 of the layer's uncompressed tar: a directory of that name holds exactly these files, so images that share a layer share its directory.",
      command: `ls -d ${inStore}`,
    });
    return prepared;
  }
  try {
    await unpackLayerDir(trace, file.path, treePath, {
      label: `layer ${file.name} of ${label}`,
      title: `Unpack layer ${shortId(diffId)} into a layer directory`,
      why: 'Containers use a layer through overlayfs, which stacks plain directories: the tar is unpacked once, keeping owners, modes and device files, after checking that no member lands outside.',
    });
  } catch (e) {
    if (isGlassError(e)) throw new ArchiveError(`${label}: ${e.message}`);
    throw e;
  }
  return prepared;
}

function parseConfig(bytes: Buffer, name: string, label: string): OciImageConfig {
  const config = json<OciImageConfig>(bytes, name, label);
  const ids = config?.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d))) {
    throw new ArchiveError(`${label} is damaged: ${name} is no image config (no rootfs.diff_ids list of sha256 digests)`);
  }
  config.config ??= {};
  return config;
}

function json<T>(bytes: Buffer, name: string, label: string): T {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as T;
    if (typeof v !== 'object' || v === null) throw new Error('not a JSON object');
    return v;
  } catch (e) {
    throw new ArchiveError(`${label} is damaged: ${name} is not valid JSON (${(e as Error).message})`);
  }
}

/** "sha256:<hex>" when a path is named by a digest ("<hex>.json", "blobs/sha256/<hex>"). */
function digestInName(name: string): string | undefined {
  const m = /(?:^|\/)(?:blobs\/sha256\/)?([0-9a-f]{64})(?:\.json)?$/.exec(name);
  return m ? `sha256:${m[1]}` : undefined;
}

function tagOf(repoTag: string, label: string): string {
  try {
    return parseTagTarget(repoTag);
  } catch (e) {
    throw new ArchiveError(`${label} names an image ${JSON.stringify(repoTag)}, which is not a valid name:tag (${(e as Error).message})`);
  }
}
