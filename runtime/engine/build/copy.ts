import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { posix, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { detectCompression, shellJoin, unpackArchive } from '../../kernel/archive.js';
import { decompressWithTool } from '../../kernel/decompress.js';
import { report, type Step, type Tracer } from '../../kernel/step.js';
import { looksLikeTar, readTarFiles, tarEntries, walkHostTree, type HostTreeEntry, type TarEntry } from '../../kernel/tar-stream.js';
import type { ContainersApi } from '../api.js';
import { GlassError } from '../errors.js';
import { combineChecksums, entryChecksum, sourceChecksum } from './checksum.js';
import { containsWildcards, entriesUnder, indexTree, resolveSources, type BuildContext, type ContextEntry, type ResolvedSource } from './context.js';

/**
 * COPY and ADD, as Docker's classic builder does them (builder/dockerfile
 * copy.go and internals.go), in two phases so that the cache probe comes
 * between them:
 *
 *   prepareCopy   resolves the sources (the build context, a URL fetched for
 *                 real, or another stage's or image's files with --from) and
 *                 computes the cache text: "COPY file:<sha256> in /app ".
 *                 An unchanged file gives the same text, so the step hits.
 *   apply         writes the files into a build container made from the
 *                 current image (created, never started), as ONE tar stream
 *                 unpacked inside its root filesystem through the containers
 *                 API (PUT archive: resolved inside the rootfs, never on the
 *                 host); the builder then commits that container's changes.
 *
 * Docker's rules kept here: a directory source copies its contents, not
 * itself; a file goes into DEST/ when DEST ends in "/" or is a directory,
 * else becomes DEST; several sources need a DEST ending in "/"; missing
 * parents are made 0755; a relative DEST is under WORKDIR. Files from the
 * context belong to root (Docker's client sends them as 0:0) unless --chown
 * names a user and group, looked up in the image's own /etc/passwd and
 * /etc/group; --from without --chown keeps the owners the files have in that
 * image. ADD also unpacks a local tar archive (plain, gzip, bzip2, xz; its
 * files keep the archive's owners, --chown or not) and fetches http(s) URLs
 * (saved as a file, mode 0600, never unpacked). --chmod is BuildKit's, and
 * refused with Docker 20.10's words.
 */

export interface CopyInstruction {
  kind: 'COPY' | 'ADD';
  /** The sources as written, variables already expanded. */
  sources: string[];
  /** The destination as written (expanded); its trailing "/" matters. */
  dest: string;
  chown?: string;
  chmod?: string;
  /** --from=<stage name, stage index or image> */
  from?: string;
}

export interface CopyEnv {
  /** Where this step's own Steps go (the build operation's trace). */
  trace: Tracer;
  /** The build's CallOptions, passed to the containers calls (their Steps reach the caller's onStep through them). */
  call?: { onStep?: (s: Step) => void };
  containers: ContainersApi;
  /** The build context (COPY/ADD without --from read from it). */
  context?: BuildContext;
  /** The image's WorkingDir ('' = /): a relative DEST is under it. */
  workdir: string;
  /** --from: a stage name or index → its image ID; else an image reference → its ID (pulled when missing). */
  fromImage(ref: string): Promise<string>;
  /** A directory this step may make its scratch files in (a fresh subdirectory is made and removed by dispose). */
  scratchDir: string;
  signal?: AbortSignal;
}

export interface PreparedCopy {
  /**
   * Docker's cache text (without "#(nop) "), its quirks kept: "COPY file:<sha> in /app ", "COPY --chown=app:appdir:<sha> in / "
   * (no space after --chown), "ADD <sha> in /x/ " for a URL (a bare checksum), "COPY multi:<sha> in /d/ " for several sources.
   */
  comment: string;
  /** Put the files into the build container (created from the current image, not started). */
  apply(containerId: string): Promise<void>;
  /** Remove the step's scratch files (downloads, files taken out of a --from image). Always call it. */
  dispose(): Promise<void>;
}

/** What one source puts into the image. */
type Item =
  /** A file (a symlink source was followed to it): it lands as DEST, or as DEST/<name>. */
  | { kind: 'file'; name: string; entry: ContextEntry; archiveCandidate: boolean; label: string }
  /** A directory: its contents land in DEST. */
  | { kind: 'dir'; ctx: BuildContext; path: string };

const fail = (message: string) => new GlassError('INVALID_ARGUMENT', message, 1);

const isURL = (s: string) => s.startsWith('http://') || s.startsWith('https://');

/** Resolve the sources and compute the cache text; nothing is written into any image yet. */
export async function prepareCopy(inst: CopyInstruction, env: CopyEnv): Promise<PreparedCopy> {
  if (inst.chmod !== undefined && inst.chmod !== '') {
    throw fail('the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled');
  }
  await fs.mkdir(env.scratchDir, { recursive: true });
  const scratch = await fs.mkdtemp(join(env.scratchDir, `${inst.kind.toLowerCase()}-`));
  const dispose = () => fs.rm(scratch, { recursive: true, force: true });
  try {
    const { items, hashes } = inst.from !== undefined ? await fromImageSources(inst, env, scratch) : await contextSources(inst, env, scratch);
    if (items.length > 1 && !inst.dest.endsWith('/')) {
      throw fail(`When using ${inst.kind} with more than one source file, the destination must be a directory and end with a /`);
    }
    // Docker's text, its quirks included: no space between --chown=... and the hash.
    const comment = `${inst.kind} ${inst.chown ? `--chown=${inst.chown}` : ''}${combineChecksums(hashes)} in ${inst.dest} `;
    return {
      comment,
      apply: (containerId) => applyCopy(inst, env, items, containerId, scratch),
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

// ---- sources ------------------------------------------------------------------------

/** The build context's sources, and for ADD the URLs among them, in the order written. */
async function contextSources(inst: CopyInstruction, env: CopyEnv, scratch: string): Promise<{ items: Item[]; hashes: string[] }> {
  const items: Item[] = [];
  const hashes: string[] = [];
  const local = inst.sources.filter((s) => !isURL(s));
  if (local.length < inst.sources.length && inst.kind === 'COPY') throw fail("COPY failed: source can't be a URL for COPY");
  const ctx = env.context;
  if (local.length > 0 && !ctx) throw fail(`${inst.kind} failed: missing build context`);
  // Resolved together, as Docker does: a wildcard that matches nothing is fine when another source gives files.
  const resolved = local.length > 0 ? await resolveAllowingEmpty(ctx!, local, inst) : [];
  let n = 0;
  for (const source of inst.sources) {
    env.signal?.throwIfAborted();
    if (isURL(source)) {
      const got = await download(source, inst, env, join(scratch, `url-${n++}`));
      items.push(got.item);
      hashes.push(got.hash);
      continue;
    }
    // resolveSources answers in the order of the sources: this source's matches are next in line.
    while (resolved.length > 0 && resolved[0]!.source === source) {
      const r = resolved.shift()!;
      items.push(itemOf(ctx!, r, inst.kind === 'ADD'));
      hashes.push(await sourceChecksum(ctx!, r));
    }
  }
  if (items.length === 0) throw fail(`${inst.kind} failed: no source files were specified`);
  return { items, hashes };
}

/** resolveSources over the local sources; with URLs beside them, "nothing matched" is decided after the URLs count. */
async function resolveAllowingEmpty(ctx: BuildContext, sources: string[], inst: CopyInstruction): Promise<ResolvedSource[]> {
  try {
    return resolveSources(ctx, sources, inst.kind);
  } catch (e) {
    if (e instanceof GlassError && /no source files were specified/.test(e.message) && sources.length < inst.sources.length) return [];
    throw e;
  }
}

function itemOf(ctx: BuildContext, r: ResolvedSource, add: boolean): Item {
  if (r.entry.kind === 'dir') return { kind: 'dir', ctx, path: r.path };
  // Docker names the file after the source as asked or matched: a symlink source keeps its own name.
  const name = posix.basename(r.matched === '.' ? r.path : r.matched);
  return { kind: 'file', name, entry: r.entry, archiveCandidate: add, label: r.path };
}

/**
 * --from: the sources are read from another image (a previous stage's, or
 * any image). A container is created from it (never started) and each
 * source's directory part taken out through the containers API (GET
 * archive), unpacked into scratch with the kernel's member checks; the
 * sources are then resolved there as in a context whose "/" is the image's.
 */
async function fromImageSources(inst: CopyInstruction, env: CopyEnv, scratch: string): Promise<{ items: Item[]; hashes: string[] }> {
  if (inst.kind === 'ADD') throw fail('Unknown flag: from');
  let imageId: string;
  try {
    imageId = await env.fromImage(inst.from!);
  } catch (e) {
    throw fail(`invalid from flag value ${inst.from}: ${(e as Error).message}`);
  }
  const root = join(scratch, 'from');
  await fs.mkdir(root, { mode: 0o755 });
  const call = env.call ?? {};
  // Never started; no image VOLUMEs mounted, so the files are read from the image's own layers.
  const c = await env.containers.create({ image: imageId, command: ['true'], imageVolumes: false, labels: { 'glass.build.copy-from': inst.from! } }, call);
  try {
    const taken = new Set<string>();
    const take = async (path: string, hops: number): Promise<void> => {
      if (taken.has(path) || hops > 16) return;
      taken.add(path);
      let linkTarget = '';
      try {
        const st = await env.containers.statPath(c.id, path, call);
        linkTarget = (st.mode & 2 ** 27) !== 0 ? st.linkTarget : '';
      } catch (e) {
        if (e instanceof GlassError && e.code === 'NO_SUCH_PATH') return; // resolution below says "not found"
        throw e;
      }
      const into = join(root, posix.dirname(path));
      await fs.mkdir(into, { recursive: true, mode: 0o755 });
      const pipe = new PassThrough();
      const unpacked = unpackArchive(env.trace, pipe, into, {
        label: `${path} of image ${imageId.replace(/^sha256:/, '').slice(0, 12)}`,
        title: `Take ${path} out of the --from image`,
        why: 'COPY --from reads files from another image: they come out of a container of that image as a tar stream (GET archive) and are unpacked into a scratch directory, every member checked to stay inside it.',
      });
      const archived = env.containers.archive(c.id, path, pipe, call).finally(() => pipe.end());
      const [packed, unpackedHere] = await Promise.allSettled([archived, unpacked]);
      if (packed.status === 'rejected') throw packed.reason;
      if (unpackedHere.status === 'rejected') throw unpackedHere.reason;
      // A symlink source is followed inside the image, as Docker's scoped resolution does: take its target too.
      if (linkTarget) await take(linkTarget, hops + 1);
    };
    for (const source of inst.sources) {
      const abs = posix.normalize(`/${source}`).replace(/(.)\/+$/, '$1');
      const parts = abs.split('/').filter(Boolean);
      const firstWild = parts.findIndex((p) => containsWildcards(p));
      const staticPart = `/${(firstWild < 0 ? parts : parts.slice(0, firstWild)).join('/')}`;
      await take(staticPart, 0);
    }
  } finally {
    await env.containers.remove(c.id, { force: true, volumes: true, ...call }).catch(() => undefined);
  }
  const ctx = await indexTree(root, { hashStyle: 'image' });
  let resolved: ResolvedSource[];
  try {
    // Inside an image ".." cannot leave anything: "/" is the image's root (Docker checks for the context only).
    resolved = resolveSources(ctx, inst.sources.map((src) => posix.normalize(`/${src}`)), inst.kind);
  } catch (e) {
    // Docker's words for an image source: no "build context" in them.
    if (e instanceof GlassError) throw fail(e.message.replace('file not found in build context or excluded by .dockerignore: ', ''));
    throw e;
  }
  const items: Item[] = [];
  const hashes: string[] = [];
  for (const r of resolved) {
    items.push(itemOf(ctx, r, false));
    hashes.push(await sourceChecksum(ctx, r));
  }
  if (items.length === 0) throw fail(`${inst.kind} failed: no source files were specified`);
  return { items, hashes };
}

// ---- ADD <url> ------------------------------------------------------------------------

/** Docker's getFilenameForDownload: the URL path's last name, else Content-Disposition's filename, else none. */
export function filenameForDownload(url: URL, contentDisposition: string | null): string {
  const safe = (n: string) => (n === '' || n === '.' || n === '..' || n.includes('\0') ? '' : n);
  let path = url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    /* keep it encoded */
  }
  if (path !== '' && !path.endsWith('/')) {
    const name = safe(posix.basename(path));
    if (name) return name;
  }
  const m = contentDisposition ? /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(contentDisposition) : null;
  const given = m ? (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1') : '';
  if (given && !given.endsWith('/')) return safe(posix.basename(given));
  return '';
}

/** A reply's text as an error may show it: one line, printable, short (a server's page is untrusted). */
function shortBody(text: string): string {
  const one = text.trim().replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').replace(/\s+/g, ' ');
  return one.length > 200 ? `${one.slice(0, 200)}…` : one;
}

const headerOf = (res: IncomingMessage, name: string): string | null => {
  const v = res.headers[name];
  return v === undefined ? null : Array.isArray(v) ? (v[0] ?? null) : v;
};

/** Up to `max` bytes of a reply's body, as text (the rest is dropped). */
async function readSome(res: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    got += chunk.length;
    if (got >= max) break;
  }
  res.destroy();
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/**
 * GET with redirects followed (10 at most, as Go's http.Get). Node's own
 * http client, not fetch: fetch refuses some ports outright ("bad port"),
 * where Docker would connect.
 */
async function getFollowingRedirects(start: URL, signal?: AbortSignal): Promise<IncomingMessage> {
  let url = start;
  for (let redirects = 0; ; redirects++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol scheme "${url.protocol.replace(/:$/, '')}"`);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsGet : httpGet)(url, { signal }, resolve);
      req.on('error', reject);
    });
    const location = headerOf(res, 'location');
    if (![301, 302, 303, 307, 308].includes(res.statusCode ?? 0) || !location) return res;
    res.resume();
    if (redirects >= 10) throw new Error('stopped after 10 redirects');
    url = new URL(location, url);
  }
}

/**
 * ADD http(s)://...: fetched for real (redirects followed), saved as a
 * file with mode 0600 and the reply's Last-Modified as its mtime, as
 * Docker does; the cache text carries the content's checksum, so the step
 * is cached only while the server sends the same bytes.
 */
async function download(url: string, inst: CopyInstruction, env: CopyEnv, dir: string): Promise<{ item: Item; hash: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fail(`ADD failed: parse "${url}": invalid URL`);
  }
  await fs.mkdir(dir, { mode: 0o700 });
  const started = Date.now();
  let res: IncomingMessage;
  try {
    res = await getFollowingRedirects(parsed, env.signal);
  } catch (e) {
    env.signal?.throwIfAborted();
    const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
    const why =
      err.code === 'ECONNREFUSED'
        ? `dial tcp ${err.address?.includes(':') ? `[${err.address}]` : err.address}:${err.port}: connect: connection refused`
        : err.code === 'ENOTFOUND'
          ? `dial tcp: lookup ${parsed.hostname}: no such host`
          : err.message;
    throw fail(`ADD failed: Get "${url}": ${why}`);
  }
  const status = res.statusCode ?? 0;
  if (status >= 400) {
    const body = await readSome(res, 4096);
    throw fail(`ADD failed: failed to GET ${url} with status ${status} ${res.statusMessage ?? ''}: ${shortBody(body)}`);
  }
  const filename = filenameForDownload(parsed, headerOf(res, 'content-disposition'));
  if (filename === '' && inst.dest.endsWith('/')) {
    res.destroy();
    throw fail(`ADD failed: cannot determine filename for source ${url}`);
  }
  const saved = filename || '__unnamed__';
  const path = join(dir, saved);
  try {
    await pipeline(res, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (e) {
    env.signal?.throwIfAborted();
    throw fail(`ADD failed: reading ${url}: ${(e as Error).message}`);
  }
  await fs.chmod(path, 0o600);
  const lastModified = headerOf(res, 'last-modified');
  const mtime = lastModified && !Number.isNaN(Date.parse(lastModified)) ? new Date(Date.parse(lastModified)) : new Date(0);
  await fs.utimes(path, mtime, mtime);
  const st = await fs.stat(path);
  report(env.trace, {
    title: `Download ${url}`,
    why: `ADD fetches a URL at build time and saves it as a file (mode 0600${lastModified ? ', mtime from Last-Modified' : ''}); it is never unpacked. Its checksum goes into the cache key, so the step re-runs only when the server sends different bytes.`,
    command: `${shellJoin(['curl', '-fsSL', '-o', saved, url])}  # ${st.size} bytes in ${Date.now() - started} ms`,
  });
  const ctx = await indexTree(dir);
  // Docker's cache text for a URL is the bare checksum: no "file:" in front.
  const hash = await entryChecksum(ctx, saved);
  const entry = ctx.entries.get(saved)!;
  return { item: { kind: 'file', name: saved, entry, archiveCandidate: false, label: url }, hash };
}

// ---- --chown ---------------------------------------------------------------------------

/** One line of /etc/passwd or /etc/group: name and numeric ID (fields 0 and 2). */
function findId(text: string, name: string): number | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f[0] === name && f.length >= 3 && /^\d+$/.test(f[2]!)) return Number(f[2]);
  }
  return undefined;
}

/**
 * Docker's parseChownFlag: "user[:group]", each a name or a number; names
 * are looked up in the image's own /etc/passwd and /etc/group (read inside
 * its root, never the host's). A user alone means the group of the same
 * name (Docker 20.10: "--chown=app" needs a group "app" too).
 */
export function chownIds(chown: string, files: { passwd?: string; group?: string }): { uid: number; gid: number } {
  const prefix = 'unable to convert uid/gid chown string to host mapping: ';
  const parts = chown.split(':');
  if (parts.length > 2) throw fail(`${prefix}invalid chown string format: ${chown}`);
  const [user, group] = parts.length === 1 ? [parts[0]!, parts[0]!] : [parts[0]!, parts[1]!];
  const lookup = (what: 'user' | 'group', name: string, text: string | undefined, file: string): number => {
    if (/^-?\d+$/.test(name)) return Number(name);
    const id = text === undefined ? undefined : findId(text, name);
    if (text === undefined) throw fail(`${prefix}can't find ${what === 'user' ? 'uid' : 'gid'} for ${what} ${name}: open ${file}: no such file or directory`);
    if (id === undefined) throw fail(`${prefix}can't find ${what === 'user' ? 'uid' : 'gid'} for ${what} ${name}: no such ${what}: ${name}`);
    return id;
  };
  return { uid: lookup('user', user, files.passwd, '/etc/passwd'), gid: lookup('group', group, files.group, '/etc/group') };
}

/** A small file of the container (symlinks followed inside its root), or undefined when there is none. */
async function readContainerFile(env: CopyEnv, id: string, path: string): Promise<string | undefined> {
  const call = env.call ?? {};
  let p = path;
  for (let hops = 0; hops < 16; hops++) {
    let st;
    try {
      st = await env.containers.statPath(id, p, call);
    } catch (e) {
      if (e instanceof GlassError && e.code === 'NO_SUCH_PATH') return undefined;
      throw e;
    }
    if ((st.mode & 2 ** 27) !== 0) {
      p = st.linkTarget;
      continue;
    }
    if ((st.mode & 2 ** 31) !== 0) return undefined;
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    });
    await env.containers.archive(id, p, sink, call);
    return [...readTarFiles(Buffer.concat(chunks)).values()][0]?.toString('utf8');
  }
  return undefined;
}

// ---- apply: the files into the build container ---------------------------------------------

/** What a container path is (its last symlink followed inside the root). */
async function statFollow(env: CopyEnv, id: string, path: string): Promise<{ exists: boolean; isDir: boolean }> {
  const call = env.call ?? {};
  let p = path;
  for (let hops = 0; hops < 16; hops++) {
    try {
      const st = await env.containers.statPath(id, p, call);
      if ((st.mode & 2 ** 27) === 0) return { exists: true, isDir: (st.mode & 2 ** 31) !== 0 };
      p = st.linkTarget;
    } catch (e) {
      if (e instanceof GlassError && e.code === 'NO_SUCH_PATH') return { exists: false, isDir: false };
      throw e;
    }
  }
  return { exists: false, isDir: false };
}

/** Docker's normalizeDest: a relative DEST is under WORKDIR; the trailing "/" is kept. */
export function normalizeDest(workdir: string, dest: string): string {
  const slash = dest.endsWith('/');
  const abs = posix.normalize(dest.startsWith('/') ? dest : posix.join('/', workdir || '/', dest));
  const clean = abs.length > 1 ? abs.replace(/\/+$/, '') : abs;
  return slash && clean !== '/' ? `${clean}/` : clean;
}

async function applyCopy(inst: CopyInstruction, env: CopyEnv, items: Item[], containerId: string, scratch: string): Promise<void> {
  env.signal?.throwIfAborted();
  const destAbs = normalizeDest(env.workdir, inst.dest);
  const destClean = destAbs.length > 1 ? destAbs.replace(/\/$/, '') : destAbs;
  const now = Math.floor(Date.now() / 1000);

  // Who owns what is written: root (the context's files come as 0:0), the --chown user, or (--from) the image's owners.
  let identity: { uid: number; gid: number } | undefined = inst.from !== undefined ? undefined : { uid: 0, gid: 0 };
  if (inst.chown) {
    const needsFiles = inst.chown.split(':').some((p) => !/^-?\d+$/.test(p));
    const passwd = needsFiles ? await readContainerFile(env, containerId, '/etc/passwd') : undefined;
    const group = needsFiles ? await readContainerFile(env, containerId, '/etc/group') : undefined;
    identity = chownIds(inst.chown, { passwd, group });
    report(env.trace, {
      title: `Look up --chown=${inst.chown} in the image`,
      why: "COPY --chown takes user and group names from the image's own /etc/passwd and /etc/group (read inside its root filesystem, not the host's): the same name can have another number on the host.",
      command: `${shellJoin(['grep', '-E', `^(${inst.chown.split(':').join('|')}):`, '/etc/passwd', '/etc/group'])}  # uid ${identity.uid}, gid ${identity.gid}`,
    });
  }

  // ADD: which local files are archives to unpack (Docker decides by reading them, not by their names).
  const archives = new Map<Item, string>();
  for (const [i, item] of items.entries()) {
    if (item.kind === 'file' && item.archiveCandidate && (await looksLikeTar(env.trace, item.entry.hostPath, item.label))) {
      archives.set(item, await unpackLocalArchive(env, item, join(scratch, `archive-${i}`)));
    }
  }

  // Where everything lands: into DEST (a directory), or one file as DEST itself.
  const destState = await statFollow(env, containerId, destClean);
  const intoDest = items.length > 1 || destAbs.endsWith('/') || destState.isDir || items[0]!.kind === 'dir' || archives.has(items[0]!);
  const dirNeeded = intoDest ? destClean : posix.dirname(destClean);
  // Docker's words when a file stands where a directory must be (its messages name host paths; these name the image's).
  if (intoDest && destState.exists && !destState.isDir) {
    const how = items[0]!.kind === 'dir' ? 'failed to copy directory: ' : identity ? 'failed to create new directory: ' : '';
    throw fail(`failed to copy files: ${how}mkdir ${destClean}: not a directory`);
  }

  // The deepest existing directory above it: the tar is unpacked there, the missing ones made by its first entries.
  const missing: string[] = [];
  let base = dirNeeded;
  for (;;) {
    const st = base === destClean ? destState : await statFollow(env, containerId, base);
    if (st.exists && st.isDir) break;
    if (st.exists) {
      // A file above DEST: Docker's lookup of DEST fails at the name under that file.
      throw fail(`failed to copy files: lstat ${missing[0] ?? destClean}: not a directory`);
    }
    missing.unshift(base);
    base = posix.dirname(base);
  }
  const rel = (p: string) => (base === '/' ? p.slice(1) : p.slice(base.length + 1));
  const prefix = rel(dirNeeded);
  const under = (name: string) => (prefix ? `${prefix}/${name}` : name);

  const root = { uid: 0, gid: 0 };
  const first = items[0]!;
  const entries: TarEntry[] = [];
  // Docker: a file's missing parents go to the --chown user; a directory's to root, the directory itself to the user; an archive's to root.
  for (const dir of missing) {
    const owner = archives.has(first) ? root : first.kind === 'file' ? (identity ?? root) : dir === dirNeeded ? (identity ?? root) : root;
    entries.push({ name: rel(dir), kind: 'dir', mode: 0o755, ...owner, mtime: now });
  }
  const own = (e: { uid: number; gid: number }) => identity ?? { uid: e.uid, gid: e.gid };
  for (const item of items) {
    const unpacked = archives.get(item);
    if (unpacked !== undefined) {
      entries.push(...hostTreeEntries(await walkHostTree(unpacked), under));
    } else if (item.kind === 'file') {
      const name = intoDest ? under(item.name) : under(posix.basename(destClean));
      const e = item.entry;
      entries.push({ name, kind: 'file', mode: e.mode, ...own(e), mtime: Math.floor(e.mtimeMs / 1000), size: e.size, hostPath: e.hostPath, ino: e.ino, dev: e.dev });
    } else {
      const strip = item.path === '.' ? 0 : item.path.length + 1;
      for (const e of entriesUnder(item.ctx, item.path)) {
        const name = under(e.path.slice(strip));
        const common = { name, mode: e.mode, ...own(e), mtime: Math.floor(e.mtimeMs / 1000) };
        if (e.kind === 'file') entries.push({ ...common, kind: 'file', size: e.size, hostPath: e.hostPath, ino: e.ino, dev: e.dev });
        else if (e.kind === 'dir') entries.push({ ...common, kind: 'dir' });
        else if (e.kind === 'symlink') entries.push({ ...common, kind: 'symlink', link: e.link ?? '' });
        // Sockets and device nodes in a context are not copied.
      }
    }
  }

  // Two sources may give the same name (ADD a.tar b.tar /x/): the last one wins, as when Docker copies them one by one.
  // Only the last entry is sent: busybox tar makes hard links at the end, so an earlier one would clash with a later file.
  const last = new Map<string, number>();
  entries.forEach((e, i) => {
    if (e.kind !== 'dir') last.set(e.name, i);
  });
  const unique = entries.filter((e, i) => e.kind === 'dir' ? !last.has(e.name) : last.get(e.name) === i);
  entries.length = 0;
  entries.push(...unique);
  // Writing a directory's files changes its mtime: Docker sets directories' times last, so each copied
  // directory is sent once more at the end (tar then only applies its metadata again).
  const made = new Set(missing.map(rel));
  entries.push(...unique.filter((e) => e.kind === 'dir' && !made.has(e.name)).reverse());

  env.signal?.throwIfAborted();
  const count = entries.length;
  report(env.trace, {
    title: `${inst.kind} ${count} ${count === 1 ? 'entry' : 'entries'} to ${destAbs} in the build container`,
    why: `The files travel as one tar stream whose headers carry the owner (${identity ? `${identity.uid}:${identity.gid}` : "the --from image's owners"}), mode and mtime Docker gives them; it is unpacked inside the container's root filesystem, where a symlink in the image cannot lead out to the host. Committing the container then makes these changes the step's layer.`,
    command: `tar --numeric-owner${identity ? ` --owner=${identity.uid} --group=${identity.gid}` : ''} -cf - ... | glass cp - ${containerId.slice(0, 12)}:${base}`,
  });
  try {
    await env.containers.extractArchive(containerId, base, tarEntries(entries), { copyUIDGID: true, ...env.call });
  } catch (e) {
    env.signal?.throwIfAborted();
    throw fail(`failed to copy files: ${(e as Error).message}`);
  }
}

/** Host-tree entries (an unpacked archive) as tar entries under `under`, keeping owners; a second name of a file is a hard link. */
function hostTreeEntries(tree: HostTreeEntry[], under: (name: string) => string): TarEntry[] {
  const seen = new Map<string, string>();
  const out: TarEntry[] = [];
  for (const e of tree) {
    if (e.rel === '.' || e.kind === 'socket') continue;
    const name = under(e.rel);
    const common = { name, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime };
    if (e.kind === 'file' && e.inode) {
      const firstName = seen.get(e.inode);
      if (firstName !== undefined) {
        out.push({ ...common, kind: 'hardlink', link: firstName });
        continue;
      }
      seen.set(e.inode, name);
    }
    if (e.kind === 'file') out.push({ ...common, kind: 'file', size: e.size, hostPath: e.hostPath });
    else if (e.kind === 'dir') out.push({ ...common, kind: 'dir' });
    else if (e.kind === 'symlink') out.push({ ...common, kind: 'symlink', link: e.link ?? '' });
    else out.push({ ...common, kind: e.kind, devMajor: e.devMajor, devMinor: e.devMinor });
  }
  return out;
}

/**
 * ADD of a local archive: unpacked first into a scratch directory on the
 * host with the kernel's checked unpack (a member with an absolute name,
 * "..", or a link that leads out refuses the whole archive), then copied in
 * like a directory, keeping the owners the archive records, as Docker's
 * UntarPath does.
 */
async function unpackLocalArchive(env: CopyEnv, item: Extract<Item, { kind: 'file' }>, dir: string): Promise<string> {
  await fs.mkdir(dir, { mode: 0o755 });
  const fh = await fs.open(item.entry.hostPath, 'r');
  const head = Buffer.alloc(6);
  try {
    await fh.read(head, 0, 6, 0);
  } finally {
    await fh.close();
  }
  const compression = detectCompression(head);
  const opts = {
    label: item.label,
    title: `Unpack the archive ${item.label} for ADD`,
    why: 'ADD unpacks a local tar archive into the destination. It is unpacked into a scratch directory first, every member checked to stay inside it (no absolute names, no "..", no link leading out), and only then copied into the image.',
  };
  try {
    if (compression === 'bzip2' || compression === 'xz') {
      await unpackArchive(env.trace, decompressWithTool(env.trace, compression, createReadStream(item.entry.hostPath), item.label), dir, opts);
    } else {
      await unpackArchive(env.trace, item.entry.hostPath, dir, opts);
    }
  } catch (e) {
    throw fail(`ADD failed: ${(e as Error).message.replace(item.entry.hostPath, item.label)}`);
  }
  return dir;
}
