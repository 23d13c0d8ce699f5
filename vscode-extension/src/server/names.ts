/**
 * Live names for completion: the containers and images in the glass state
 * root, through the Engine's public surface (nothing here reads its files).
 * A root that does not exist yet is not created: the server only looks.
 * A root it cannot read (the editor runs as a user, the root is root's)
 * gives no names, quietly.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, shortId } from '../../../runtime/engine/index.js';

export interface LiveName {
  name: string;
  detail: string;
}

export interface LiveNames {
  containers: LiveName[];
  images: LiveName[];
}

const FRESH_MS = 1500;

export class NameSource {
  private cached?: { at: number; names: Promise<LiveNames> };
  constructor(private root: string) {}

  setRoot(root: string): void {
    this.root = root;
    this.cached = undefined;
  }

  get(): Promise<LiveNames> {
    if (this.cached && Date.now() - this.cached.at < FRESH_MS) return this.cached.names;
    const names = this.read();
    this.cached = { at: Date.now(), names };
    return names;
  }

  private async read(): Promise<LiveNames> {
    const none: LiveNames = { containers: [], images: [] };
    if (!existsSync(join(this.root, 'glass-root.json'))) return none;
    try {
      const engine = createEngine({ root: this.root });
      const [containers, images] = await Promise.all([engine.containers.list({ all: true }), engine.images.list().catch(() => [])]);
      return {
        containers: containers.flatMap((c) => {
          const name = c.Names[0]?.replace(/^\//, '');
          const detail = `${c.Status} · ${c.Image} · ${shortId(c.Id)}`;
          return name ? [{ name, detail }] : [];
        }),
        images: images.filter((i) => i.RepoTag !== '<none>:<none>').map((i) => ({ name: i.Tag === 'latest' ? i.Repository : i.RepoTag, detail: `image ${shortId(i.Id)}` })),
      };
    } catch {
      return none;
    }
  }
}
