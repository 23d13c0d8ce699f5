import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { shellJoin, unpackArchive } from '../../kernel/archive.js';
import { report, silentTracer, step, type Tracer } from '../../kernel/step.js';
import { convertWhiteouts } from '../../kernel/whiteouts.js';
import { GlassError, isGlassError } from '../errors.js';
import { hexOf, sha256, type Descriptor, type PreparedLayer } from '../images/oci.js';
import type { ImageStore } from '../images/store.js';
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

  try {
    // 1. The manifest (through the index, if the tag names one). Docker says "Pulling from" once the registry has answered with one.
    const top = await fetchManifest(client, name, manifestReference(name), name.digest, trace);
    progress({ id: name.digest ?? name.tag, status: `Pulling from ${name.path}` });
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
    const layers: PreparedLayer[] = [];
    const needs: { index: number; blob: boolean; tree: boolean }[] = [];
    for (const [i, l] of manifest.layers.entries()) {
      const blob = !(await store.hasBlob(l.digest));
      const tree = !(await store.hasLayer(diffIds[i]!));
      layers.push({ descriptor: { mediaType: l.mediaType, digest: l.digest, size: l.size }, diffId: diffIds[i]! });
      if (blob || tree) needs.push({ index: i, blob, tree });
    }
    const upToDate = current === manifestDigest && needs.length === 0;
    // 5. Into the store: the manifest and config bytes exactly as they came, named by the tag and the repository digest.
    const install = () =>
      store.installPrepared({ config, configBytes, manifestBytes, manifestMediaType, layers }, [...(tag ? [tag] : []), repoDigest]);
    if (!upToDate) {
      for (const [i, l] of manifest.layers.entries()) {
        if (!needs.some((n) => n.index === i)) progress({ id: shortDigest(l.digest), status: 'Already exists' });
      }
    }

    // 3 and 4. The layers this store lacks: up to 3 at once, each unpacked while it downloads.
    if (needs.length) {
      const workDir = await makeScratchDir(store.paths.tmp, 'pull');
      // One layer failing stops the others (their scratch goes with the directory).
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for (const n of needs) progress({ id: shortDigest(manifest.layers[n.index]!.digest), status: 'Pulling fs layer' });
        const limit = limiter(DOWNLOAD_CONCURRENCY);
        for (const n of needs.slice(DOWNLOAD_CONCURRENCY)) progress({ id: shortDigest(manifest.layers[n.index]!.digest), status: 'Waiting' });
        const jobs = needs.map((n) =>
          limit(async () => {
            if (stop.signal.aborted) throw new GlassError('REGISTRY_ERROR', 'stopped: another layer failed');
            const desc = manifest.layers[n.index]!;
            const layer = layers[n.index]!;
            const tree = n.tree ? join(workDir, `${hexOf(desc.digest)}.tree`) : undefined;
            if (tree) await fs.mkdir(tree, { mode: 0o755 });
            const blobFile = n.blob ? join(workDir, `${hexOf(desc.digest)}.blob`) : undefined;
            await fetchLayer({
              client,
              desc,
              diffId: diffIds[n.index]!,
              compression: compressions[n.index]!,
              download: blobFile,
              storedBlob: n.blob ? undefined : store.paths.blob(desc.digest),
              tree,
              what: shownRef,
              trace,
              progress,
              signal: stop.signal,
            });
            if (blobFile) layer.blobPath = blobFile;
            if (tree) layer.treePath = tree;
            progress({ id: shortDigest(desc.digest), status: 'Pull complete' });
          }).catch((e: unknown) => {
            stop.abort();
            throw e;
          }),
        );
        const settled = await Promise.allSettled(jobs);
        // The first layer's own failure, not a "stopped" of the others.
        const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
        const cause = failed.find((e) => !/^stopped: /.test(e.message) && !(e as { aborted?: boolean }).aborted) ?? failed[0];
        if (cause) {
          if (opts.signal?.aborted) throw new GlassError('REGISTRY_ERROR', `the pull of ${shownRef} was cancelled; nothing was stored`);
          throw cause;
        }
        await install();
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
        await fs.rm(workDir, { recursive: true, force: true });
      }
    } else {
      await install();
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

interface LayerJob {
  client: RegistryClient;
  desc: Descriptor;
  diffId: string;
  compression: 'gzip' | 'none';
  /** Download the blob to this scratch file (absent: read `storedBlob`, which the store has). */
  download?: string;
  storedBlob?: string;
  /** Unpack into this scratch directory (absent: the store has the layer directory; only check the diff_id). */
  tree?: string;
  what: string;
  trace: Tracer;
  progress: (p: PullProgress) => void;
  signal: AbortSignal;
}

/**
 * One layer, in one pass over its bytes: as they arrive they are hashed and
 * counted (the blob's digest and size), written to a scratch file, and
 * decompressed into tar, whose bytes are hashed too (the diff_id) and
 * unpacked into the layer's scratch directory at the same time. Only when
 * the last byte is in are the digest, the size and the diff_id compared:
 * any difference throws, and the scratch file and directory are dropped
 * unused. More bytes than the manifest's size stop the download at once.
 */
async function fetchLayer(job: LayerJob): Promise<void> {
  const { client, desc, progress } = job;
  const id = shortDigest(desc.digest);
  const url = client.repoUrl(`blobs/${desc.digest}`);
  const auth = () => (client.shownAuthorization() ? `-H '${client.shownAuthorization()}' ` : '');
  const work = async () => {
    let source: Readable;
    if (job.download) {
      const res = await client.request(url);
      if (!res.ok || !res.body) throw new GlassError('REGISTRY_ERROR', `GET "${url}": ${await registryErrorText(res)}`);
      source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    } else {
      source = createReadStream(job.storedBlob!);
    }
    const status = job.download ? 'Downloading' : 'Extracting';
    const blobHash = createHash('sha256');
    let received = 0;
    let last = 0;
    const meter = (chunk: Buffer): Error | undefined => {
      received += chunk.length;
      if (received > desc.size) return new GlassError('DIGEST_MISMATCH', `layer ${desc.digest}: the registry sent more than the ${desc.size} bytes the manifest says; nothing was stored`);
      blobHash.update(chunk);
      const now = Date.now();
      if (now - last >= PROGRESS_INTERVAL_MS) {
        last = now;
        progress({ id, status, progressDetail: { current: received, total: desc.size } });
      }
      return undefined;
    };
    progress({ id, status, progressDetail: { current: 0, total: desc.size } });

    // Decompressed tar: hashed for the diff_id, and unpacked (or only hashed, when the store has the directory).
    const tarHash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, done) {
        tarHash.update(chunk);
        done(null, chunk);
      },
    });
    // Big chunks: each one is copied to two tar processes (list and extract), so fewer means less overhead.
    const gunzip = job.compression === 'gzip' ? createGunzip({ chunkSize: 256 * 1024 }) : new PassThrough({ highWaterMark: 256 * 1024 });
    const plain = new PassThrough();
    const sink = job.tree ? plain : new Writable({ write: (_c, _e, cb) => cb() });
    const decompressing = pipeline(gunzip, hasher, sink);
    const unpacking = job.tree
      ? unpackArchive(job.trace, plain, job.tree, {
          label: `layer ${id} of ${job.what}`,
          title: `Unpack layer ${id} into a layer directory (an overlay lowerdir), as it downloads`,
          why: 'overlayfs stacks plain directories, not archives: each layer is unpacked once into its own directory, keeping owners, modes and device files; every member is checked to stay inside it. The bytes are decompressed and hashed on the way (they must match the diff_id the config lists) and unpacked while they arrive.',
        })
      : Promise.resolve();
    unpacking.catch(() => undefined);
    decompressing.catch(() => undefined);

    const file = job.download ? createWriteStream(job.download, { flags: 'wx', mode: 0o600 }) : undefined;
    const tee = teeWritable([...(file ? [{ stream: file as Writable, fatal: true }] : []), { stream: gunzip, fatal: false }], meter);
    let transfer: unknown;
    try {
      await pipeline(source, tee, { signal: job.signal });
    } catch (e) {
      transfer = e;
    }
    if (transfer) {
      gunzip.destroy();
      await Promise.allSettled([decompressing, unpacking]);
      if (isGlassError(transfer)) throw transfer;
      if (job.signal.aborted) throw Object.assign(new GlassError('REGISTRY_ERROR', `stopped: the pull was cancelled`), { aborted: true });
      throw retryable(new GlassError('REGISTRY_ERROR', `layer ${desc.digest}: the download broke off after ${received} of ${desc.size} bytes (unexpected EOF: ${(transfer as Error).message}); nothing was stored: pull again`));
    }
    progress({ id, status, progressDetail: { current: received, total: desc.size } });
    if (job.download) {
      if (received < desc.size) {
        gunzip.destroy();
        await Promise.allSettled([decompressing, unpacking]);
        throw retryable(new GlassError('REGISTRY_ERROR', `layer ${desc.digest}: unexpected EOF: the registry sent ${received} of ${desc.size} bytes; nothing was stored: pull again`));
      }
      progress({ id, status: 'Verifying Checksum' });
    }
    const [decompressed, unpacked] = await Promise.allSettled([decompressing, unpacking]);
    // The blob itself first: a damaged download explains every later symptom.
    checkBlob(received, `sha256:${blobHash.digest('hex')}`, desc, 'layer');
    if (job.download) progress({ id, status: 'Download complete' });
    if (decompressed.status === 'rejected' && (decompressed.reason as NodeJS.ErrnoException)?.code?.startsWith('Z_')) {
      throw new GlassError('REGISTRY_ERROR', `layer ${desc.digest} of ${job.what} does not decompress (${(decompressed.reason as Error).message}); nothing was stored`);
    }
    if (unpacked.status === 'rejected') {
      // A refused layer (members leaving it, not a tar) is the registry's content at fault, not the user's input.
      const e = unpacked.reason as { code?: string; message?: string };
      if (isGlassError(unpacked.reason) && e.code === 'INVALID_ARGUMENT') throw new GlassError('REGISTRY_ERROR', `${e.message}; nothing was stored`);
      throw unpacked.reason;
    }
    if (decompressed.status === 'rejected') throw decompressed.reason;
    const got = `sha256:${tarHash.digest('hex')}`;
    if (got !== job.diffId) {
      throw new GlassError('DIGEST_MISMATCH', `layer ${desc.digest} of ${job.what}: its uncompressed content hashes to ${got}, but the config's diff_id is ${job.diffId}; nothing was stored`);
    }
    if (job.tree) {
      progress({ id, status: 'Extracting', progressDetail: { current: desc.size, total: desc.size } });
      await convertWhiteouts(job.trace, job.tree);
    }
  };
  if (!job.download) return work();
  // A download cut short (a dropped connection, a truncated reply) is tried again, as Docker does ("Retrying in N
  // seconds"), from scratch: the partial file and directory are dropped first. A wrong digest is never retried.
  const attempt = async () => {
    for (let n = 1; ; n++) {
      try {
        return await work();
      } catch (e) {
        if (!(e as { retryable?: boolean }).retryable || n >= DOWNLOAD_ATTEMPTS || job.signal.aborted) throw e;
        await fs.rm(job.download!, { force: true });
        if (job.tree) {
          await fs.rm(job.tree, { recursive: true, force: true });
          await fs.mkdir(job.tree, { mode: 0o755 });
        }
        for (let left = n; left > 0; left--) {
          progress({ id, status: `Retrying in ${left} second${left === 1 ? '' : 's'}` });
          await new Promise((r) => setTimeout(r, 1000));
          if (job.signal.aborted) throw e;
        }
      }
    }
  };
  await step(
    job.trace,
    {
      title: `Download layer ${id} (${desc.digest}, ${desc.size} bytes)`,
      why: "A layer is a (usually gzip-compressed) tar of files, stored by the sha256 of its bytes. It is streamed to a scratch file while its sha256 and size are computed, and unpacked as it arrives: if the sha256, the size or the uncompressed content's diff_id differs from what the manifest and config say, the layer is rejected and nothing is stored.",
      command: `curl -L ${auth()}-o ${shellJoin([job.download])} ${url} && sha256sum ${shellJoin([job.download])}`,
    },
    attempt,
  );
}

/** How often a layer download that broke off is tried in all (Docker: 5; fewer here, the waits add up). */
const DOWNLOAD_ATTEMPTS = 3;

function retryable<E extends Error>(e: E): E & { retryable: true } {
  return Object.assign(e, { retryable: true as const });
}

/**
 * A writable that copies each chunk to several streams at the pace of the
 * slowest (after `inspect` saw it: an error it returns fails the write). A
 * "fatal" target's failure fails the whole; another's only drops it (the
 * unpacking side may stop early: the download still finishes, so its digest
 * can say whether the registry sent something else).
 */
function teeWritable(targets: { stream: Writable; fatal: boolean }[], inspect: (chunk: Buffer) => Error | undefined): Writable {
  const live = new Set(targets);
  let fatalError: Error | undefined;
  for (const t of targets) {
    t.stream.on('error', (e: Error) => {
      live.delete(t);
      if (t.fatal) fatalError ??= e;
    });
  }
  const writeTo = (t: { stream: Writable; fatal: boolean }, chunk: Buffer) =>
    new Promise<void>((resolve) => {
      if (t.stream.destroyed || t.stream.writableEnded) {
        live.delete(t);
        if (t.fatal) fatalError ??= new Error('the scratch file closed');
        return resolve();
      }
      const ok = t.stream.write(chunk);
      if (ok) return resolve();
      const done = () => {
        t.stream.off('drain', done);
        t.stream.off('close', done);
        resolve();
      };
      t.stream.once('drain', done);
      t.stream.once('close', done);
    });
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      const err = inspect(chunk);
      if (err) return cb(err);
      Promise.all([...live].map((t) => writeTo(t, chunk))).then(() => cb(fatalError), cb);
    },
    final(cb) {
      Promise.all(
        [...live].map(
          (t) =>
            new Promise<void>((resolve) => {
              t.stream.once('error', () => resolve());
              t.stream.end(() => resolve());
            }),
        ),
      ).then(() => cb(fatalError), cb);
    },
    destroy(err, cb) {
      for (const t of live) if (t.fatal) t.stream.destroy();
      cb(err);
    },
  });
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
