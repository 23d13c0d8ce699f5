import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { GlassError } from '../errors.js';
import { readJson, writeJson } from '../state/files.js';
import type { Paths } from '../state/paths.js';
import type { ContainerConfig, ContainerInfo, ContainerRunState, ExitRecord, ShimRecord } from './types.js';
import { isSameProcessAlive, processStartTime, zombieExit } from '../../kernel/proc.js';
import { withLock } from '../state/lock.js';
import { brokenInfo, statusOf } from './status.js';
import { isValidName } from './names.js';

const CREATING = 'creating';
const ownerMark = () => `${process.pid} ${processStartTime(process.pid) ?? ''}`;

const nameInUse = (name: string, owner: string) =>
  new GlassError(
    'NAME_IN_USE',
    `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
  );

/**
 * A JSON record: its value; nothing if the file does not exist; or, if it
 * cannot be read or parsed (truncated by a crash, corrupted), what is wrong.
 */
function readRecord<T>(path: string): { value?: T; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? {} : { problem: `${basename(path)} cannot be read (${code ?? (e as Error).message})` };
  }
  try {
    const value = JSON.parse(text) as T;
    if (value && typeof value === 'object') return { value };
  } catch { /* below */ }
  return { problem: `${basename(path)} is damaged (${text.length ? 'not valid JSON' : 'empty'})` };
}

/**
 * The init has exited but its shim could not write exit.json yet (a full
 * disk): the shim leaves the init unreaped, so the kernel holds its exit
 * status, and retries the write. The engine reads the status from there.
 */
function pendingExit(shim: ShimRecord | undefined): ExitRecord | undefined {
  const z = shim && zombieExit(shim.initPid, shim.pid);
  return z && { ...z, finishedAt: new Date().toISOString(), pending: true };
}

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

  async writeState(id: string, s: ContainerRunState): Promise<void> {
    await writeJson(join(this.dir(id), 'state.json'), s);
  }

  /** The exit record, or undefined when there is none or it cannot be read. */
  async readExit(id: string): Promise<ExitRecord | undefined> {
    return readRecord<ExitRecord>(join(this.dir(id), 'exit.json')).value;
  }

  /**
   * Read a container and work out its status from its records (see
   * status.ts). A container whose files cannot be read is "broken": it is
   * still listed, and can be removed, and it never stops commands about
   * other containers. undefined: no container here (being created or removed).
   */
  async info(id: string): Promise<ContainerInfo | undefined> {
    const dir = this.dir(id);
    const config = readRecord<ContainerConfig>(join(dir, 'config.json'));
    const shim = readRecord<ShimRecord>(join(dir, 'shim.json'));
    if (!config.value) {
      if (!config.problem) return undefined;
      return brokenInfo(this.stubConfig(id), config.problem, shim.value);
    }
    const state = readRecord<ContainerRunState>(join(dir, 'state.json'));
    const exit = readRecord<ExitRecord>(join(dir, 'exit.json'));
    const problem = state.problem ?? shim.problem ?? exit.problem;
    if (problem) return brokenInfo(config.value, problem, shim.value);
    const st = state.value ?? { status: 'created', restartCount: 0 };
    const alive = shim.value
      ? isSameProcessAlive(shim.value.pid, shim.value.startTime)
      : st.status === 'started' && !!st.shimPid && isSameProcessAlive(st.shimPid, st.shimStartTime);
    return statusOf(config.value, { state: st, shim: shim.value, exit: exit.value ?? (alive ? pendingExit(shim.value) : undefined), shimAlive: alive });
  }

  /** What can still be said about a container whose config.json is unreadable: its id, its name, when its directory was made. */
  private stubConfig(id: string): ContainerConfig {
    let created = new Date(0).toISOString();
    try {
      created = statSync(this.dir(id)).mtime.toISOString();
    } catch { /* gone meanwhile */ }
    return {
      id, name: this.namesOf(id)[0] ?? '', created, image: '', imageId: '', layerDirs: [], path: '', args: [], hostname: '',
      env: [], cmd: null, entrypoint: null, workingDir: '', user: '', tty: false, openStdin: false, autoRemove: false,
    };
  }

  /** Every name that points at this container (normally one; a broken container's config cannot say which). */
  namesOf(id: string): string[] {
    try {
      return readdirSync(this.namesDir()).filter((n) => !n.startsWith('.') && readOr(join(this.namesDir(), n)) === id);
    } catch {
      return [];
    }
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
