import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { shellJoin } from '../../kernel/archive.js';
import { report, silentTracer, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import { exists } from '../state/files.js';
import type { Paths } from '../state/paths.js';
import { makeScratchDir } from '../state/scratch.js';
import { buildBusybox } from './busybox.js';
import { isRepoDigest, loadCatalog, repoDigestsOf, saveCatalog, tagsOf, type Catalog } from './catalog.js';
import { prepareImport } from './import.js';
import { toInspect, type ImageInspect } from './inspect.js';
import { withLock } from '../state/lock.js';
import {
  MEDIA,
  canonicalJson,
  ensureLayout,
  hexOf,
  manifestFor,
  putBlob,
  readBlobJson,
  sha256,
  type OciManifest,
  type PreparedImage,
} from './oci.js';
import { FULL_ID, ID_PREFIX, parseReference, parseTagTarget, repoTagOf, shortId } from './reference.js';
import type { ImageRecord, OciImageConfig, RemoveResult } from './types.js';

export interface RemoveOptions {
  force?: boolean;
  /**
   * Whether any container (running or not) was created from the image. A
   * string is taken as the ID of such a container and named in the error.
   */
  isInUse: (imageId: string) => Promise<boolean | string>;
}

/** What a removal took away: blobs deleted, layer trees moved aside to delete after the lock. */
interface Removed {
  id?: string;
  blobs: string[];
  trees: { tree: string; away: string }[];
}

export interface ImportOptions {
  /** "name[:tag]" to tag the new image with; untagged when absent. */
  reference?: string;
  /** History comment; default "Imported from <source>". */
  message?: string;
  /** Dockerfile instructions for the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR. */
  changes?: string[];
}

/** One image: its record and every manifest that carries its config. */
interface StoredImage {
  record: ImageRecord;
  manifests: { digest: string; manifest: OciManifest }[];
}

interface Match {
  image: StoredImage;
  /** Set when the reference named a tag rather than an ID. */
  tag?: string;
}

const BUSYBOX = 'busybox:latest';

/**
 * The image store: OCI blobs, the tag catalog, and one unpacked directory per
 * layer, all under <root>/images (see paths.ts). Several glass processes may
 * use one root at once: changes to the catalog and the moves of blobs and
 * layer trees into place happen under an inter-process lock; everything slow
 * (hashing, unpacking) happens before, in a scratch directory.
 */
export class ImageStore {
  constructor(
    readonly paths: Paths,
    private readonly trace: Tracer = silentTracer,
  ) {}

  /** The same store, reporting its steps to `trace` (one operation's tracer). */
  traced(trace: Tracer): ImageStore {
    return new ImageStore(this.paths, trace);
  }

  /** All images, newest first, untagged ones included (repoTags []). */
  async list(): Promise<ImageRecord[]> {
    const { images } = await this.snapshot();
    const time = (r: ImageRecord) => Date.parse(r.created) || 0;
    return images.map((i) => i.record).sort((a, b) => time(b) - time(a) || a.id.localeCompare(b.id));
  }

  /**
   * Find an image by name[:tag], name@digest, full ID or unique ID prefix
   * (with or without "sha256:"). busybox:latest is built from the host's
   * busybox when missing. Unknown images are NO_SUCH_IMAGE.
   */
  async resolve(ref: string): Promise<ImageRecord> {
    const found = await this.lookup(ref);
    if (found) return found;
    const named = FULL_ID.test(ref) ? undefined : parseReference(ref);
    if (named && !named.digest && repoTagOf(named) === BUSYBOX) return this.ensureBusybox();
    const shown = named && !named.digest ? repoTagOf(named) : ref;
    throw new GlassError(
      'NO_SUCH_IMAGE',
      `No such image: ${ref}. Unable to find image '${shown}' locally: pull it first ('glass pull ${shown}'), or import one ('glass import')`,
    );
  }

  /** Like resolve, but never builds and returns undefined when unknown. */
  async lookup(ref: string): Promise<ImageRecord | undefined> {
    const { images, catalog } = await this.snapshot();
    return this.find(ref, images, catalog)?.image.record;
  }

  /** busybox:latest, built from the host's static busybox if the store has none. */
  async ensureBusybox(): Promise<ImageRecord> {
    const { images, catalog } = await this.snapshot();
    const existing = this.find(BUSYBOX, images, catalog);
    if (existing) return existing.image.record;
    return this.install(await buildBusybox(this.trace, this.paths), [BUSYBOX]);
  }

  /** Give an image another name, like `docker tag`; a name already in use moves. */
  /** Returns the full "name:tag" it set. */
  async tag(source: string, target: string): Promise<string> {
    const repoTag = parseTagTarget(target);
    const image = await this.resolve(source);
    await this.locked(async () => {
      const catalog = await loadCatalog(this.paths);
      // The new name points at the very manifest the source name does (an image pulled
      // as Docker schema2 and as OCI has two): a push of the new name then sends the
      // same bytes, with the same digest, as the registry the source came from has.
      const manifest = sourceManifest(source, catalog) ?? image.manifestDigest;
      if (!catalog.manifests.some((m) => m.digest === manifest)) throw noSuchImage(source);
      catalog.tags.set(repoTag, manifest);
      await saveCatalog(this.paths, catalog);
    });
    return repoTag;
  }

  /**
   * `docker rmi`. Removing one of several tags only untags. Removing the last
   * tag, or by ID, deletes the image and then every blob and layer directory
   * no remaining image uses. By ID, an image with several tags needs force.
   * An image a container uses is refused without force; with force it only
   * loses its tags and stays (as <none>) for as long as the container needs
   * its layers.
   */
  async remove(ref: string, opts: RemoveOptions): Promise<RemoveResult> {
    const removed: Removed = { blobs: [], trees: [] };
    // The in-use check and the deletion happen under one lock, which `use`
    // (container create) also takes: no container can start using the image in between.
    const lines = await this.locked(() => this.removeLocked(ref, opts, removed));
    // Renaming was instant; the slow recursive delete happens after the lock is released.
    for (const { away } of removed.trees) await fs.rm(away, { recursive: true, force: true });
    if (removed.blobs.length || removed.trees.length) {
      report(this.trace, {
        title: `Delete image ${shortId(removed.id!)} and the layers only it used`,
        why: 'Once no name and no other image refers to these blobs and layer directories, nothing can reach them any more: they are garbage.',
        command: shellJoin(['rm', '-rf', ...removed.trees.map((t) => t.tree), ...removed.blobs]),
      });
    }
    return { lines };
  }

  /**
   * Resolve an image (building busybox if needed) and run `fn` while holding
   * the store's lock, so that `rmi` cannot delete the image's layers before
   * `fn` has recorded that a container uses them.
   */
  async use<T>(ref: string, fn: (image: ImageRecord) => Promise<T>): Promise<T> {
    const image = await this.resolve(ref);
    return this.locked(async () => {
      const { images } = await this.snapshot();
      const still = images.find((i) => i.record.id === image.id);
      if (!still) throw noSuchImage(ref);
      return fn(still.record);
    });
  }

  private async removeLocked(ref: string, opts: RemoveOptions, removed: Removed): Promise<string[]> {
    const force = opts.force ?? false;
    const { images, catalog } = await this.snapshot();
    const match = this.find(ref, images, catalog);
    if (!match) throw noSuchImage(ref);
    const { id, repoTags } = match.image.record;
    const short = shortId(id);

    // "name@sha256:..." naming a repository digest removes that one reference while the image has others (Docker).
    const named = FULL_ID.test(ref) ? undefined : parseReference(ref);
    const digestRef = named?.digest ? `${named.repository}@${named.digest}` : undefined;
    if (digestRef && catalog.tags.has(digestRef)) {
      const mine = new Set(match.image.manifests.map((m) => m.digest));
      const others = [...catalog.tags].filter(([t, d]) => t !== digestRef && mine.has(d));
      if (others.length) {
        catalog.tags.delete(digestRef);
        await saveCatalog(this.paths, catalog);
        return [`Untagged: ${digestRef}`];
      }
    }

    if (match.tag && repoTags.length > 1) return this.untagAndDelete(ref, id, [match.tag], false, removed);
    if (!match.tag && repoTags.length > 1 && !force) {
      throw conflict(`unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
    }
    // An image other images were built on (a build's step images, a commit's parent) stays while they do (Docker's hard conflict):
    // by name it only loses the name; by ID it is refused, even forced.
    if (images.some((i) => i.record.config.parent === id)) {
      if (!match.tag) throw conflict(`unable to delete ${short} (cannot be forced) - image has dependent child images`);
      return this.untagAndDelete(ref, id, [match.tag], false, removed);
    }
    const user = await opts.isInUse(id);
    if (user !== false && user !== '') {
      const who = typeof user === 'string' ? `container ${shortId(user)}` : 'a container';
      if (!force) {
        throw conflict(
          match.tag
            ? `unable to remove repository reference "${ref}" (must force) - ${who} is using its referenced image ${short}`
            : `unable to delete ${short} (must be forced) - image is being used by ${who}`,
        );
      }
      if (repoTags.length === 0) throw conflict(`unable to delete ${short} (cannot be forced) - image is being used by ${who}`);
      return this.untagAndDelete(ref, id, match.tag ? [match.tag] : repoTags, false, removed);
    }
    const lines = await this.untagAndDelete(ref, id, match.tag ? [match.tag] : repoTags, true, removed);
    if (lines.includes(`Deleted: ${id}`)) lines.push(...(await this.deleteUntaggedParents(match.image.record.config.parent, opts, removed)));
    return lines;
  }

  /**
   * After an image is deleted, its parents that only existed for it go too
   * (moby's imageDelete with prune): a build's intermediate step images,
   * untagged, with no other child and no container using them. The walk
   * stops at the first parent that has a name, another child, or a user.
   * The caller holds the lock.
   */
  private async deleteUntaggedParents(parentId: string | undefined, opts: RemoveOptions, removed: Removed): Promise<string[]> {
    const lines: string[] = [];
    for (let id = parentId; id; ) {
      const { images, catalog } = await this.snapshot();
      const parent = images.find((i) => i.record.id === id);
      if (!parent) break;
      const mine = new Set(parent.manifests.map((m) => m.digest));
      const named = [...catalog.tags.values()].some((d) => mine.has(d));
      const hasChild = images.some((i) => i.record.config.parent === id);
      const user = await opts.isInUse(id);
      if (named || hasChild || (user !== false && user !== '')) break;
      lines.push(...(await this.untagAndDelete(id, id, [], true, removed)));
      id = parent.record.config.parent;
    }
    return lines;
  }

  /** `docker import`: a root filesystem tarball (plain or gzip) becomes a one-layer image. */
  async importTarball(source: string | NodeJS.ReadableStream, opts: ImportOptions = {}): Promise<ImageRecord> {
    const repoTag = opts.reference ? parseTagTarget(opts.reference) : undefined;
    const prepared = await prepareImport(this.trace, this.paths, { source, message: opts.message, changes: opts.changes });
    return this.install(prepared, repoTag ? [repoTag] : []);
  }

  /** `docker image inspect`. */
  async inspect(ref: string): Promise<ImageInspect> {
    const image = await this.lookup(ref);
    if (!image) throw noSuchImage(ref);
    return toInspect(image);
  }

  /** The unpacked layer directories of an image (bottom layer first), by ID. */
  async layerDirsFor(imageId: string): Promise<string[]> {
    const { images } = await this.snapshot();
    const image = images.find((i) => i.record.id === imageId || i.record.id === `sha256:${imageId}`);
    if (!image) throw noSuchImage(imageId);
    return image.record.layerDirs;
  }

  // ---- internals ----------------------------------------------------------

  private find(ref: string, images: StoredImage[], catalog: Catalog): Match | undefined {
    if (ref === '') throw new GlassError('INVALID_ARGUMENT', 'invalid reference format: the image name is empty');
    const full = FULL_ID.exec(ref);
    if (full) {
      const image = images.find((i) => i.record.id === `sha256:${full[1]}`);
      return image && { image };
    }
    const named = parseReference(ref);
    if (named.digest) {
      // A repository digest (of a pulled multi-platform image: its index's) names the manifest it was pulled as.
      const viaRepo = catalog.tags.get(`${named.repository}@${named.digest}`);
      const image = images.find(
        (i) => i.record.id === named.digest || i.manifests.some((m) => m.digest === named.digest || m.digest === viaRepo),
      );
      return image && { image };
    }
    const repoTag = repoTagOf(named);
    const digest = catalog.tags.get(repoTag);
    const tagged = digest && images.find((i) => i.manifests.some((m) => m.digest === digest));
    if (tagged) return { image: tagged, tag: repoTag };
    // Docker's rule: a name that is no tag may still be an abbreviated image ID.
    const prefix = ID_PREFIX.exec(ref);
    if (!prefix) return undefined;
    const hits = images.filter((i) => hexOf(i.record.id).startsWith(prefix[1]!));
    if (hits.length > 1) {
      throw new GlassError(
        'AMBIGUOUS_ID',
        `"${ref}" matches ${hits.length} images (${hits.map((h) => shortId(h.record.id)).join(', ')}): give more characters of the ID`,
      );
    }
    return hits[0] && { image: hits[0] };
  }

  /** The catalog and every image it lists, read without the lock (each file is replaced atomically). */
  private async snapshot(): Promise<{ catalog: Catalog; images: StoredImage[] }> {
    const catalog = await loadCatalog(this.paths);
    const byId = new Map<string, StoredImage>();
    for (const { digest } of catalog.manifests) {
      let manifest: OciManifest;
      let config: OciImageConfig;
      try {
        manifest = await readBlobJson<OciManifest>(this.paths, digest);
        config = await readBlobJson<OciImageConfig>(this.paths, manifest.config.digest);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted by another process meanwhile
        throw e;
      }
      const id = manifest.config.digest;
      const seen = byId.get(id);
      if (seen) {
        seen.manifests.push({ digest, manifest });
        seen.record.repoTags = [...seen.record.repoTags, ...tagsOf(catalog, digest)].sort();
        seen.record.repoDigests = [...seen.record.repoDigests, ...repoDigestsOf(catalog, digest)].sort();
        continue;
      }
      byId.set(id, {
        manifests: [{ digest, manifest }],
        record: {
          id,
          manifestDigest: digest,
          repoTags: tagsOf(catalog, digest),
          repoDigests: repoDigestsOf(catalog, digest),
          created: config.created ?? '',
          size: manifest.layers.reduce((sum, l) => sum + l.size, 0),
          config,
          layerDirs: config.rootfs.diff_ids.map((d) => this.paths.layer(hexOf(d))),
        },
      });
    }
    return { catalog, images: [...byId.values()] };
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    await fs.mkdir(this.paths.images, { recursive: true });
    return withLock(join(this.paths.images, '.lock'), async () => {
      await ensureLayout(this.paths);
      return fn();
    });
  }

  private async install(prepared: PreparedImage, tags: string[]): Promise<ImageRecord> {
    return (await this.installPrepared(prepared, tags)).image;
  }

  /**
   * Move a prepared image into the store and name it. Blobs and layer trees
   * already present (same content, same name) are kept and the new copies
   * dropped; on failure, whatever this call moved in is taken out again.
   * The scratch directory is removed in every case.
   *
   * An image that arrives from elsewhere (load, pull) brings its config and
   * manifest as exact bytes (`configBytes`, `manifestBytes`): they are stored
   * as they are, so its ID (the config's digest) and manifest digest stay
   * the same. `retagged` lists the tags that named another image before and
   * now name this one (Docker: "renaming the old one with ID ... to empty string").
   */
  async installPrepared(
    prepared: PreparedImage,
    tags: string[],
  ): Promise<{ image: ImageRecord; retagged: { tag: string; fromId: string }[] }> {
    const retagged: { tag: string; fromId: string }[] = [];
    try {
      const configBytes = prepared.configBytes ?? canonicalJson(prepared.config);
      const configDesc = { digest: sha256(configBytes), size: configBytes.length };
      const manifestBytes =
        prepared.manifestBytes ?? canonicalJson(manifestFor(configDesc, prepared.layers.map((l) => l.descriptor)));
      const manifestDigest = sha256(manifestBytes);

      await this.locked(async () => {
        const added: string[] = [];
        try {
          for (const layer of prepared.layers) {
            const blob = this.paths.blob(layer.descriptor.digest);
            if (!(await exists(blob))) {
              // A caller that found the blob already stored did not fetch it again; if it left meanwhile, say so.
              if (!layer.blobPath || !(await exists(layer.blobPath))) throw layerGone(layer.descriptor.digest);
              await fs.rename(layer.blobPath, blob);
              added.push(blob);
            }
            const tree = this.paths.layer(hexOf(layer.diffId));
            if (!(await exists(tree))) {
              if (!layer.treePath || !(await exists(layer.treePath))) throw layerGone(layer.descriptor.digest);
              await fs.rename(layer.treePath, tree);
              added.push(tree);
              report(this.trace, {
                title: `Keep layer ${shortId(layer.diffId)} as a layer directory (an overlay lowerdir)`,
                why: 'Containers of this image stack this directory, read-only, under their own writable layer with overlayfs (lowerdir=...); it is named by the diff_id, the sha256 of the uncompressed tar, so it is unpacked once however many images share it.',
                command: `mv ${layer.treePath} ${tree}`,
              });
            }
          }
          for (const bytes of [configBytes, manifestBytes]) {
            const put = await putBlob(this.paths, bytes);
            if (put.created) added.push(this.paths.blob(put.digest));
          }
          const catalog = await loadCatalog(this.paths);
          const known = catalog.manifests.find((m) => m.digest === manifestDigest);
          if (known) known.mediaType = prepared.manifestMediaType ?? known.mediaType;
          else catalog.manifests.push({ mediaType: prepared.manifestMediaType ?? MEDIA.manifest, digest: manifestDigest, size: manifestBytes.length });
          for (const t of tags) {
            const before = catalog.tags.get(t);
            if (before && before !== manifestDigest) {
              const fromId = await readBlobJson<OciManifest>(this.paths, before).then((m) => m.config.digest, () => undefined);
              if (fromId && fromId !== configDesc.digest) retagged.push({ tag: t, fromId });
            }
            catalog.tags.set(t, manifestDigest);
          }
          await saveCatalog(this.paths, catalog);
        } catch (e) {
          for (const path of added) await fs.rm(path, { recursive: true, force: true });
          throw e;
        }
      });
      report(this.trace, {
        title: `Store image ${shortId(configDesc.digest)} in the OCI layout${tags.length ? ` as ${tags.join(', ')}` : ''}`,
        why: prepared.manifestBytes
          ? "The manifest and config are kept byte for byte as they came: their sha256 digests are the image's identity (the config's is the image ID, the manifest's the digest `pull NAME@sha256:...` asks for), so any change would make it another image."
          : "An OCI image is content-addressed blobs: the layer tars, a config (how to run it; its sha256 is the image ID) and a manifest listing both. index.json and repositories.json map names to manifests.",
        command: `sha256sum layer.tar config.json manifest.json   # each is stored as ${join(this.paths.oci, 'blobs/sha256/<its sha256>')}`,
      });

      const { images } = await this.snapshot();
      const image = images.find((i) => i.record.id === configDesc.digest);
      if (!image) throw noSuchImage(configDesc.digest); // removed by another process in between
      return { image: image.record, retagged };
    } finally {
      if (prepared.workDir) await fs.rm(prepared.workDir, { recursive: true, force: true });
    }
  }

  /** Whether a blob is in the store. */
  async hasBlob(digest: string): Promise<boolean> {
    return exists(this.paths.blob(digest));
  }

  /** Whether a layer's unpacked directory (named by its diff_id) is in the store. */
  async hasLayer(diffId: string): Promise<boolean> {
    return exists(this.paths.layer(hexOf(diffId)));
  }

  /**
   * Record that a registry now serves this manifest as `repoDigest`
   * ("127.0.0.1:5000/me/app@sha256:..."): after a push, as Docker does, the
   * image shows it in RepoDigests and `images --digests`. Nothing happens if
   * the manifest left the store meanwhile.
   */
  async addRepoDigest(repoDigest: string, manifestDigest: string): Promise<void> {
    await this.locked(async () => {
      const catalog = await loadCatalog(this.paths);
      if (!catalog.manifests.some((m) => m.digest === manifestDigest)) return;
      catalog.tags.set(repoDigest, manifestDigest);
      await saveCatalog(this.paths, catalog);
    });
  }

  /** The manifest a name (tag or repository digest) points to now, if any. */
  async manifestOf(name: string): Promise<string | undefined> {
    return (await loadCatalog(this.paths)).tags.get(name);
  }

  /**
   * Drop `untag` from the image; then, if `del` and no tag is left, delete it
   * and collect garbage (layer trees are only moved aside into `removed`).
   * The caller holds the lock.
   */
  private async untagAndDelete(ref: string, id: string, untag: string[], del: boolean, removed: Removed): Promise<string[]> {
    removed.id = id;
    const { catalog, images } = await this.snapshot();
    const image = images.find((i) => i.record.id === id);
    if (!image) throw noSuchImage(ref);
    const mine = new Set(image.manifests.map((m) => m.digest));
    const lines: string[] = [];
    for (const t of untag) {
      if (mine.has(catalog.tags.get(t) ?? '')) {
        catalog.tags.delete(t);
        lines.push(`Untagged: ${t}`);
      }
    }
    const stillTagged = [...catalog.tags].some(([t, d]) => mine.has(d) && !isRepoDigest(t));
    // A repository's digest references go with its last tag of this image (as Docker's rmi: "Untagged: name@sha256:..."),
    // and all of them when no tag is left at all.
    const repoOf = (name: string) => (isRepoDigest(name) ? name.slice(0, name.indexOf('@')) : name.slice(0, name.lastIndexOf(':')));
    const taggedRepos = new Set([...catalog.tags].filter(([t, d]) => mine.has(d) && !isRepoDigest(t)).map(([t]) => repoOf(t)));
    for (const [t, d] of [...catalog.tags]) {
      if (mine.has(d) && isRepoDigest(t) && !taggedRepos.has(repoOf(t)) && (!stillTagged || untag.some((u) => repoOf(u) === repoOf(t)))) {
        catalog.tags.delete(t);
        lines.push(`Untagged: ${t}`);
      }
    }
    if (!del || stillTagged) {
      await saveCatalog(this.paths, catalog);
      return lines;
    }
    catalog.manifests = catalog.manifests.filter((m) => !mine.has(m.digest));
    await saveCatalog(this.paths, catalog);
    lines.push(`Deleted: ${id}`);

    // Garbage: this image's blobs and layer trees that no remaining image uses.
    const keepBlobs = new Set<string>();
    const keepLayers = new Set<string>();
    for (const other of images.filter((i) => i !== image)) {
      for (const { digest, manifest } of other.manifests) {
        keepBlobs.add(digest).add(manifest.config.digest);
        for (const l of manifest.layers) keepBlobs.add(l.digest);
      }
      for (const d of other.record.config.rootfs.diff_ids) keepLayers.add(d);
    }
    for (const { digest, manifest } of image.manifests) {
      for (const blob of new Set([digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)])) {
        if (keepBlobs.has(blob)) continue;
        await fs.rm(this.paths.blob(blob), { force: true });
        removed.blobs.push(this.paths.blob(blob));
      }
    }
    for (const diffId of new Set(image.record.config.rootfs.diff_ids)) {
      const tree = this.paths.layer(hexOf(diffId));
      if (keepLayers.has(diffId) || !(await exists(tree))) continue;
      const away = await makeScratchDir(this.paths.tmp, 'rmi');
      await fs.rename(tree, join(away, 'layer'));
      removed.trees.push({ tree, away });
      lines.push(`Deleted: ${diffId}`);
    }
    return lines;
  }
}

function layerGone(digest: string): GlassError {
  return new GlassError('NO_SUCH_IMAGE', `layer ${digest.slice(7, 19)} left the store while this image was being stored (an rmi at the same time?): run the command again`);
}

/** The manifest a source name (name:tag or name@digest) points to, if it is a name the catalog has. */
function sourceManifest(source: string, catalog: Catalog): string | undefined {
  if (FULL_ID.test(source)) return undefined;
  try {
    const r = parseReference(source);
    if (r.digest) return catalog.tags.get(`${r.repository}@${r.digest}`) ?? (catalog.manifests.some((m) => m.digest === r.digest) ? r.digest : undefined);
    return catalog.tags.get(repoTagOf(r));
  } catch {
    return undefined;
  }
}

function noSuchImage(ref: string): GlassError {
  return new GlassError('NO_SUCH_IMAGE', `No such image: ${ref}`);
}

function conflict(detail: string): GlassError {
  return new GlassError('IMAGE_IN_USE', `conflict: ${detail}`);
}
