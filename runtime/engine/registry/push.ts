import { createReadStream, promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { report, silentTracer, type Tracer } from '../../kernel/step.js';
import { GlassError, isGlassError } from '../errors.js';
import { loadCatalog } from '../images/catalog.js';
import { MEDIA, hexOf, sha256, type Descriptor } from '../images/oci.js';
import { DEFAULT_TAG, fullyQualifiedName, parseReference, splitTag } from '../images/reference.js';
import type { ImageStore } from '../images/store.js';
import type { OciImageConfig } from '../images/types.js';
import type { RegistryAuth } from './auth.js';
import { repositoryScope } from './challenge.js';
import { RegistryClient, registryErrorText } from './http.js';
import { resolveName, type RegistryName } from './name.js';

/*
 * `docker push`: copy an image from the local store to a registry, in the
 * order the OCI distribution spec needs, so the registry never holds a
 * manifest that points at something it lacks:
 *
 *   1. each layer, then the config (blobs):
 *        HEAD /v2/<repo>/blobs/<digest>             200: already there, skip
 *        POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<other repo>
 *                                                   201: the registry linked its own copy
 *        POST /v2/<repo>/blobs/uploads/             202 + Location: an upload session
 *        PUT  <Location>&digest=<digest>  (bytes)   201: stored, checked against the digest
 *          or, for a big blob, PATCH <Location> one chunk at a time (each
 *          answer gives the next Location), then an empty PUT ...&digest=
 *   2. the manifest, last:
 *        PUT /v2/<repo>/manifests/<tag>  (its exact bytes, its media type)
 *
 * The bytes sent are the stored bytes, unchanged: the registry computes the
 * same digests, so a later pull (by glass, docker or skopeo) gets the very
 * same image, manifest digest included.
 */

/** One progress message, in the shape of Docker's JSON message stream (what `docker push` renders). */
export interface PushProgress {
  /** The layer (its diff ID, 12 hex digits) a message is about; absent for whole-push lines. */
  id?: string;
  status: string;
  progressDetail?: { current: number; total: number };
  /** The final result of one tag (Docker's "aux" message). */
  aux?: { Tag: string; Digest: string; Size: number };
}

export interface PushOptions {
  /** Credentials for the one registry the reference names (the client reads them from config.json). */
  auth?: RegistryAuth;
  /** Registries that may be spoken to over plain HTTP (beyond loopback). */
  insecureRegistries?: readonly string[];
  onProgress?: (message: PushProgress) => void;
  /** Push every tag of the repository (`docker push --all-tags`). */
  allTags?: boolean;
  /**
   * Blobs larger than this go up in PATCH chunks of this many bytes; smaller
   * ones in one PUT. Default 16 MiB.
   */
  chunkSize?: number;
  /** How many layers go up at once (Docker's max-concurrent-uploads: 5). */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface PushedTag {
  tag: string;
  /** The manifest's digest (what the registry now serves for the tag). */
  digest: string;
  /** The manifest's size in bytes. */
  size: number;
  /** The local image (config digest). */
  imageId: string;
}

export interface PushResult {
  /** The familiar repository name ("127.0.0.1:5000/me/app"). */
  repository: string;
  pushed: PushedTag[];
}

export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;
const DEFAULT_CONCURRENCY = 5;
const MAX_MOUNT_SOURCES = 3;
/** Tries per blob when the connection breaks (Docker makes 5, 5 s apart and more; glass waits 1 s, then 2 s). */
const UPLOAD_ATTEMPTS = 3;
/** How often a layer's "Pushing" progress is reported at most (ms). */
const PROGRESS_EVERY_MS = 100;

const INDEX_TYPES = new Set([MEDIA.index, 'application/vnd.docker.distribution.manifest.list.v2+json']);

interface LayerJob {
  /** What the progress lines call it: its diff ID's first 12 hex digits, as Docker shows. */
  shown: string;
  descriptor: Descriptor;
  file: string;
  /** Other repositories on the same registry that should hold this blob (from local names). */
  mountFrom?: string;
}

/**
 * Push `reference` (NAME[:TAG]; no tag means latest, as Docker 20.10 does;
 * `allTags` pushes every local tag of NAME). Errors: NO_SUCH_IMAGE ("An image
 * does not exist locally with the tag: NAME", "tag does not exist: NAME:TAG"),
 * REGISTRY_UNAUTHORIZED ("no basic auth credentials", "unauthorized: ..."),
 * REGISTRY_ERROR (unreachable registry, a refused upload or manifest).
 */
export async function pushImage(store: ImageStore, reference: string, opts: PushOptions = {}, trace: Tracer = silentTracer): Promise<PushResult> {
  const ref = parseReference(reference);
  if (ref.digest) throw new GlassError('INVALID_ARGUMENT', 'cannot push a digest reference', 1);
  const name = resolveName(ref.tag ? `${ref.repository}:${ref.tag}` : ref.repository);
  const emit = opts.onProgress ?? (() => {});
  emit({ status: `The push refers to repository [${fullyQualifiedName(name.familiar)}]` });

  const catalog = await loadCatalog(store.paths);
  const localTags = [...catalog.tags.keys()]
    .filter((t) => !t.includes('@'))
    .map((t) => splitTag(t))
    .filter((t) => t.repository === name.familiar)
    .map((t) => t.tag)
    .sort();
  if (localTags.length === 0) {
    throw new GlassError('NO_SUCH_IMAGE', `An image does not exist locally with the tag: ${name.familiar}`, 1);
  }
  const tags = opts.allTags ? localTags : [ref.tag ?? DEFAULT_TAG];
  for (const tag of tags) {
    if (!catalog.tags.has(`${name.familiar}:${tag}`)) throw new GlassError('NO_SUCH_IMAGE', `tag does not exist: ${name.familiar}:${tag}`, 1);
  }

  // Where else on this registry the store has seen each blob: a candidate to mount from.
  const mountSources = await blobsOnRegistry(store, catalog.tags, name);
  const fromRepos = new Set<string>();
  const pushed: PushedTag[] = [];
  const jobsByTag: { tag: string; manifestDigest: string; bytes: Buffer; mediaType: string; config: Descriptor; layers: LayerJob[]; imageId: string }[] = [];
  for (const tag of tags) {
    const manifestDigest = catalog.tags.get(`${name.familiar}:${tag}`)!;
    const bytes = await fs.readFile(store.paths.blob(manifestDigest)).catch(() => {
      throw new GlassError('NO_SUCH_IMAGE', `the manifest of ${name.familiar}:${tag} (${manifestDigest}) is missing from the image store`, 1);
    });
    if (sha256(bytes) !== manifestDigest) {
      throw new GlassError('REGISTRY_ERROR', `the stored manifest of ${name.familiar}:${tag} does not match its digest ${manifestDigest}: the image store is damaged`, 1);
    }
    const manifest = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; config: Descriptor; layers: Descriptor[] };
    const mediaType = manifest.mediaType ?? catalog.manifests.find((m) => m.digest === manifestDigest)?.mediaType ?? MEDIA.manifest;
    if (INDEX_TYPES.has(mediaType as typeof MEDIA.index)) {
      throw new GlassError('INVALID_ARGUMENT', `${name.familiar}:${tag} is a manifest list; glass pushes single-platform images`, 1);
    }
    const config = JSON.parse(await fs.readFile(store.paths.blob(manifest.config.digest), 'utf8')) as OciImageConfig;
    const diffIds = config.rootfs?.diff_ids ?? [];
    const layers: LayerJob[] = [];
    manifest.layers.forEach((descriptor, i) => {
      // Foreign (non-distributable) layers stay where their URLs say: Docker does not push them either.
      if (/foreign|nondistributable/.test(descriptor.mediaType)) return;
      if (layers.some((l) => l.descriptor.digest === descriptor.digest)) return;
      // At most three repositories to mount from, as Docker: each one is one more scope in the token.
      let from = mountSources.get(descriptor.digest);
      if (from && !fromRepos.has(from)) {
        if (fromRepos.size < MAX_MOUNT_SOURCES) fromRepos.add(from);
        else from = undefined;
      }
      const shown = hexOf(diffIds.length === manifest.layers.length ? diffIds[i]! : descriptor.digest).slice(0, 12);
      layers.push({ shown, descriptor, file: store.paths.blob(descriptor.digest), mountFrom: from });
    });
    for (const l of layers) {
      await fs.access(l.file).catch(() => {
        throw new GlassError('NO_SUCH_IMAGE', `layer ${l.descriptor.digest} of ${name.familiar}:${tag} is missing from the image store`, 1);
      });
    }
    jobsByTag.push({ tag, manifestDigest, bytes, mediaType, config: manifest.config, layers: layers.reverse(), imageId: manifest.config.digest });
  }

  const client = new RegistryClient({
    host: name.host,
    path: name.path,
    actions: ['pull', 'push'],
    // A mount reads the blob from the other repository: the token must allow pulling it there too.
    extraScopes: [...fromRepos].map((r) => repositoryScope(r, ['pull'])),
    auth: opts.auth,
    insecureRegistries: opts.insecureRegistries,
    trace,
    signal: opts.signal,
  });
  const ctx: PushContext = { client, trace, emit, chunkSize: opts.chunkSize ?? DEFAULT_CHUNK_SIZE, name, done: new Map() };

  try {
    for (const job of jobsByTag) {
      // Top-most layer first, as Docker lists them; at most `concurrency` at once, the rest "Waiting".
      for (const l of job.layers) emit({ id: l.shown, status: 'Preparing' });
      await pool(job.layers, opts.concurrency ?? DEFAULT_CONCURRENCY, (l) => emit({ id: l.shown, status: 'Waiting' }), (l) => pushLayer(ctx, l));
      await pushBlob(ctx, job.config, store.paths.blob(job.config.digest), undefined);
      const digest = await putManifest(ctx, job.tag, job.bytes, job.mediaType, store.paths.blob(job.manifestDigest));
      if (digest !== job.manifestDigest) {
        throw new GlassError('REGISTRY_ERROR', `the registry stored the manifest as ${digest}, not ${job.manifestDigest}: it changed the bytes`, 1);
      }
      // As Docker does: the image now knows its digest on that registry (RepoDigests, images --digests).
      await store.addRepoDigest(`${name.familiar}@${digest}`, job.manifestDigest);
      emit({ status: `${job.tag}: digest: ${digest} size: ${job.bytes.length}` });
      emit({ status: '', aux: { Tag: job.tag, Digest: digest, Size: job.bytes.length } });
      pushed.push({ tag: job.tag, digest, size: job.bytes.length, imageId: job.imageId });
    }
  } catch (e) {
    throw dockerPushError(e);
  }
  return { repository: name.familiar, pushed };
}

interface PushContext {
  client: RegistryClient;
  trace: Tracer;
  emit: (m: PushProgress) => void;
  chunkSize: number;
  name: RegistryName;
  /** Blobs already handled in this push (several tags share layers). */
  done: Map<string, Promise<string>>;
}

/**
 * Run `work` over `items`, `limit` at a time, in order; `waiting` is called
 * for each item that has to wait for a free slot.
 */
async function pool<T>(items: T[], limit: number, waiting: (item: T) => void, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  items.slice(limit).forEach(waiting);
  let failed: unknown;
  const runner = async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, runner));
  if (failed !== undefined) throw failed;
}

async function pushLayer(ctx: PushContext, layer: LayerJob): Promise<void> {
  const outcome = await pushBlob(ctx, layer.descriptor, layer.file, layer);
  ctx.emit({ id: layer.shown, status: outcome });
}

/** Make sure the registry holds one blob; returns the status line Docker prints for it. */
function pushBlob(ctx: PushContext, desc: Descriptor, file: string, layer: LayerJob | undefined): Promise<string> {
  let p = ctx.done.get(desc.digest);
  if (p) return p.then(() => 'Layer already exists');
  p = pushBlobOnce(ctx, desc, file, layer);
  ctx.done.set(desc.digest, p);
  return p;
}

/**
 * One blob, retried as Docker retries an upload: a connection that breaks
 * (reset, closed, timed out) is worth another try, from a fresh upload
 * session, after a pause the progress line counts down ("Retrying in 2
 * seconds"); a registry's refusal (unauthorized, denied, a bad digest) is not.
 */
async function pushBlobOnce(ctx: PushContext, desc: Descriptor, file: string, layer: LayerJob | undefined): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pushBlobAttempt(ctx, desc, file, layer);
    } catch (e) {
      if (attempt >= UPLOAD_ATTEMPTS || !isNetworkFailure(e) || ctx.client.opts.signal?.aborted) throw e;
      report(ctx.trace, {
        title: `The connection broke while sending ${layer ? `layer ${layer.shown}` : 'the config'}: try again (attempt ${attempt + 1} of ${UPLOAD_ATTEMPTS})`,
        why: `${(e as Error).message}. A broken connection is not the registry saying no: a new upload session starts again from the first byte. What the registry half-received in the old one is never used (it only stores a blob whose bytes match its digest) and is purged in time.`,
        command: `curl -si -X POST ${authFlag(ctx.client)}${ctx.client.repoUrl('blobs/uploads/')}   # a new upload session`,
      });
      for (let left = attempt; left > 0; left--) {
        if (layer) ctx.emit({ id: layer.shown, status: `Retrying in ${left} second${left === 1 ? '' : 's'}` });
        await sleep(1000);
      }
    }
  }
}

/** A failure of the connection itself (as http.ts words it), as opposed to an answer from the registry. */
function isNetworkFailure(e: unknown): boolean {
  return isGlassError(e) && e.code === 'REGISTRY_ERROR' && /connection reset|closed unexpectedly|i\/o timeout|socket hang up|other side closed|EPIPE/i.test(e.message);
}

async function pushBlobAttempt(ctx: PushContext, desc: Descriptor, file: string, layer: LayerJob | undefined): Promise<string> {
  const { client, trace } = ctx;
  const what = layer ? `layer ${layer.shown}` : `config ${hexOf(desc.digest).slice(0, 12)}`;
  const blobUrl = client.repoUrl(`blobs/${desc.digest}`);
  const head = await client.request(blobUrl, { method: 'HEAD' });
  report(trace, {
    title: `Ask whether ${ctx.name.host} already has ${what}: HEAD → ${head.status}`,
    why: 'Blobs are named by their sha256, so the registry can say "I have it" without seeing a byte: a layer another image already pushed is never sent twice.',
    command: `curl -I ${authFlag(client)}${blobUrl}`,
  });
  if (head.status === 200) return 'Layer already exists';
  if (head.status !== 404) throw new GlassError('REGISTRY_ERROR', `${what}: HEAD ${blobUrl}: ${await registryErrorText(head)}`, 1);

  let location: string | undefined;
  if (layer?.mountFrom) {
    const mountUrl = client.repoUrl(`blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(layer.mountFrom)}`);
    const res = await client.request(mountUrl, { method: 'POST', headers: { 'content-length': '0' } });
    report(trace, {
      title: `Ask ${ctx.name.host} to mount ${what} from ${layer.mountFrom} (cross-repository mount): ${res.status === 201 ? '201, mounted' : `${res.status}, not there: upload it`}`,
      why: 'The same registry already holds this blob in another repository: a mount links it into this one without sending it again. If the registry cannot (202), the reply is an ordinary upload session instead.',
      command: `curl -i -X POST ${authFlag(client)}'${mountUrl}'`,
    });
    if (res.status === 201) {
      await res.body?.cancel().catch(() => undefined);
      return `Mounted from ${layer.mountFrom}`;
    }
    if (res.status === 202) location = locationOf(res, mountUrl);
    else await res.body?.cancel().catch(() => undefined);
  }
  if (!location) {
    const startUrl = client.repoUrl('blobs/uploads/');
    const res = await client.request(startUrl, { method: 'POST', headers: { 'content-length': '0' } });
    if (res.status !== 202) throw new GlassError('REGISTRY_ERROR', `${what}: starting an upload: ${await registryErrorText(res)}`, 1);
    location = locationOf(res, startUrl);
  }
  await upload(ctx, desc, file, location, layer, what);
  return 'Pushed';
}

/** The Location header of an upload reply, resolved against the request's URL (it may be relative); its query is kept. */
function locationOf(res: Response, requestUrl: string): string {
  void res.body?.cancel().catch(() => undefined);
  const loc = res.headers.get('location');
  if (!loc) throw new GlassError('REGISTRY_ERROR', `the registry answered ${res.status} without a Location header for the upload`, 1);
  const next = new URL(loc, requestUrl);
  // The upload (and the credentials that go with it) stays with the registry itself, on the same scheme.
  if (next.origin !== new URL(requestUrl).origin) {
    throw new GlassError('REGISTRY_ERROR', `the registry sent the upload to another place (${next.origin}); glass uploads only to ${new URL(requestUrl).origin}`, 1);
  }
  return next.toString();
}

/** "<url>&digest=sha256:..." (or "?digest=" when the URL has no query): the query the registry gave is kept as it is. */
function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

async function upload(ctx: PushContext, desc: Descriptor, file: string, location: string, layer: LayerJob | undefined, what: string): Promise<void> {
  const { client, trace, chunkSize } = ctx;
  const total = desc.size;
  let sent = 0;
  let lastReport = 0;
  const progress = (n: number) => {
    sent += n;
    if (!layer) return;
    const now = Date.now();
    if (now - lastReport < PROGRESS_EVERY_MS && sent < total) return;
    lastReport = now;
    ctx.emit({ id: layer.shown, status: 'Pushing', progressDetail: { current: sent, total } });
  };
  const mb = sizeText(total);

  let finishUrl: string;
  let finish: Response;
  if (chunkSize > 0 && total > chunkSize) {
    // Chunked: each PATCH carries "Content-Range: <first>-<last>" (inclusive, the registry's own format, no "bytes=")
    // and the reply's Location is where the next chunk goes.
    const chunks = Math.ceil(total / chunkSize);
    const fd = await fs.open(file, 'r');
    try {
      for (let start = 0; start < total; start += chunkSize) {
        const length = Math.min(chunkSize, total - start);
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fd.read(buf, 0, length, start);
        if (bytesRead !== length) throw new GlassError('REGISTRY_ERROR', `${what}: the blob file is shorter than its descriptor says (${file})`, 1);
        const res = await client.request(location, {
          method: 'PATCH',
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${start + length - 1}`, 'content-length': String(length) },
          body: buf as unknown as RequestInit['body'],
        });
        if (res.status !== 202) throw new GlassError('REGISTRY_ERROR', `${what}: uploading bytes ${start}-${start + length - 1}: ${await registryErrorText(res)}`, 1);
        location = locationOf(res, location);
        progress(length);
      }
    } finally {
      await fd.close();
    }
    finishUrl = withDigest(location, desc.digest);
    finish = await client.request(finishUrl, { method: 'PUT', headers: { 'content-length': '0' } });
    report(trace, {
      title: `Upload ${what} (${mb}) in ${chunks} chunks: POST, ${chunks} × PATCH, then PUT ?digest=`,
      why: 'A big blob goes up in pieces: each PATCH appends one chunk to the upload session (Content-Range says which bytes), so a dropped connection costs one chunk, not the whole layer. The final PUT names the digest: the registry checks the bytes against it before storing the blob.',
      command:
        `curl -si -X POST ${authFlag(client)}${client.repoUrl('blobs/uploads/')} | grep -i ^location   # then for each chunk:\n` +
        `  curl -X PATCH ${authFlag(client)}-H 'Content-Range: <first>-<last>' --data-binary @chunk "<Location>"   # then:\n` +
        `  curl -X PUT ${authFlag(client)}"<Location>&digest=${desc.digest}"`,
    });
  } else {
    finishUrl = withDigest(location, desc.digest);
    finish = await client.request(finishUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(total) },
      body: fileBody(file, progress, () => (sent = 0)) as unknown as RequestInit['body'],
      duplex: 'half',
    });
    report(trace, {
      title: `Upload ${what} (${mb}) in one PUT: POST /blobs/uploads/, then PUT <Location>?digest=`,
      why: 'The POST opens an upload session (its URL comes back in Location); the PUT sends the whole blob and names its digest: the registry hashes what it received and refuses it if the digest differs.',
      command:
        `curl -si -X POST ${authFlag(client)}${client.repoUrl('blobs/uploads/')} | grep -i ^location   # then:\n` +
        `  curl -X PUT ${authFlag(client)}-H 'Content-Type: application/octet-stream' --data-binary @${file} "<Location>&digest=${desc.digest}"`,
    });
  }
  if (finish.status !== 201) throw new GlassError('REGISTRY_ERROR', `${what}: completing the upload: ${await registryErrorText(finish)}`, 1);
  await finish.body?.cancel().catch(() => undefined);
  const stored = finish.headers.get('docker-content-digest');
  if (stored && stored !== desc.digest) throw new GlassError('REGISTRY_ERROR', `${what}: the registry stored ${stored}, expected ${desc.digest}`, 1);
}

/** "1.0 MB", "527 B", "12.3 kB": a blob's size for a trace title. */
function sizeText(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * A blob file as a request body, reporting each chunk as it goes out. Each
 * iteration opens the file afresh: if the registry answers 401 (a token that
 * expired mid-push), the client authenticates again and re-sends the request,
 * and the body must then be whole again, not a spent stream.
 */
function fileBody(file: string, progress: (n: number) => void, restart: () => void): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      restart();
      for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
        progress((chunk as Buffer).length);
        yield chunk as Buffer;
      }
    },
  };
}

async function putManifest(ctx: PushContext, tag: string, bytes: Buffer, mediaType: string, storedAt: string): Promise<string> {
  const { client, trace } = ctx;
  const url = client.repoUrl(`manifests/${tag}`);
  const res = await client.request(url, { method: 'PUT', headers: { 'content-type': mediaType }, body: bytes as unknown as RequestInit['body'] });
  report(trace, {
    title: `Publish the manifest as ${tag}: PUT → ${res.status}`,
    why: 'The manifest goes last: the registry checks that every blob it lists is there, stores it under the sha256 of these exact bytes, and points the tag at it. From now on a pull of this tag gets this image.',
    command: `curl -X PUT ${authFlag(client)}-H 'Content-Type: ${mediaType}' --data-binary @${storedAt} ${url}`,
  });
  if (res.status !== 201) throw new GlassError('REGISTRY_ERROR', await registryErrorText(res), 1);
  await res.body?.cancel().catch(() => undefined);
  return res.headers.get('docker-content-digest') ?? sha256(bytes);
}

/** "-H 'Authorization: Bearer <redacted>' " when the client authenticated, for the curl a trace shows. */
function authFlag(client: RegistryClient): string {
  const shown = client.shownAuthorization(); // "Authorization: Bearer <redacted>": never the secret itself
  return shown ? `-H '${shown}' ` : '';
}

/**
 * Repositories on the push's registry (other than its own) that, by the
 * store's names (tags and RepoDigests), should hold each blob: the source
 * of a cross-repository mount. The first one found per blob.
 */
async function blobsOnRegistry(store: ImageStore, names: Map<string, string>, target: RegistryName): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  const read = new Map<string, string[]>();
  for (const [nameRef, manifestDigest] of [...names].sort(([a], [b]) => a.localeCompare(b))) {
    let other: RegistryName;
    try {
      other = resolveName(nameRef);
    } catch {
      continue;
    }
    if (other.host !== target.host || other.path === target.path) continue;
    let layers = read.get(manifestDigest);
    if (!layers) {
      layers = await fs
        .readFile(store.paths.blob(manifestDigest), 'utf8')
        .then((t) => ((JSON.parse(t) as { layers?: Descriptor[] }).layers ?? []).map((l) => l.digest))
        .catch(() => []);
      read.set(manifestDigest, layers);
    }
    for (const d of layers) if (!sources.has(d)) sources.set(d, other.path);
  }
  return sources;
}

/**
 * Docker prints an authentication failure during a push without the request
 * that met it ("no basic auth credentials", "unauthorized: authentication
 * required"); other errors keep it (Get "http://...": dial tcp ...).
 */
function dockerPushError(e: unknown): unknown {
  if (!isGlassError(e) || e.code !== 'REGISTRY_UNAUTHORIZED') return e;
  const bare = e.message.replace(/^[A-Z][a-z]+ "[^"]*": /, '');
  return new GlassError('REGISTRY_UNAUTHORIZED', bare, 1);
}
