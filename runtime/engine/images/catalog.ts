import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { readJsonIfExists, writeJson } from '../state/files.js';
import type { Paths } from '../state/paths.js';
import { ANNOTATION, MEDIA, readIndex, writeIndex, type Descriptor } from './oci.js';
import { fullyQualifiedName, splitTag } from './reference.js';

/**
 * Which images the store holds and what they are called, kept in two files:
 *
 *   oci/index.json      every image's manifest; a tagged image appears once
 *                       per tag, annotated with its name (as `docker save`
 *                       writes it), an untagged one once without a name.
 *                       Blobs not reachable from here are garbage.
 *   repositories.json   the tags, in Docker's shape
 *                       { "Repositories": { "busybox": { "busybox:latest": <manifest digest> } } }
 *
 * Both are rewritten together, under the image lock, each atomically.
 */
export interface Catalog {
  /** One descriptor per image manifest, in the order they were added. */
  manifests: Descriptor[];
  /**
   * "busybox:latest" -> manifest digest; also the repository digests of pulled
   * images, "alpine@sha256:<digest pulled>" -> manifest digest (RepoDigests: the
   * digest the registry knows the image by, which for a multi-platform image
   * is its index's, not the platform manifest's). isRepoDigest tells them apart.
   */
  tags: Map<string, string>;
}

interface RepositoriesFile {
  Repositories: Record<string, Record<string, string>>;
}

/**
 * The catalog, repaired from what is left when one of its files is damaged
 * (a crash mid-write on a full disk, a hand edit): each file can stand in
 * for the other, and the blobs themselves say which are manifests. The next
 * change rewrites both files whole.
 */
export async function loadCatalog(paths: Paths): Promise<Catalog> {
  const entries = await readIndex(paths).catch(() => manifestsInBlobs(paths));
  const manifests: Descriptor[] = [];
  for (const d of entries) {
    if (!manifests.some((m) => m.digest === d.digest)) {
      manifests.push({ mediaType: d.mediaType, digest: d.digest, size: d.size });
    }
  }
  const tags = new Map<string, string>();
  const repos = await readJsonIfExists<RepositoriesFile>(paths.repositories).catch(() => undefined);
  if (repos?.Repositories && typeof repos.Repositories === 'object') {
    for (const byTag of Object.values(repos.Repositories ?? {})) {
      for (const [repoTag, digest] of Object.entries(byTag)) tags.set(repoTag, digest);
    }
  } else {
    // A layout written by another tool: take the names from the annotations.
    for (const d of entries) {
      const name = d.annotations?.[ANNOTATION.imageName];
      if (name) tags.set(name.replace(/^docker\.io\/(library\/)?/, ''), d.digest);
    }
  }
  for (const digest of tags.values()) {
    if (!manifests.some((m) => m.digest === digest)) manifests.push({ mediaType: MEDIA.manifest, digest, size: 0 });
  }
  return { manifests, tags };
}

export async function saveCatalog(paths: Paths, catalog: Catalog): Promise<void> {
  const entries: Descriptor[] = [];
  for (const m of catalog.manifests) {
    const names = tagsOf(catalog, m.digest);
    if (names.length === 0) entries.push(m);
    for (const repoTag of names) {
      const { repository, tag } = splitTag(repoTag);
      entries.push({
        ...m,
        annotations: { [ANNOTATION.imageName]: `${fullyQualifiedName(repository)}:${tag}`, [ANNOTATION.refName]: tag },
      });
    }
  }
  const repositories: RepositoriesFile = { Repositories: {} };
  for (const [repoTag, digest] of [...catalog.tags].sort(([a], [b]) => a.localeCompare(b))) {
    const repository = isRepoDigest(repoTag) ? repoTag.slice(0, repoTag.indexOf('@')) : splitTag(repoTag).repository;
    (repositories.Repositories[repository] ??= {})[repoTag] = digest;
  }
  await writeIndex(paths, entries);
  await writeJson(paths.repositories, repositories);
}

/** index.json is unreadable: every blob that is an image manifest, found by reading the blobs (small JSON ones only). */
async function manifestsInBlobs(paths: Paths): Promise<Descriptor[]> {
  const dir = join(paths.oci, 'blobs', 'sha256');
  const found: Descriptor[] = [];
  for (const hex of await fs.readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, hex);
    const st = await fs.stat(path).catch(() => undefined);
    if (!st?.isFile() || st.size > 1 << 20) continue;
    try {
      const doc = JSON.parse(await fs.readFile(path, 'utf8')) as { mediaType?: string; config?: unknown; layers?: unknown };
      if (doc.mediaType === MEDIA.manifest || (doc.config && Array.isArray(doc.layers))) {
        found.push({ mediaType: MEDIA.manifest, digest: `sha256:${hex}`, size: st.size });
      }
    } catch { /* a layer, or not JSON */ }
  }
  return found;
}

/** The tags pointing at one manifest, sorted (repository digests are not tags). */
export function tagsOf(catalog: Catalog, manifestDigest: string): string[] {
  return [...catalog.tags].filter(([t, d]) => d === manifestDigest && !isRepoDigest(t)).map(([t]) => t).sort();
}

/** The repository digests ("alpine@sha256:...") pointing at one manifest, sorted. */
export function repoDigestsOf(catalog: Catalog, manifestDigest: string): string[] {
  return [...catalog.tags].filter(([t, d]) => d === manifestDigest && isRepoDigest(t)).map(([t]) => t).sort();
}

/** "alpine@sha256:..." is a repository digest; "alpine:latest" a tag. */
export const isRepoDigest = (name: string): boolean => name.includes('@');
