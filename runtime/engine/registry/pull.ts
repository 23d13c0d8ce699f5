import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { shellJoin, unpackArchive } from '../../kernel/archive.js';
import { report, silentTracer, step, type Tracer } from '../../kernel/step.js';
import { convertWhiteouts } from '../../kernel/whiteouts.js';
import { GlassError, isGlassError } from '../errors.js';
import { hexOf, sha256, type Descriptor } from '../images/oci.js';
import type { ImageStore, PulledImage } from '../images/store.js';
import type { OciImageConfig } from '../images/types.js';
import { makeScratchDir } from '../state/scratch.js';
import type { RegistryAuth } from './auth.js';
import { RegistryClient, registryErrorText } from './http.js';
import {
  CONFIG_MEDIA,
  MANIFEST_ACCEPT,
  MAX_MANIFEST_BYTES,
  formatPlatform,
  hostPlatform,
  layerCompression,
  parseManifest,
  parsePlatform,
  platformMatches,
  selectPlatform,
  type ImageManifestDoc,
  type Platform,
} from './manifest.js';
import { familiarReference, manifestReference, resolveName, type RegistryName } from './name.js';

/**
 * `docker pull`: fetch an image from a registry (the OCI distribution
 * protocol) into the store.
 *
 *   1. GET /v2/<repo>/manifests/<tag>     what the tag names: an index (one
 *                                         manifest per platform: pick ours,
 *                                         GET it by digest) or a manifest
 *   2. GET /v2/<repo>/blobs/<config>      the config: how to run the image,
 *                                         and the diff_id of every layer
 *   3. GET /v2/<repo>/blobs/<layer>...    the layers, 3 at a time, each
 *                                         streamed to a scratch file while
 *                                         its sha256 and size are checked;
 *                                         layers the store has are skipped
 *   4. unpack each layer into its own directory (bottom first), checking its
 *      uncompressed sha256 against the config's diff_id, and turn its OCI
 *      whiteouts into overlay whiteouts
 *   5. move everything into the store at once, under the store's lock
 *
 * Everything is fetched into a scratch directory under <root>/tmp; nothing
 * reaches the store until every digest has been checked, so a pull that
 * fails or is killed leaves nothing half-made (scratch.ts sweeps what a
 * killed one left), and pulling again starts clean.
 */
export interface PullOptions {
  /** "os/arch[/variant]" to pull instead of the host's platform. */
  platform?: string;
  /** Credentials for the reference's registry (the client reads them from config.json). */
  auth?: RegistryAuth;
  /** Registries that may be spoken to over plain HTTP (loopback ones always may). */
  insecureRegistries?: string[];
  /** Progress, as Docker's JSON messages: {id, status, progressDetail: {current, total}}. */
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
}

/** One progress message, in the shape Docker's daemon streams (jsonmessage). */
export interface PullProgress {
  /** The layer (12 hex digits of its digest), or the tag for the "Pulling from" line; absent for Digest/Status. */
  id?: string;
  status: string;
  progressDetail?: { current?: number; total?: number };
}

export interface PullResult {
  /** The image ID (its config's digest). */
  id: string;
  /** The digest pulled (an index's, for a multi-platform image): the RepoDigest's. */
  digest: string;
  /** "alpine:latest", or "alpine@sha256:..." for a pull by digest: what Docker prints last. */
  repoTag: string;
  /** Docker's final line: "Downloaded newer image for alpine:latest" or "Image is up to date for alpine:latest". */
  status: string;
}

/** How many layers download at once (dockerd's max-concurrent-downloads default). */
export const DOWNLOAD_CONCURRENCY = 3;
/** How often a layer's Downloading/Extracting progress is reported. */
const PROGRESS_INTERVAL_MS = 100;

export async function pullImage(store: ImageStore, ref: string, opts: PullOptions = {}, trace: Tracer = silentTracer): Promise<PullResult> {
  const name = resolveName(ref);
  const want: Platform | undefined = opts.platform ? parsePlatform(opts.platform) : undefined;
  const progress = opts.onProgress ?? (() => {});
  const shownRef = familiarReference(name);
  const client = new RegistryClient({
    host: name.host,
    path: name.path,
    actions: ['pull'],
    auth: opts.auth,
    insecureRegistries: opts.insecureRegistries,
    trace,
    signal: opts.signal,
  });

  progress({ id: name.digest ?? name.tag, status: `Pulling from ${name.path}` });

  try {
    // 1. The manifest (through the index, if the tag names one).
    const top = await fetchManifest(client, name, manifestReference(name), name.digest, trace);
    let manifestBytes = top.bytes;
    let manifestDigest = top.digest;
    let manifestMediaType = top.doc.mediaType;
    let manifest: ImageManifestDoc;
    if (top.doc.kind === 'index') {
      const chosen = selectPlatform(top.doc.doc, want ?? hostPlatform(), `${shownRef}`);
      const inner = await fetchManifest(client, name, chosen.digest, chosen.digest, trace, chosen.size, formatPlatform(chosen.platform ?? {}));
      if (inner.doc.kind !== 'manifest') throw new GlassError('REGISTRY_ERROR', `the index of ${shownRef} points to another index for ${formatPlatform(chosen.platform ?? {})}; glass follows one level only`);
      manifestBytes = inner.bytes;
      manifestDigest = inner.digest;
      manifestMediaType = inner.doc.mediaType;
      manifest = inner.doc.doc;
    } else {
      manifest = top.doc.doc;
    }
    const repoDigest = `${name.familiar}@${top.digest}`;
    const tag = name.digest ? undefined : `${name.familiar}:${name.tag}`;

    // 2. The config.
    if (!CONFIG_MEDIA.includes(manifest.config.mediaType)) {
      throw new GlassError('REGISTRY_ERROR', `${shownRef} is not a container image: its config is ${JSON.stringify(manifest.config.mediaType)} (an OCI artifact?)`);
    }
    const configBytes = await fetchConfig(client, store, manifest.config, trace);
    const config = parseConfig(configBytes, shownRef);
    if (want && !platformMatches({ os: config.os, architecture: config.architecture, variant: (config as { variant?: string }).variant }, want)) {
      throw new GlassError(
        'REGISTRY_ERROR',
        `image with reference ${shownRef} was found but does not match the specified platform: wanted ${formatPlatform(want)}, actual: ${formatPlatform({ os: config.os, architecture: config.architecture, variant: (config as { variant?: string }).variant })}`,
      );
    }
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw new GlassError('REGISTRY_ERROR', `${shownRef} is inconsistent: its manifest lists ${manifest.layers.length} layers but its config ${diffIds.length} diff_ids`);
    }
    for (const d of diffIds) {
      if (!/^sha256:[0-9a-f]{64}$/.test(d)) throw new GlassError('REGISTRY_ERROR', `${shownRef} has a malformed diff_id ${JSON.stringify(String(d).slice(0, 80))}`);
    }
    const compressions = manifest.layers.map((l) => layerCompression(l, shownRef));

    // Already here under this name: nothing to fetch, nothing to say per layer.
    const current = await store.manifestOf(tag ?? repoDigest);
    const layers: PulledImage['layers'] = [];
    const needs: { index: number; blob: boolean; tree: boolean }[] = [];
    for (const [i, l] of manifest.layers.entries()) {
      const blob = !(await store.hasBlob(l.digest));
      const tree = !(await store.hasLayer(diffIds[i]!));
      layers.push({ digest: l.digest, diffId: diffIds[i]! });
      if (blob || tree) needs.push({ index: i, blob, tree });
    }
    const upToDate = current === manifestDigest && needs.length === 0;
    if (!upToDate) {
      for (const [i, l] of manifest.layers.entries()) {
        if (!needs.some((n) => n.index === i)) progress({ id: shortDigest(l.digest), status: 'Already exists' });
      }
    }

    // 3 and 4. The layers this store lacks, downloaded in parallel, unpacked in order.
    if (needs.length) {
      const workDir = await makeScratchDir(store.paths.tmp, 'pull');
      try {
        for (const n of needs) progress({ id: shortDigest(manifest.layers[n.index]!.digest), status: 'Pulling fs layer' });
        const limit = limiter(DOWNLOAD_CONCURRENCY);
        if (needs.filter((n) => n.blob).length > DOWNLOAD_CONCURRENCY) {
          for (const n of needs.filter((x) => x.blob).slice(DOWNLOAD_CONCURRENCY)) progress({ id: shortDigest(manifest.layers[n.index]!.digest), status: 'Waiting' });
        }
        const downloads = needs.map((n) => {
          const desc = manifest.layers[n.index]!;
          if (!n.blob) return Promise.resolve(store.paths.blob(desc.digest));
          const file = join(workDir, `${hexOf(desc.digest)}.blob`);
          return limit(() => downloadBlob(client, desc, file, shownRef, trace, progress, opts.signal)).then(() => file);
        });
        // Nobody waits on a later download while an earlier one fails: swallow here, the loop below rethrows in order.
        for (const d of downloads) d.catch(() => undefined);
        for (const [k, n] of needs.entries()) {
          const desc = manifest.layers[n.index]!;
          const blobPath = await downloads[k]!;
          const layer = layers[n.index]!;
          if (n.blob) layer.blobPath = blobPath;
          if (n.tree) {
            const tree = join(workDir, `${hexOf(desc.digest)}.tree`);
            await fs.mkdir(tree, { mode: 0o755 });
            await unpackLayer(blobPath, tree, desc, diffIds[n.index]!, compressions[n.index]!, shownRef, trace, progress);
            layer.treePath = tree;
          } else if (n.blob) {
            // The tree is here (another image's copy of the same content): the blob must still be this diff_id.
            await checkDiffId(blobPath, compressions[n.index]!, diffIds[n.index]!, desc, shownRef);
          }
          progress({ id: shortDigest(desc.digest), status: 'Pull complete' });
        }
        // 5. Into the store.
        await installAll(store, { manifestBytes, manifestDigest, manifestMediaType, configBytes, configDigest: manifest.config.digest, layers, tag, repoDigest });
      } finally {
        await fs.rm(workDir, { recursive: true, force: true });
      }
    } else {
      await installAll(store, { manifestBytes, manifestDigest, manifestMediaType, configBytes, configDigest: manifest.config.digest, layers, tag, repoDigest });
    }

    const shown = tag ?? repoDigest;
    const status = upToDate ? `Image is up to date for ${shown}` : `Downloaded newer image for ${shown}`;
    progress({ status: `Digest: ${top.digest}` });
    progress({ status: `Status: ${status}` });
    return { id: manifest.config.digest, digest: top.digest, repoTag: shown, status };
  } catch (e) {
    throw describePullError(e, name, opts);
  }
}

async function installAll(store: ImageStore, pulled: PulledImage): Promise<void> {
  await store.installPulled(pulled);
}

const shortDigest = (digest: string) => hexOf(digest).slice(0, 12);

interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  doc: ReturnType<typeof parseManifest>;
}

/**
 * GET a manifest, by tag or digest. Its digest is computed from the bytes
 * received: it must equal the digest asked for (by digest), and the
 * registry's Docker-Content-Digest header (by tag), so a registry or proxy
 * cannot substitute another image.
 */
async function fetchManifest(
  client: RegistryClient,
  name: RegistryName,
  reference: string,
  expectDigest: string | undefined,
  trace: Tracer,
  expectSize?: number,
  platform?: string,
): Promise<FetchedManifest> {
  const url = client.repoUrl(`manifests/${reference}`);
  const what = `${name.familiar}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
  const res = await client.request(url, { headers: { accept: MANIFEST_ACCEPT } });
  if (res.status === 404) {
    const text = await registryErrorText(res);
    throw new GlassError('MANIFEST_UNKNOWN', `manifest for ${name.domain === 'docker.io' ? name.familiar : `${name.familiar}`}${reference.startsWith('sha256:') ? '@' : ':'}${reference} not found: ${text}`);
  }
  if (!res.ok) throw new GlassError('REGISTRY_ERROR', `GET "${url}": ${await registryErrorText(res)}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_MANIFEST_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new GlassError('REGISTRY_ERROR', `the manifest of ${what} is ${declared} bytes: more than the ${MAX_MANIFEST_BYTES} a manifest may be`);
  }
  const bytes = await readLimited(res, MAX_MANIFEST_BYTES, `the manifest of ${what}`);
  const digest = sha256(bytes);
  if (expectDigest && digest !== expectDigest) {
    throw new GlassError('DIGEST_MISMATCH', `manifest verification failed for digest ${expectDigest}: the registry sent content whose sha256 is ${digest}`);
  }
  if (expectSize !== undefined && bytes.length !== expectSize) {
    throw new GlassError('DIGEST_MISMATCH', `manifest ${expectDigest} is ${bytes.length} bytes, but the index says ${expectSize}`);
  }
  const header = res.headers.get('docker-content-digest');
  if (!expectDigest && header && header.startsWith('sha256:') && header !== digest) {
    throw new GlassError('DIGEST_MISMATCH', `manifest verification failed for ${what}: the registry says its digest is ${header}, but its bytes hash to ${digest}`);
  }
  const doc = parseManifest(bytes, res.headers.get('content-type'), what);
  const kind = doc.kind === 'index' ? `an index of ${doc.doc.manifests.length} platform manifests` : `a manifest of ${doc.doc.layers.length} layers`;
  report(trace, {
    title: `Fetch the manifest of ${what}${platform ? ` (${platform})` : ''}: ${kind}, ${doc.mediaType}, ${digest}`,
    why:
      doc.kind === 'index'
        ? 'The tag names an index: one manifest per platform. glass picks the one for this machine (or --platform) and fetches it by its digest.'
        : "A manifest lists the image's config blob and its layer blobs, each by sha256 digest: everything else is fetched by those digests and checked against them.",
    command: `curl ${client.shownAuthorization() ? `-H '${client.shownAuthorization()}' ` : ''}-H 'Accept: ${doc.kind === 'index' || !platform ? MANIFEST_ACCEPT.split(', ').slice(0, 4).join(', ') : doc.mediaType}' ${url}`,
  });
  return { bytes, digest, doc };
}

/** The config blob: from the store if it has it (checked), else from the registry (checked). */
async function fetchConfig(client: RegistryClient, store: ImageStore, desc: Descriptor, trace: Tracer): Promise<Buffer> {
  if (await store.hasBlob(desc.digest)) {
    const local = await fs.readFile(store.paths.blob(desc.digest));
    if (sha256(local) === desc.digest) return local;
  }
  if (desc.size > MAX_MANIFEST_BYTES) throw new GlassError('REGISTRY_ERROR', `the image config ${desc.digest} claims ${desc.size} bytes: too big for a config`);
  const url = client.repoUrl(`blobs/${desc.digest}`);
  const res = await client.request(url);
  if (!res.ok) throw new GlassError('REGISTRY_ERROR', `GET "${url}": ${await registryErrorText(res)}`);
  const bytes = await readLimited(res, desc.size + 1, `config ${desc.digest}`);
  checkBlob(bytes.length, sha256(bytes), desc, 'config');
  report(trace, {
    title: `Fetch the image config ${desc.digest}`,
    why: "The config says how to run the image (Env, Cmd, WorkingDir...) and lists each layer's diff_id: the sha256 of its uncompressed tar. Its own sha256 is the image ID.",
    command: `curl ${client.shownAuthorization() ? `-H '${client.shownAuthorization()}' ` : ''}-L ${url} | sha256sum`,
  });
  return bytes;
}

function parseConfig(bytes: Buffer, what: string): OciImageConfig {
  let config: OciImageConfig;
  try {
    config = JSON.parse(bytes.toString('utf8')) as OciImageConfig;
  } catch {
    throw new GlassError('REGISTRY_ERROR', `the config of ${what} is not valid JSON`);
  }
  if (!config || typeof config !== 'object' || !config.rootfs || !Array.isArray(config.rootfs.diff_ids)) {
    throw new GlassError('REGISTRY_ERROR', `the config of ${what} has no rootfs.diff_ids: it is not a container image config`);
  }
  if (config.os && config.os !== 'linux') throw new GlassError('REGISTRY_ERROR', `${what} is a ${config.os} image: glass runs Linux containers only`);
  config.config ??= {};
  return config;
}

function checkBlob(size: number, digest: string, desc: Descriptor, what: string): void {
  if (size !== desc.size) {
    throw new GlassError('DIGEST_MISMATCH', `${what} ${desc.digest}: the registry sent ${size} bytes, but the manifest says ${desc.size}; nothing was stored`);
  }
  if (digest !== desc.digest) {
    throw new GlassError('DIGEST_MISMATCH', `filesystem layer verification failed for digest ${desc.digest}: the registry sent content whose sha256 is ${digest}; nothing was stored`);
  }
}

async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) throw new GlassError('REGISTRY_ERROR', `${what} is larger than ${limit} bytes: refusing it`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * Stream one layer blob to `file`, hashing it as it arrives. More bytes than
 * the manifest's size stop the download at once; fewer (a connection cut
 * short) or another sha256 reject it. Either way the file is only scratch.
 */
async function downloadBlob(
  client: RegistryClient,
  desc: Descriptor,
  file: string,
  what: string,
  trace: Tracer,
  progress: (p: PullProgress) => void,
  signal?: AbortSignal,
): Promise<void> {
  const id = shortDigest(desc.digest);
  const url = client.repoUrl(`blobs/${desc.digest}`);
  await step(
    trace,
    {
      title: `Download layer ${id} (${desc.digest}, ${desc.size} bytes)`,
      why: 'A layer is a (usually gzip-compressed) tar of files, stored by the sha256 of its bytes. It is streamed to a scratch file while its sha256 and size are computed: if either differs from what the manifest says, the layer is rejected and nothing is stored.',
      command: `curl -L ${client.shownAuthorization() ? `-H '${client.shownAuthorization()}' ` : ''}-o ${shellJoin([file])} ${url} && sha256sum ${shellJoin([file])}`,
    },
    async () => {
      const res = await client.request(url);
      if (!res.ok || !res.body) throw new GlassError('REGISTRY_ERROR', `GET "${url}": ${await registryErrorText(res)}`);
      const hash = createHash('sha256');
      let received = 0;
      let last = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          received += chunk.length;
          if (received > desc.size) return done(new GlassError('DIGEST_MISMATCH', `layer ${desc.digest}: the registry sent more than the ${desc.size} bytes the manifest says; nothing was stored`));
          hash.update(chunk);
          const now = Date.now();
          if (now - last >= PROGRESS_INTERVAL_MS) {
            last = now;
            progress({ id, status: 'Downloading', progressDetail: { current: received, total: desc.size } });
          }
          done(null, chunk);
        },
      });
      progress({ id, status: 'Downloading', progressDetail: { current: 0, total: desc.size } });
      try {
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), meter, createWriteStream(file, { flags: 'wx', mode: 0o600 }), { signal });
      } catch (e) {
        if (isGlassError(e)) throw e;
        if (signal?.aborted) throw new GlassError('REGISTRY_ERROR', `the pull of ${what} was cancelled`);
        throw new GlassError('REGISTRY_ERROR', `layer ${desc.digest}: the download broke off after ${received} of ${desc.size} bytes (unexpected EOF: ${(e as Error).message}); nothing was stored: pull again`);
      }
      progress({ id, status: 'Downloading', progressDetail: { current: received, total: desc.size } });
      if (received < desc.size) {
        throw new GlassError('REGISTRY_ERROR', `layer ${desc.digest}: unexpected EOF: the registry sent ${received} of ${desc.size} bytes; nothing was stored: pull again`);
      }
      progress({ id, status: 'Verifying Checksum' });
      checkBlob(received, `sha256:${hash.digest('hex')}`, desc, 'layer');
      progress({ id, status: 'Download complete' });
    },
  );
}

/**
 * Unpack a layer blob into `tree`: decompress in Node (so the uncompressed
 * bytes can be hashed on the way: the diff_id), unpack with tar (which
 * refuses members that would escape), then turn OCI whiteouts into overlay ones.
 */
async function unpackLayer(
  blobPath: string,
  tree: string,
  desc: Descriptor,
  diffId: string,
  compression: 'gzip' | 'none',
  what: string,
  trace: Tracer,
  progress: (p: PullProgress) => void,
): Promise<void> {
  const id = shortDigest(desc.digest);
  let read = 0;
  let last = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      read += chunk.length;
      const now = Date.now();
      if (now - last >= PROGRESS_INTERVAL_MS) {
        last = now;
        progress({ id, status: 'Extracting', progressDetail: { current: read, total: desc.size } });
      }
      done(null, chunk);
    },
  });
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  progress({ id, status: 'Extracting', progressDetail: { current: 0, total: desc.size } });
  const plain = new PassThrough();
  const decompressing = pipeline([createReadStream(blobPath), meter, ...(compression === 'gzip' ? [createGunzip()] : []), hasher, plain]);
  const [decompressed, unpacked] = await Promise.allSettled([
    decompressing,
    unpackArchive(trace, plain, tree, {
      label: `layer ${id} of ${what}`,
      title: `Unpack layer ${id} into a layer directory (an overlay lowerdir)`,
      why: 'overlayfs stacks plain directories, not archives: each layer is unpacked once into its own directory, keeping owners, modes and device files; every member is checked to stay inside it. The uncompressed bytes are hashed on the way: they must match the diff_id the config lists.',
    }),
  ]);
  if (decompressed.status === 'rejected' && (decompressed.reason as NodeJS.ErrnoException)?.code?.startsWith('Z_')) {
    throw new GlassError('REGISTRY_ERROR', `layer ${desc.digest} of ${what} does not decompress (${(decompressed.reason as Error).message}); nothing was stored`);
  }
  if (unpacked.status === 'rejected') {
    // A refused layer (members leaving it, not a tar) is the registry's content at fault, not the user's input.
    const e = unpacked.reason as { code?: string; message?: string };
    if (isGlassError(unpacked.reason) && e.code === 'INVALID_ARGUMENT') throw new GlassError('REGISTRY_ERROR', `${e.message}; nothing was stored`);
    throw unpacked.reason;
  }
  if (decompressed.status === 'rejected') throw decompressed.reason;
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== diffId) {
    throw new GlassError('DIGEST_MISMATCH', `layer ${desc.digest} of ${what}: its uncompressed content hashes to ${got}, but the config's diff_id is ${diffId}; nothing was stored`);
  }
  progress({ id, status: 'Extracting', progressDetail: { current: desc.size, total: desc.size } });
  await convertWhiteouts(trace, tree);
}

/** Hash a blob's uncompressed content and compare it with its diff_id. */
async function checkDiffId(blobPath: string, compression: 'gzip' | 'none', diffId: string, desc: Descriptor, what: string): Promise<void> {
  const hash = createHash('sha256');
  const sink = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done();
    },
  });
  try {
    await pipeline([createReadStream(blobPath), ...(compression === 'gzip' ? [createGunzip()] : []), sink]);
  } catch (e) {
    throw new GlassError('REGISTRY_ERROR', `layer ${desc.digest} of ${what} does not decompress (${(e as Error).message}); nothing was stored`);
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== diffId) throw new GlassError('DIGEST_MISMATCH', `layer ${desc.digest} of ${what}: its uncompressed content hashes to ${got}, but the config's diff_id is ${diffId}; nothing was stored`);
}

/** Run at most `n` of the given tasks at once. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

/** Docker's wording for the errors a user meets most. */
function describePullError(e: unknown, name: RegistryName, opts: PullOptions): unknown {
  if (!isGlassError(e)) return e;
  if (e.code === 'REGISTRY_UNAUTHORIZED' && !opts.auth) {
    return new GlassError(
      'REGISTRY_UNAUTHORIZED',
      `pull access denied for ${name.familiar}, repository does not exist or may require 'glass login': ${e.message.replace(/^\w+ "[^"]*": /, '')}`,
    );
  }
  return e;
}
