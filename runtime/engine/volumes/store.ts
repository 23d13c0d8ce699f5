import { mkdirSync, readdirSync, renameSync, rmSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { report, type Tracer } from '../../kernel/step.js';
import { readJsonIfExists, writeJson } from '../state/files.js';
import type { Paths } from '../state/paths.js';

/**
 * Volumes on disk, in Docker's layout:
 *
 *   <root>/volumes/<name>/_data          the files (what a container sees at its mount path)
 *   <root>/volumes/<name>/volume.json    glass's record: name, creation time, labels
 *
 * A volume is just a directory outside every container's layers: `rm` of a
 * container deletes its upperdir, never this. A directory without
 * volume.json is not (yet, or any longer) a volume: a create or a remove
 * that was cut short, finished by the next one.
 */
export interface VolumeRecord {
  Name: string;
  /** RFC 3339, seconds, UTC (Docker's CreatedAt). */
  CreatedAt: string;
  /** null for an anonymous volume or one made by `run -v` (as Docker shows them), {} or the labels for `volume create`. */
  Labels: Record<string, string> | null;
  /** Made for one container (`-v /path`, an image's VOLUME): `rm -v` removes it with that container. */
  Anonymous?: boolean;
}

export class VolumeStore {
  constructor(private readonly paths: Paths) {}

  get root(): string {
    return join(this.paths.root, 'volumes');
  }

  dir(name: string): string {
    return join(this.root, name);
  }

  /** Where the volume's files are: the Mountpoint inspect shows, the source of its bind mounts. */
  data(name: string): string {
    return join(this.dir(name), '_data');
  }

  /** The lock every change of the set of volumes takes (and container create, which uses them). */
  get lock(): string {
    return join(this.paths.root, 'locks', 'volumes');
  }

  async get(name: string): Promise<VolumeRecord | undefined> {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) return undefined; // never a path
    return readJsonIfExists<VolumeRecord>(join(this.dir(name), 'volume.json'));
  }

  async list(): Promise<VolumeRecord[]> {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    const out: VolumeRecord[] = [];
    for (const n of names) {
      const v = await this.get(n).catch(() => undefined);
      if (v) out.push(v);
    }
    return out;
  }

  /**
   * Make the volume (call under `lock`): its directory, _data (root-owned,
   * 0755, as Docker's), then volume.json last, so a half-made one never lists.
   */
  async create(trace: Tracer, name: string, labels: Record<string, string> | null, anonymous = false): Promise<VolumeRecord> {
    const dir = this.dir(name);
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, '_data'), { recursive: true, mode: 0o755 });
    const record: VolumeRecord = { Name: name, CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), Labels: labels, ...(anonymous ? { Anonymous: true } : {}) };
    await writeJson(join(dir, 'volume.json'), record);
    report(trace, {
      title: `Create the volume ${anonymous ? name.slice(0, 12) : name}`,
      why: 'A volume is a directory glass keeps outside every container\'s layers: what is written there outlives the container, and several containers can mount it at once.',
      command: `mkdir -p ${join(dir, '_data')}`,
    });
    return record;
  }

  /**
   * Delete the volume and its files (call under `lock`). volume.json goes
   * first (a rename out of the way), so the volume stops listing at once and
   * a removal cut short leaves only a directory the next one deletes.
   */
  remove(trace: Tracer, name: string): void {
    const dir = this.dir(name);
    const gone = join(this.root, `.removing-${name}`);
    rmSync(gone, { recursive: true, force: true });
    renameSync(dir, gone);
    report(trace, {
      title: `Delete the volume ${name.length === 64 ? name.slice(0, 12) : name} and its files`,
      why: 'The volume\'s data lives only in this directory; removing it is the one way a volume\'s files are deleted.',
      command: `rm -rf ${dir}`,
    });
    rmSync(gone, { recursive: true, force: true });
  }

  /** Bytes used by the files of a volume (du -sb, without following symlinks), for prune's "reclaimed space". */
  size(name: string): number {
    let total = 0;
    const walk = (p: string) => {
      let st;
      try {
        st = lstatSync(p);
      } catch {
        return;
      }
      if (st.isDirectory()) {
        for (const e of readdirSync(p)) walk(join(p, e));
      } else if (st.isSymbolicLink()) {
        total += readlinkSync(p).length;
      } else {
        total += st.size;
      }
    };
    walk(this.data(name));
    return total;
  }
}
