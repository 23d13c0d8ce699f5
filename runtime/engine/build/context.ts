import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { Transform } from 'node:stream';
import { detectCompression, peekStream, unpackArchive } from '../../kernel/archive.js';
import { decompressWithTool } from '../../kernel/decompress.js';
import { silentTracer, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import { goClean, goPathMatch, IgnoreMatcher, readDockerignore } from './dockerignore.js';
import type { BuildSource } from './types.js';

/**
 * The build context: the files a Dockerfile's COPY and ADD may use.
 *
 * Docker's CLI packs the context directory into a tar stream (leaving out
 * what .dockerignore excludes) and sends it to the daemon, which unpacks it
 * and builds from that copy: `Sending build context to Docker daemon  2.048kB`
 * is that stream's size. glass has no daemon, so the directory is walked
 * ONCE into an index instead (path → type, mode, size, link target, where it
 * is on the host), and the build reads files through the index. The same
 * rules decide what is in it, and the size printed is the size Docker's tar
 * would have had.
 *
 * The context is a boundary. Nothing a Dockerfile names may reach outside it:
 * a source with ".." that climbs out is refused; an absolute source is
 * relative to the context; a symlink is followed *inside* the context (the
 * context is its "/", as Docker's FollowSymlinkInScope does), so a link to
 * /etc/passwd names <context>/etc/passwd, never the host's. The walk itself
 * never follows a symlink. A tar context (`glass build - < ctx.tar`) is
 * unpacked into a scratch directory with the kernel's member checks (no
 * "..", no absolute names, nothing written through a planted symlink) and
 * then indexed the same way.
 */

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

/** One path of the build context, as the walk saw it (lstat: symlinks are not followed). */
export interface ContextEntry {
  /** Relative to the context root, "/"-separated, no "./" ("app/main.py"); the root itself is ".". */
  path: string;
  kind: EntryKind;
  /** Permission bits and setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  /** Owner as the builder sees it: 0:0 for a directory context (Docker's CLI sends the tar as root), as stored for a tar context. */
  uid: number;
  gid: number;
  /** Bytes (files); 0 otherwise. */
  size: number;
  /** A symlink's target, as stored. */
  link?: string;
  mtimeMs: number;
  /** Where it is on the host (inside BuildContext.root). */
  hostPath: string;
  /** Inode and device at walk time: a file read later must still be this one (checksum.ts checks). */
  ino?: number;
  dev?: number;
  /** A directory that was not sent itself (.dockerignore excluded it, an exception reached inside): there because a file in it is, as the daemon's unpacking would make it (0755, root). */
  implied?: true;
}

export interface BuildContext {
  /** The context directory on the host (real path; a scratch dir for a tar or Dockerfile-only context). */
  root: string;
  /** Every entry COPY/ADD may see (after .dockerignore), by path, in walk order (Go's filepath.Walk: depth first, names sorted); includes "." (the root). */
  entries: Map<string, ContextEntry>;
  /** The Dockerfile's text and its name as given ("Dockerfile", "build/Dockerfile.dev"). */
  dockerfile: { name: string; text: string };
  /** The size Docker's CLI would send as a tar (for "Sending build context to Docker daemon  2.048kB"). */
  tarSize: number;
  /** The .dockerignore patterns in force ([] when none). */
  ignorePatterns: string[];
  /** Remove the scratch dir of a tar/Dockerfile-only context (no-op for a dir). Always call (finally). */
  dispose(): Promise<void>;
  /**
   * How Docker hashes these files for COPY's cache key: 'context' (default) as the context tar the CLI sent
   * (permission bits, no owner names); 'image' as files read from an image (COPY --from: Docker's lazy context:
   * mode with its file-type bits, owner names looked up on the host).
   */
  hashStyle?: 'context' | 'image';
}

export interface OpenContextOptions {
  /** BuildOptions.dockerfile: relative to the context, or absolute on the host; default "Dockerfile" (then "dockerfile"). */
  dockerfile?: string;
  /** Where a tar or Dockerfile-only context is unpacked (a fresh dir is made inside and removed by dispose). */
  scratchDir: string;
  trace?: Tracer;
}

const fail = (message: string) => new GlassError('INVALID_ARGUMENT', message, 1);
const DEFAULT_DOCKERFILE = 'Dockerfile';

/** Walk the context ONCE (dir) or unpack it safely (tar), apply .dockerignore, read the Dockerfile. */
export async function openContext(source: BuildSource, opts: OpenContextOptions): Promise<BuildContext> {
  if ('dir' in source) return openDirContext(source.dir, opts);
  const scratch = await fs.mkdtemp(join(opts.scratchDir, 'context-'));
  const dispose = () => fs.rm(scratch, { recursive: true, force: true });
  try {
    if ('dockerfileText' in source) return await openTextContext(source.dockerfileText, scratch, dispose);
    return await openTarContext(source.tar, scratch, dispose, opts);
  } catch (e) {
    await dispose();
    throw e;
  }
}

async function openDirContext(dir: string, opts: OpenContextOptions): Promise<BuildContext> {
  let root: string;
  try {
    root = await fs.realpath(dir);
  } catch {
    throw fail(`unable to prepare context: path ${JSON.stringify(dir)} not found`);
  }
  if (!(await fs.stat(root)).isDirectory()) throw fail(`unable to prepare context: context must be a directory: ${root}`);

  // The Dockerfile: -f as given (the CLI makes it absolute from its working directory), else ./Dockerfile, else ./dockerfile.
  let dockerfilePath = opts.dockerfile ? (isAbsolute(opts.dockerfile) ? opts.dockerfile : join(root, opts.dockerfile)) : join(root, DEFAULT_DOCKERFILE);
  if (!opts.dockerfile && !(await exists(dockerfilePath)) && (await exists(join(root, 'dockerfile')))) dockerfilePath = join(root, 'dockerfile');
  let realDockerfile: string;
  try {
    realDockerfile = await fs.realpath(dockerfilePath);
  } catch {
    throw fail(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dockerfilePath}: no such file or directory`);
  }
  const rel = relative(root, realDockerfile);
  const inside = rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
  const dockerfileName = inside ? rel.split(sep).join('/') : opts.dockerfile ?? DEFAULT_DOCKERFILE;
  const text = await readDockerfile(realDockerfile, dockerfileName);

  // .dockerignore, and Docker's CLI rule: the Dockerfile and .dockerignore are always sent (the daemon needs them)...
  const ignoreText = await fs.readFile(join(root, '.dockerignore'), 'utf8').catch(() => undefined);
  const patterns = ignoreText === undefined ? [] : readDockerignore(ignoreText);
  const original = new IgnoreMatcher(patterns);
  const sent = [...patterns];
  if (matchesFile(original, '.dockerignore')) sent.push('!.dockerignore');
  if (inside && matchesFile(original, dockerfileName)) sent.push(`!${dockerfileName}`);
  const walked = await walk(root, new IgnoreMatcher(sent), { ownersAsRoot: true });
  // ...but the daemon then removes them from the context when .dockerignore names them, so COPY cannot see them.
  for (const name of ['.dockerignore', ...(inside ? [dockerfileName] : [])]) {
    if (matchesFile(original, name)) walked.entries.delete(name);
  }
  return {
    root,
    entries: walked.entries,
    dockerfile: { name: dockerfileName, text },
    tarSize: inside ? walked.tarSize : sizeWithOutsideDockerfile(walked.tarSize, Buffer.byteLength(text), ignoreText),
    ignorePatterns: patterns,
    dispose: async () => {},
  };
}

/**
 * The size Docker's CLI sends when the Dockerfile is outside the context: it
 * rewrites the stream (ReplaceFileTarWrapper) to add the Dockerfile under a
 * random name (".dockerfile." + 20 hex digits) and a .dockerignore naming it,
 * so the daemon drops it again. That rewriting closes the stream before the
 * tar is finished: the last entry's padding and the 1024-byte end are never
 * sent, and "Sending build context" counts what was.
 */
function sizeWithOutsideDockerfile(tarSize: number, dockerfileBytes: number, ignoreText: string | undefined): number {
  const pad = (n: number) => Math.ceil(n / 512) * 512;
  const randomName = 32; // ".dockerfile." + 20 hex digits
  let size = tarSize - 1024 + 512 + dockerfileBytes; // the Dockerfile comes last when .dockerignore was already there
  if (ignoreText === undefined) {
    // A new .dockerignore: ".dockerignore\n<name>\n", written after the Dockerfile.
    size = size - dockerfileBytes + pad(dockerfileBytes) + 512 + '.dockerignore'.length + 1 + randomName + 1;
  } else {
    // The context's .dockerignore, in place, with "\n<name>\n" added.
    const before = Buffer.byteLength(ignoreText);
    size += pad(before + 1 + randomName + 1) - pad(before);
  }
  return size;
}

/** `glass build - < Dockerfile`: an empty context holding only that Dockerfile, as Docker's CLI makes it. */
async function openTextContext(text: string, scratch: string, dispose: () => Promise<void>): Promise<BuildContext> {
  if (text.length === 0) throw fail(`the Dockerfile (${DEFAULT_DOCKERFILE}) cannot be empty`);
  await fs.writeFile(join(scratch, DEFAULT_DOCKERFILE), text, { mode: 0o644 });
  const walked = await walk(scratch, new IgnoreMatcher([]), { ownersAsRoot: true });
  return { root: scratch, entries: walked.entries, dockerfile: { name: DEFAULT_DOCKERFILE, text }, tarSize: walked.tarSize, ignorePatterns: [], dispose };
}

/**
 * `glass build - < context.tar[.gz]`: the tar is the context, unpacked with the
 * kernel's checked unpack. As with Docker, its .dockerignore is not applied to
 * the rest (the CLI sends a tar as it is); only the Dockerfile and
 * .dockerignore themselves leave the context when it names them.
 */
async function openTarContext(
  stream: NodeJS.ReadableStream,
  scratch: string,
  dispose: () => Promise<void>,
  opts: OpenContextOptions,
): Promise<BuildContext> {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  (stream as NodeJS.ReadableStream & { on(e: 'error', f: (e: Error) => void): void }).on('error', (e: Error) => counter.destroy(e));
  stream.pipe(counter);
  // Docker takes a context compressed with gzip, bzip2 or xz; the unpacking reads gzip itself, the others go through the host's tool.
  const trace = opts.trace ?? silentTracer;
  const peeked = await peekStream(counter, 6);
  const compression = detectCompression(peeked.head);
  const input = compression && compression !== 'gzip' ? decompressWithTool(trace, compression, peeked.stream, 'the build context') : peeked.stream;
  await unpackArchive(trace, input, scratch, {
    label: 'the build context',
    title: 'Unpack the build context (a tar stream) into a scratch directory',
    why: 'A context given as a tar stream is unpacked once, every member checked to stay inside, so COPY reads files from a directory like any other context.',
  });
  let name = goClean(opts.dockerfile ?? DEFAULT_DOCKERFILE).replace(/^\/+/, '');
  const walked = await walk(scratch, new IgnoreMatcher([]), { ownersAsRoot: false });
  // Read the Dockerfile through the index: a symlink named Dockerfile is followed inside the context only.
  const lookup = (n: string) => (n === '..' || n.startsWith('../') ? undefined : resolveInScope(walked.entries, n, scratch));
  let found = lookup(name);
  if (!found && !opts.dockerfile && lookup('dockerfile')) found = lookup((name = 'dockerfile'));
  if (!found || found.entry.kind !== 'file') throw fail(`Cannot locate specified Dockerfile: ${opts.dockerfile ?? DEFAULT_DOCKERFILE}`);
  const text = await readDockerfile(found.entry.hostPath, name);
  const ignore = walked.entries.get('.dockerignore');
  const patterns = ignore?.kind === 'file' ? readDockerignore(await fs.readFile(ignore.hostPath, 'utf8')) : [];
  const matcher = new IgnoreMatcher(patterns);
  for (const n of ['.dockerignore', name]) if (matchesFile(matcher, n)) walked.entries.delete(n);
  return { root: scratch, entries: walked.entries, dockerfile: { name, text }, tarSize: bytes, ignorePatterns: patterns, dispose };
}

/**
 * An index of any directory tree (no .dockerignore, owners as they are), so
 * resolveSources and the checksums work on it: COPY --from's files, an ADD
 * download. The caller owns the directory.
 */
export async function indexTree(root: string, opts: { hashStyle?: 'context' | 'image' } = {}): Promise<BuildContext> {
  const walked = await walk(root, new IgnoreMatcher([]), { ownersAsRoot: false });
  return {
    root,
    entries: walked.entries,
    dockerfile: { name: '', text: '' },
    tarSize: walked.tarSize,
    ignorePatterns: [],
    dispose: async () => {},
    ...(opts.hashStyle ? { hashStyle: opts.hashStyle } : {}),
  };
}

async function readDockerfile(path: string, name: string): Promise<string> {
  const st = await fs.stat(path).catch(() => undefined);
  if (!st?.isFile()) throw fail(`unable to prepare context: the Dockerfile (${name}) is not a regular file`);
  const text = await fs.readFile(path, 'utf8');
  if (text.length === 0) throw fail(`the Dockerfile (${name}) cannot be empty`);
  return text;
}

/** Docker's fileutils.Matches for one file: "." is never excluded. */
function matchesFile(m: IgnoreMatcher, file: string): boolean {
  const clean = goClean(file);
  return clean !== '.' && m.matches(clean);
}

const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

// ---- the walk ------------------------------------------------------------------------

/**
 * Docker's TarWithOptions walk: depth first, names in byte order, symlinks
 * not followed, the root itself not sent. An excluded directory is skipped
 * whole, unless an exception pattern starts with it ("!dir/keep"): then it is
 * walked for that exception, and directories that were not sent but hold a
 * sent file appear as the unpacking would make them (0755, root).
 */
async function walk(root: string, matcher: IgnoreMatcher, opts: { ownersAsRoot: boolean }): Promise<{ entries: Map<string, ContextEntry>; tarSize: number }> {
  const entries = new Map<string, ContextEntry>();
  const rootStat = await fs.lstat(root);
  entries.set('.', entryOf('.', root, rootStat, undefined, opts.ownersAsRoot));
  let tarSize = 1024; // the two zero blocks ending a tar
  const seenInodes = new Set<string>();

  const visit = async (dirRel: string, dirHost: string): Promise<void> => {
    const names = (await fs.readdir(dirHost)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    // One directory's entries are looked at together (the kernel answers lstat in parallel), then taken in order.
    const stats = await Promise.all(names.map((name) => fs.lstat(join(dirHost, name)).catch(() => undefined)));
    for (const [i, name] of names.entries()) {
      const rel = dirRel === '.' ? name : `${dirRel}/${name}`;
      const host = join(dirHost, name);
      const st = stats[i];
      if (!st) continue; // gone since readdir
      if (st.isSocket()) continue; // tar leaves sockets out
      if (matcher.matches(rel)) {
        if (st.isDirectory() && matcher.hasExceptions && matcher.mayIncludeUnder(rel)) await visit(rel, host);
        continue;
      }
      const link = st.isSymbolicLink() ? await fs.readlink(host) : undefined;
      const entry = entryOf(rel, host, st, link, opts.ownersAsRoot);
      addParents(entries, rel, root);
      entries.set(rel, entry);
      // A second name of a hard-linked file is a link entry in the tar: its content is not sent twice.
      const inode = `${st.dev}:${st.ino}`;
      const hardlinkAgain = entry.kind === 'file' && st.nlink > 1 && seenInodes.has(inode);
      if (entry.kind === 'file' && st.nlink > 1) seenInodes.add(inode);
      tarSize += tarEntrySize(rel, hardlinkAgain ? 0 : entry.size, entry.kind, link);
      if (st.isDirectory()) await visit(rel, host);
    }
  };
  await visit('.', root);
  return { entries, tarSize };
}

function entryOf(rel: string, host: string, st: import('node:fs').Stats, link: string | undefined, ownersAsRoot: boolean): ContextEntry {
  const kind: EntryKind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return {
    path: rel,
    kind,
    mode: st.mode & 0o7777,
    uid: ownersAsRoot ? 0 : st.uid,
    gid: ownersAsRoot ? 0 : st.gid,
    size: kind === 'file' ? st.size : 0,
    ...(link !== undefined ? { link } : {}),
    mtimeMs: st.mtimeMs,
    hostPath: host,
    ino: st.ino,
    dev: st.dev,
  };
}

/** Parent directories of a sent entry that were not sent themselves (excluded, walked for an exception). */
function addParents(entries: Map<string, ContextEntry>, rel: string, root: string): void {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join('/');
    if (entries.has(dir)) continue;
    entries.set(dir, { path: dir, kind: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeMs: 0, hostPath: join(root, ...parts.slice(0, i)), implied: true });
  }
}

/**
 * Bytes one entry takes in the tar Docker's CLI writes (Go's archive/tar): a
 * 512-byte header and the content padded to 512. A name that does not fit the
 * header's 100 bytes is split between its "prefix" and "name" fields at a "/"
 * when it can be (USTAR); a name that cannot be split, or is not ASCII, and a
 * link target over 100 bytes or not ASCII go in a PAX extended header before
 * it ("NN path=...\n" records, padded to 512, with a header of its own).
 * Directories' names end in "/".
 */
function tarEntrySize(rel: string, size: number, kind: EntryKind, link?: string): number {
  const name = kind === 'dir' ? `${rel}/` : rel;
  let records = 0;
  if (!fitsUstarName(name)) records += paxRecordLength('path', Buffer.byteLength(name));
  if (link !== undefined && (Buffer.byteLength(link) > 100 || !ASCII.test(link))) records += paxRecordLength('linkpath', Buffer.byteLength(link));
  const pax = records > 0 ? 512 + Math.ceil(records / 512) * 512 : 0;
  return pax + 512 + Math.ceil(size / 512) * 512;
}

const ASCII = /^[\x00-\x7f]*$/;

/** Go's rule: ASCII and at most 100 bytes, or splittable at a "/" into a prefix of at most 155 and a name of at most 100 bytes. */
function fitsUstarName(s: string): boolean {
  if (!ASCII.test(s)) return false;
  if (s.length <= 100) return true;
  let length = s.length;
  if (length > 156) length = 156;
  else if (s[length - 1] === '/') length--;
  const i = s.slice(0, length).lastIndexOf('/');
  const nlen = s.length - i - 1;
  return i > 0 && nlen <= 100 && nlen !== 0 && i <= 155;
}

/** A PAX record "LEN key=value\n" counts its own length's digits in LEN. */
function paxRecordLength(key: string, valueBytes: number): number {
  const rest = 1 + key.length + 1 + valueBytes + 1; // " key=value\n"
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return len;
}

// ---- COPY / ADD sources -----------------------------------------------------------------

/** One COPY/ADD source as Docker's copier resolves it. */
export interface ResolvedSource {
  /** The source as written (after variable expansion). */
  source: string;
  /** The name it was asked for or matched, relative to the context, before symlinks are followed ("link.txt"): a file copied into a directory takes this name. */
  matched: string;
  /** The path relative to the context as resolved (symlinks followed IN SCOPE, like Docker). */
  path: string;
  /** The entry copied: a file, or a dir (copy its contents). Never a symlink. */
  entry: ContextEntry;
}

/** Docker follows at most 255 symlinks while resolving one path. */
const MAX_SYMLINKS = 255;

/**
 * Docker's copier: leading "/" and "./" dropped; wildcards (Go filepath.Match per path element) matched against every
 * context path; a symlink source followed inside the context (the context is its "/"); ".." leaving the context →
 * `<INST> failed: forbidden path outside the build context: ../x ()`; missing → `<INST> failed: file not found in build
 * context or excluded by .dockerignore: stat x: file does not exist`; nothing matched → `<INST> failed: no source files were specified`.
 * Throws GlassError (exit 1). Only for context sources (not URLs, not --from).
 */
export function resolveSources(ctx: BuildContext, sources: string[], instruction: 'COPY' | 'ADD'): ResolvedSource[] {
  const out: ResolvedSource[] = [];
  for (const source of sources) {
    let orig = source;
    if (orig.length > 1 && orig.startsWith('/')) orig = orig.slice(1);
    if (orig.startsWith('./')) orig = orig.slice(2);
    if (containsWildcards(orig)) {
      for (const rel of ctx.entries.keys()) {
        if (rel === '.') continue;
        let match = false;
        try {
          match = goPathMatch(orig, rel);
        } catch {
          match = false; // Docker ignores a malformed pattern's error: it matches nothing
        }
        if (match) out.push(resolveOne(ctx, source, rel, instruction));
      }
      continue;
    }
    out.push(resolveOne(ctx, source, orig, instruction));
  }
  if (out.length === 0) throw fail(`${instruction} failed: no source files were specified`);
  return out;
}

function resolveOne(ctx: BuildContext, source: string, orig: string, instruction: 'COPY' | 'ADD'): ResolvedSource {
  const clean = goClean(orig === '' ? '.' : orig);
  if (clean === '..' || clean.startsWith('../') || clean.startsWith('/')) {
    throw fail(`${instruction} failed: forbidden path outside the build context: ${orig} ()`);
  }
  const found = resolveInScope(ctx.entries, clean, ctx.root);
  if (!found) throw fail(`${instruction} failed: file not found in build context or excluded by .dockerignore: stat ${orig}: file does not exist`);
  return { source, matched: clean, path: found.path, entry: found.entry };
}

/**
 * Resolve a clean relative path through the index's symlinks, the context
 * being "/": an absolute target starts again at the context root, ".." stops
 * at it. Every step is a lookup in the index, so nothing outside the context
 * (or excluded from it) can be reached. undefined when a part is missing.
 */
function resolveInScope(entries: Map<string, ContextEntry>, clean: string, root: string): { path: string; entry: ContextEntry } | undefined {
  const rootEntry = (): ContextEntry =>
    entries.get('.') ?? { path: '.', kind: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeMs: 0, hostPath: root };
  let todo = clean === '.' ? [] : clean.split('/');
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop(); // at the root, ".." stays at the root
      continue;
    }
    const path = [...done, part].join('/');
    const entry = entries.get(path);
    if (!entry) return undefined;
    if (entry.kind === 'symlink') {
      if (++links > MAX_SYMLINKS) return undefined;
      const target = entry.link ?? '';
      if (target.startsWith('/')) done.length = 0;
      todo = [...target.split('/'), ...todo];
      continue;
    }
    if (todo.length > 0 && entry.kind !== 'dir') return undefined; // a file in the middle of a path
    done.push(part);
  }
  const path = done.length === 0 ? '.' : done.join('/');
  const entry = path === '.' ? rootEntry() : entries.get(path);
  return entry ? { path, entry } : undefined;
}

/** A context path with its symlinks followed inside the context (the context is its "/"); undefined when it does not resolve. */
export function resolveInContext(ctx: BuildContext, path: string): { path: string; entry: ContextEntry } | undefined {
  const clean = goClean(path);
  if (clean === '..' || clean.startsWith('../') || clean.startsWith('/')) return undefined;
  return resolveInScope(ctx.entries, clean, ctx.root);
}

/** A dir's descendants (not the dir itself), in walk order, as they are in the index. */
export function entriesUnder(ctx: BuildContext, dir: string): ContextEntry[] {
  const out: ContextEntry[] = [];
  const prefix = dir === '.' || dir === '' ? '' : `${dir}/`;
  for (const [path, entry] of ctx.entries) {
    if (path === '.') continue;
    if (prefix === '' || path.startsWith(prefix)) out.push(entry);
  }
  return out;
}

/** Go's filepath.Match on "/"-separated names ( * ? [a-z] [^a] \\x ); throws on a bad pattern. */
export { goPathMatch };

/** Docker's containsWildcards: * ? [ not escaped by "\\". */
export function containsWildcards(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

/** Open a context file for reading, refusing anything that is not the entry the walk saw (a swapped-in symlink, another file). */
export async function openEntry(entry: ContextEntry): Promise<FileHandle> {
  const fh = await fs.open(entry.hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (!st.isFile() || (entry.ino !== undefined && (st.ino !== entry.ino || st.dev !== entry.dev))) {
      throw fail(`the build context changed while building: ${entry.path} is no longer the file it was; build again`);
    }
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}
