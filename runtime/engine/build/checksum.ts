import { createHash } from 'node:crypto';
import { hostAccountName } from '../../kernel/host.js';
import type { BuildContext, ContextEntry, ResolvedSource } from './context.js';
import { entriesUnder, openEntry, resolveInContext } from './context.js';

/**
 * The checksums behind COPY and ADD's cache keys. Docker's classic builder
 * decides whether `COPY app/ /app` can come from the cache by comparing a
 * hash of what would be copied: `COPY dir:3f2a… in /app`. Each file's hash
 * covers its name, permissions, owner, size, type and content, and not its
 * modification time (Docker's "tarsum", version 1): touching a file keeps the
 * cache; changing one byte, a mode bit or a name busts it.
 *
 *   file:<sha256>    one file: its record and content
 *   dir:<sha256>     a directory: the sorted hashes of everything in it (itself included), joined by ","
 *   multi:<sha256>   several sources (or a wildcard matching several): their hashes joined by ","
 *
 * The same digits as Docker 20.10's, checked against its daemon: the record
 * is tarsum's ("name" + path, "mode" + decimal permission bits, "uid", "gid",
 * "size", "typeflag", "linkname", "uname" and "gname" empty, "devmajor",
 * "devminor"), then the content. As in Docker, a symlink is hashed as what it
 * points to inside the context, under the target's path (its own name does
 * not count); a dangling one, and a directory that was not sent itself, count
 * as their bare path. Files read from an image (COPY --from) are hashed as
 * Docker's "lazy" image context does: the mode keeps its file-type bits and
 * the owner names are the host's (BuildContext.hashStyle 'image').
 */

const typeflag: Record<ContextEntry['kind'], string> = { file: '0', symlink: '2', other: '3', dir: '5' };

/** Entry hashes of a context, computed once (a multi-stage build may copy the same files twice). */
const memo = new WeakMap<BuildContext, Map<string, Promise<string>>>();

/** sha256 hex of one entry: a tar-header-like record (name, mode, uid, gid, size, type, link; no mtime) + content. */
export function entryChecksum(ctx: BuildContext, path: string): Promise<string> {
  const entry = ctx.entries.get(path);
  if (!entry) return Promise.reject(new Error(`${path} is not in the build context`));
  return hashEntry(ctx, entry, path);
}

function hashEntry(ctx: BuildContext, entry: ContextEntry, name: string): Promise<string> {
  let cache = memo.get(ctx);
  if (!cache) memo.set(ctx, (cache = new Map()));
  const key = `${name}\0${entry.path}`;
  let p = cache.get(key);
  if (!p) {
    p = computeEntry(entry, name, ctx.hashStyle ?? 'context');
    cache.set(key, p);
    p.catch(() => cache!.delete(key));
  }
  return p;
}

/** The file-type bits Go's tar headers carry in Mode for files read from an image (S_IFREG, S_IFDIR, S_IFLNK). */
const typeBits: Record<ContextEntry['kind'], number> = { file: 0o100000, dir: 0o40000, symlink: 0o120000, other: 0 };

async function computeEntry(entry: ContextEntry, name: string, style: 'context' | 'image'): Promise<string> {
  const hash = createHash('sha256');
  const image = style === 'image';
  // tarsum v1's header fields, each written as name + value.
  const fields: [string, string][] = [
    ['name', entry.kind === 'dir' && name !== '.' ? `${name}/` : name],
    ['mode', String((entry.mode & 0o7777) | (image ? typeBits[entry.kind] : 0))],
    ['uid', String(entry.uid)],
    ['gid', String(entry.gid)],
    ['size', String(entry.kind === 'file' ? entry.size : 0)],
    ['typeflag', typeflag[entry.kind]],
    ['linkname', entry.link ?? ''],
    ['uname', image ? hostAccountName('user', entry.uid) : ''],
    ['gname', image ? hostAccountName('group', entry.gid) : ''],
    ['devmajor', '0'],
    ['devminor', '0'],
  ];
  for (const [k, v] of fields) hash.update(k + v);
  if (entry.kind === 'file' && entry.size > 0) {
    const fh = await openEntry(entry);
    try {
      for await (const chunk of fh.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    } finally {
      await fh.close();
    }
  }
  return hash.digest('hex');
}

/**
 * Docker's copy hash of ONE resolved source: "file:<hex>" or "dir:<hex>". A
 * directory's hash is that of everything in it, the directory itself included
 * unless it is the context root.
 */
export async function sourceChecksum(ctx: BuildContext, src: ResolvedSource): Promise<string> {
  if (src.entry.kind !== 'dir') return `file:${await hashEntry(ctx, src.entry, src.path)}`;
  // Each member counts as the file it leads to; what Docker's context has no sum for (a dangling symlink, a
  // directory that was not sent itself) counts as its bare path, as Docker's "backwards compatible" fallback does.
  const members: ({ entry: ContextEntry; path: string } | string)[] = [];
  const add = (e: ContextEntry) => {
    const target = e.kind === 'symlink' ? resolveInContext(ctx, e.path) : { entry: e, path: e.path };
    members.push(!target || target.entry.implied ? e.path : target);
  };
  if (src.path !== '.') add(src.entry);
  for (const e of entriesUnder(ctx, src.path)) add(e);
  const hashes: string[] = [];
  // A few files at a time: a big directory must not open thousands of files at once.
  for (let i = 0; i < members.length; i += 16) {
    const batch = members.slice(i, i + 16).map((m) => (typeof m === 'string' ? m : hashEntry(ctx, m.entry, m.path)));
    hashes.push(...(await Promise.all(batch)));
  }
  hashes.sort();
  return `dir:${sha256(hashes.join(','))}`;
}

/** Docker's getSourceHashFromInfos: one hash as is, several → "multi:" + sha256(hashes joined by ","). */
export function combineChecksums(hashes: string[]): string {
  if (hashes.length === 1) return hashes[0]!;
  return `multi:${sha256(hashes.join(','))}`;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
