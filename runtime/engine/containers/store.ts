import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlassError } from '../errors.js';
import { readJson, readJsonIfExists, writeJson } from '../state/files.js';
import type { Paths } from '../state/paths.js';
import type { ContainerConfig, ContainerInfo, ContainerRunState, ExitRecord } from './types.js';
import { isSameProcessAlive, processStartTime } from '../../kernel/proc.js';
import { withLock } from '../state/lock.js';
import { statusOf } from './status.js';
import { isValidName } from './names.js';

const CREATING = 'creating';
const ownerMark = () => `${process.pid} ${processStartTime(process.pid) ?? ''}`;

const nameInUse = (name: string, owner: string) =>
  new GlassError(
    'NAME_IN_USE',
    `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
  );

/** A small file's trimmed text, or '' if it cannot be read. */
function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Containers on disk: one directory per id, and one file per name in
 * <root>/names holding the id that owns it.
 *
 * Creating a container is three atomic steps, so that a name is never lost
 * to a race and never stolen from a live create:
 *   1. its directory appears whole (made aside, then renamed into place),
 *      holding `creating` with the creator's pid and start time;
 *   2. the name is reserved: a complete file is hard-linked to names/<name>,
 *      which fails if that name exists (link(2), like O_EXCL, is atomic, and
 *      a reader never sees the file empty);
 *   3. config.json is written; from then on the container lists.
 * A name whose owner has neither a config nor a live creator was left by a
 * create or rm that was killed half-way: it is taken over (under a lock, so
 * two takers cannot both win).
 */
export class ContainerStore {
  constructor(private readonly paths: Paths) {}

  dir(id: string) { return this.paths.container(id); }
  private namesDir() { return join(this.paths.root, 'names'); }

  /** Step 1: the container's directory, with the creator's mark, in place at once. */
  createDir(id: string): string {
    const aside = join(this.paths.containers, `.new-${id}`);
    mkdirSync(aside, { recursive: true });
    writeFileSync(join(aside, CREATING), ownerMark());
    renameSync(aside, this.dir(id));
    return this.dir(id);
  }

  /** Step 3 is done: the container lists; the creator's mark goes. */
  created(id: string): void {
    rmSync(join(this.dir(id), CREATING), { force: true });
  }

  /** Step 2. NAME_IN_USE when a live container (or a live create) holds it. */
  async reserveName(name: string, id: string): Promise<void> {
    mkdirSync(this.namesDir(), { recursive: true });
    const file = join(this.namesDir(), name);
    const tmp = join(this.namesDir(), `.${id}.${process.pid}`);
    writeFileSync(tmp, id);
    try {
      for (;;) {
        try {
          linkSync(tmp, file);
          return;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const owner = readOr(file);
        if (owner && this.holds(owner)) throw nameInUse(name, owner);
        // Left by a create or rm that died half-way: take it over, one taker at a time.
        const taken = await withLock(join(this.namesDir(), '.lock'), async () => {
          const now = readOr(file);
          if (now && now !== owner) return false; // someone else took it meanwhile: look again
          renameSync(tmp, file);
          return true;
        });
        if (taken) return;
      }
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Does container `id` exist (listed) or is it being created by a live process? */
  private holds(id: string): boolean {
    const dir = this.dir(id);
    if (existsSync(join(dir, 'config.json'))) return true;
    const [pid, start] = readOr(join(dir, CREATING)).split(' ');
    return !!pid && isSameProcessAlive(Number(pid), start ? Number(start) : undefined);
  }

  async releaseName(name: string, id: string): Promise<void> {
    const file = join(this.namesDir(), name);
    if (readOr(file) === id) rmSync(file, { force: true });
  }

  async ids(): Promise<string[]> {
    try {
      const entries = readdirSync(this.paths.containers);
      return entries.filter((e) => /^[0-9a-f]{64}$/.test(e));
    } catch {
      return [];
    }
  }

  async readConfig(id: string): Promise<ContainerConfig> {
    return readJson<ContainerConfig>(join(this.dir(id), 'config.json'));
  }

  async writeConfig(c: ContainerConfig): Promise<void> {
    await writeJson(join(this.dir(c.id), 'config.json'), c);
  }

  async readState(id: string): Promise<ContainerRunState> {
    return (await readJsonIfExists<ContainerRunState>(join(this.dir(id), 'state.json'))) ?? { status: 'created', restartCount: 0 };
  }

  async writeState(id: string, s: ContainerRunState): Promise<void> {
    await writeJson(join(this.dir(id), 'state.json'), s);
  }

  async readExit(id: string): Promise<ExitRecord | undefined> {
    return readJsonIfExists<ExitRecord>(join(this.dir(id), 'exit.json'));
  }

  /** Read a container and work out its status from its state, its exit record and its shim. */
  async info(id: string): Promise<ContainerInfo | undefined> {
    let config: ContainerConfig;
    try {
      config = await this.readConfig(id);
    } catch {
      return undefined; // being created or removed right now
    }
    const state = await this.readState(id);
    const exit = state.status === 'created' ? undefined : await this.readExit(id);
    const alive = !exit && state.status === 'started' && !!state.shimPid && isSameProcessAlive(state.shimPid, state.shimStartTime);
    return statusOf(config, state, exit, alive);
  }

  /**
   * Find a container by full id, name, or unique id prefix — the same lookup
   * order as Docker.
   */
  async resolve(ref: string): Promise<string> {
    const ids = await this.ids();
    if (ids.includes(ref)) return ref;
    const name = ref.replace(/^\//, ''); // Docker shows names as "/web"
    const byName = isValidName(name) ? readOr(join(this.namesDir(), name)) : '';
    if (byName && ids.includes(byName)) return byName;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = ids.filter((id) => id.startsWith(ref));
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw new GlassError('AMBIGUOUS_ID', `multiple containers match the prefix "${ref}": give more characters of the ID`, 1);
    }
    throw new GlassError('NO_SUCH_CONTAINER', `No such container: ${ref}`, 1);
  }
}
