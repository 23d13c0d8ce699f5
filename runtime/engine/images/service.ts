import type { Writable } from 'node:stream';
import { GlassError } from '../errors.js';
import type { CallOptions, ImageSummary, ImagesApi, ImportOptions } from '../api.js';
import type { EventLog } from '../events.js';
import type { Operation, Tracing } from '../trace.js';
import type { ImageInspect } from './inspect.js';
import { loadImages, type LoadedImage, type LoadOptions } from './load.js';
import { saveImages, type SavedImage } from './save.js';
import { referenceMatcher } from './match.js';
import type { CommitOptions } from '../containers/commit.js';
import { imageHistory, type ImageHistoryItem } from './history.js';
import type { ImageStore } from './store.js';
import { directorySize } from '../../kernel/disk-usage.js';
import { parsePruneFilters, pruneMatches } from '../prune-filters.js';
import { pushImage, type PushOptions, type PushResult } from '../registry/push.js';
import { pullImage, type PullOptions, type PullResult } from '../registry/pull.js';

export interface ImageDeps {
  store: ImageStore;
  events: EventLog;
  tracing: Tracing;
  ready: (op: Operation) => Promise<void>;
  /** The first container using an image (rmi refuses to delete it), or false. */
  imageUser: (imageId: string) => Promise<string | false>;
  /** `commit` is the containers' service's (it reads and freezes the container). */
  commit: (container: string, opts: CommitOptions & CallOptions) => Promise<{ id: string }>;
}

/** Images: the store's operations, traced, with their lifecycle events. */
export class ImageService implements ImagesApi {
  constructor(private readonly d: ImageDeps) {}

  private async begin(name: string, call?: CallOptions): Promise<Operation> {
    const op = this.d.tracing.begin(name, call?.onStep);
    await this.d.ready(op);
    return op;
  }

  async list(opts: { pattern?: string; all?: boolean } = {}): Promise<ImageSummary[]> {
    await this.begin('images');
    const { pattern } = opts;
    const matches = pattern === undefined ? () => true : referenceMatcher(pattern);
    const records = await this.d.store.list();
    // Docker hides intermediate images (a build's step images: untagged, and the parent of another image) unless -a.
    const parents = new Set(records.map((r) => r.config.parent).filter((p): p is string => !!p));
    const intermediate = (img: (typeof records)[number]) => img.repoTags.length === 0 && img.repoDigests.length === 0 && parents.has(img.id);
    // One row per name; a repository that knows the image only by digest (a pull by digest) is a
    // "<none>" tag row of that repository, as in Docker; an image with no name at all is one
    // <none>:<none> row (hidden by a pattern).
    return records.filter((img) => opts.all || !intermediate(img)).flatMap((img) => {
      const digestOf = (repo: string) => img.repoDigests.find((d) => d.startsWith(`${repo}@`))?.slice(repo.length + 1);
      const tagged = new Set(img.repoTags.map((t) => t.slice(0, t.lastIndexOf(':'))));
      const digestOnly = [...new Set(img.repoDigests.map((d) => d.slice(0, d.indexOf('@'))))].filter((r) => !tagged.has(r)).map((r) => `${r}:<none>`);
      const names = [...img.repoTags, ...digestOnly];
      return (names.length ? names : pattern === undefined ? ['<none>:<none>'] : [])
        .filter((t) => matches(t))
        .map((t) => {
          const repository = t.slice(0, t.lastIndexOf(':'));
          return {
            Id: img.id,
            RepoTag: t,
            Repository: repository,
            Tag: t.slice(t.lastIndexOf(':') + 1),
            Created: img.created,
            Size: img.size,
            Digest: digestOf(repository) ?? '<none>',
          };
        });
    });
  }

  async inspect(ref: string): Promise<ImageInspect> {
    await this.begin('inspect');
    return this.d.store.inspect(ref);
  }

  async tag(source: string, target: string, call?: CallOptions): Promise<void> {
    const op = await this.begin('tag', call);
    const repoTag = await this.d.store.traced(op.trace).tag(source, target);
    const image = await this.d.store.lookup(repoTag);
    if (image) this.d.events.record('image', 'tag', image.id, { name: repoTag });
  }

  async remove(ref: string, opts: { force?: boolean } & CallOptions = {}): Promise<string[]> {
    const op = await this.begin('rmi', opts);
    const image = await this.d.store.lookup(ref).catch(() => undefined);
    const { lines } = await this.d.store.traced(op.trace).remove(ref, { force: opts.force, isInUse: this.d.imageUser });
    for (const line of lines) {
      const m = /^(Untagged|Deleted): (.*)$/.exec(line);
      if (m?.[1] === 'Untagged') this.d.events.record('image', 'untag', image?.id ?? '', { name: m[2]! });
      else if (m) this.d.events.record('image', 'delete', m[2]!, {});
    }
    return lines;
  }

  /**
   * `docker image prune [-a]`: remove dangling images (no name; with `all`,
   * every image) that no container uses and that pass the filters (`until`,
   * `label`, `label!`). A layer goes only with the last image that uses it;
   * the space is the bytes of the layer directories that went. Events: untag
   * and delete as rmi's, then an image `prune` event with `reclaimed`.
   */
  async prune(opts: { all?: boolean; filters?: string[] } & CallOptions = {}): Promise<{ imagesDeleted: { untagged?: string; deleted?: string }[]; spaceReclaimed: number }> {
    const op = await this.begin('image-prune', opts);
    const filters = parsePruneFilters(opts.filters ?? []);
    const images = await this.d.store.list();
    const layerSizes = new Map<string, number>();
    for (const img of images) {
      for (const [i, d] of img.config.rootfs.diff_ids.entries()) {
        if (!layerSizes.get(d)) layerSizes.set(d, await directorySize(img.layerDirs[i]!));
      }
    }
    const deleted: { untagged?: string; deleted?: string }[] = [];
    let space = 0;
    // Dangling = untagged and nobody's parent (a build's intermediate images are not: deleting the image on top takes them along).
    const parents = new Set(images.map((i) => i.config.parent).filter((p): p is string => !!p));
    for (const img of images) {
      const names = [...img.repoTags, ...(img.repoDigests ?? [])];
      if (!opts.all && (names.length > 0 || parents.has(img.id))) continue;
      if (await this.d.imageUser(img.id)) continue;
      if (!pruneMatches(filters, Date.parse(img.created) || 0, img.config.config.Labels ?? {})) continue;
      let lines: string[];
      try {
        // By ID: every name goes, then the image and the layers only it used.
        ({ lines } = await this.d.store.traced(op.trace).remove(img.id, { force: names.length > 1, isInUse: this.d.imageUser }));
      } catch (e) {
        if (e instanceof GlassError && ['IMAGE_IN_USE', 'NO_SUCH_IMAGE'].includes(e.code)) continue; // used or removed meanwhile
        throw e;
      }
      for (const line of lines) {
        const m = /^(Untagged|Deleted): (.*)$/.exec(line);
        if (!m) continue;
        if (m[1] === 'Untagged') {
          deleted.push({ untagged: m[2]! });
          this.d.events.record('image', 'untag', img.id, { name: m[2]! });
        } else {
          deleted.push({ deleted: m[2]! });
          this.d.events.record('image', 'delete', m[2]!, {});
          if (m[2] !== img.id) space += layerSizes.get(m[2]!) ?? 0;
        }
      }
    }
    this.d.events.record('image', 'prune', '', { reclaimed: String(space) });
    return { imagesDeleted: deleted, spaceReclaimed: space };
  }

  async import(source: string | NodeJS.ReadableStream, opts: ImportOptions & CallOptions = {}): Promise<{ id: string }> {
    const op = await this.begin('import', opts);
    const img = await this.d.store.traced(op.trace).importTarball(source, opts);
    this.d.events.record('image', 'import', img.id, img.repoTags[0] ? { name: img.repoTags[0] } : {});
    return { id: img.id };
  }

  async save(refs: string[], out: Writable, call?: CallOptions): Promise<SavedImage[]> {
    const op = await this.begin('save', call);
    const saved = await saveImages(op.trace, this.d.store.traced(op.trace), refs, out);
    // Docker names the image by its ID in a save event.
    for (const img of saved) this.d.events.record('image', 'save', img.id, { name: img.id });
    return saved;
  }

  async load(source: string | NodeJS.ReadableStream, opts: LoadOptions & CallOptions = {}): Promise<LoadedImage[]> {
    const op = await this.begin('load', opts);
    const loaded = await loadImages(op.trace, this.d.store.traced(op.trace), source, opts);
    // As Docker: one event per image, named by its ID.
    for (const img of loaded) this.d.events.record('image', 'load', img.id, { name: img.id });
    return loaded;
  }

  async push(ref: string, opts: PushOptions & CallOptions = {}): Promise<PushResult> {
    const op = await this.begin('push', opts);
    const result = await pushImage(this.d.store, ref, opts, op.trace);
    // Docker's push event: the pushed name:tag as the actor, the repository as its name.
    for (const p of result.pushed) this.d.events.record('image', 'push', `${result.repository}:${p.tag}`, { name: result.repository });
    return result;
  }

  async pull(ref: string, opts: PullOptions & CallOptions = {}): Promise<PullResult> {
    const op = await this.begin('pull', opts);
    const result = await pullImage(this.d.store.traced(op.trace), ref, opts, op.trace);
    // Docker's pull event: the reference pulled as the actor, its repository as the name.
    this.d.events.record('image', 'pull', result.repoTag, { name: result.repoTag.includes('@') ? result.repoTag.slice(0, result.repoTag.indexOf('@')) : result.repoTag.slice(0, result.repoTag.lastIndexOf(':')) });
    return result;
  }

  async commit(container: string, opts: CommitOptions & CallOptions = {}): Promise<{ id: string }> {
    return this.d.commit(container, opts);
  }

  async history(ref: string, call?: CallOptions): Promise<ImageHistoryItem[]> {
    await this.begin('history', call);
    const image = await this.d.store.lookup(ref);
    if (!image) throw new GlassError('NO_SUCH_IMAGE', `No such image: ${ref}`);
    const sizes = await Promise.all(image.layerDirs.map((d) => directorySize(d)));
    const all = new Map((await this.d.store.list()).map((i) => [i.id, i]));
    return imageHistory(image, sizes, (id) => all.get(id));
  }
}
