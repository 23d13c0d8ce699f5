import { createHash } from 'node:crypto';
import type { BuildContext, ContextEntry, ResolvedSource } from './context.js';
import { entriesUnder, openEntry } from './context.js';

/**
 * The checksums behind COPY and ADD's cache keys. Docker's classic builder
 * decides whether `COPY app/ /app` can come from the cache by comparing a
 * hash of what would be copied: `COPY dir:3f2a… in /app`. The hash covers
 * each file's name, permissions, owner, size, type, link target and content,
 * and not its modification time (Docker's "tarsum", version 1): touching a
 * file keeps the cache; changing one byte, a mode bit or a name busts it.
 *
 *   file:<sha256>    one file: its record and content
 *   dir:<sha256>     a directory: the sorted hashes of everything in it, joined by ","
 *   multi:<sha256>   several sources (or a wildcard matching several): their hashes joined by ","
 *
 * The hex digits differ from Docker's own (its tar header layout is not
 * reproduced byte for byte); what they respond to is the same.
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
    p = computeEntry(entry, name);
    cache.set(key, p);
    p.catch(() => cache!.delete(key));
  }
  return p;
}

async function computeEntry(entry: ContextEntry, name: string): Promise<string> {
  const hash = createHash('sha256');
  // tarsum v1's header fields, each written as name + value.
  const fields: [string, string][] = [
    ['name', entry.kind === 'dir' && name !== '.' ? `${name}/` : name],
    ['mode', (entry.mode & 0o7777).toString(8)],
    ['uid', String(entry.uid)],
    ['gid', String(entry.gid)],
    ['size', String(entry.kind === 'file' ? entry.size : 0)],
    ['typeflag', typeflag[entry.kind]],
    ['linkname', entry.link ?? ''],
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
 * file reached through a symlink is hashed under the name it was asked for
 * (as Docker's context does); a directory's hash is that of everything in it,
 * the directory itself included unless it is the context root.
 */
export async function sourceChecksum(ctx: BuildContext, src: ResolvedSource): Promise<string> {
  if (src.entry.kind !== 'dir') return `file:${await hashEntry(ctx, src.entry, src.matched)}`;
  const members = src.path === '.' ? [] : [src.entry];
  members.push(...entriesUnder(ctx, src.path));
  const hashes: string[] = [];
  // A few files at a time: a big directory must not open thousands of files at once.
  for (let i = 0; i < members.length; i += 16) {
    hashes.push(...(await Promise.all(members.slice(i, i + 16).map((e) => hashEntry(ctx, e, e.path)))));
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
