import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlassError } from '../errors.js';
import { readJson, readJsonIfExists, writeJson } from '../state/files.js';
import type { Paths } from '../state/paths.js';
import type { ContainerConfig, ContainerInfo, ContainerRunState, ExitRecord } from './types.js';
import { isSameProcessAlive } from '../../kernel/proc.js';
import { isValidName } from './names.js';

/** A small file's trimmed text, or '' if it cannot be read. */
function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Containers on disk: one directory per id. Names are reserved by creating
 * <root>/names/<name> with O_EXCL, so two concurrent creates cannot both
 * take one name.
 */
export class ContainerStore {
  constructor(private readonly paths: Paths) {}

  dir(id: string) { return this.paths.container(id); }
  private namesDir() { return join(this.paths.root, 'names'); }

  async reserveName(name: string, id: string): Promise<void> {
    mkdirSync(this.namesDir(), { recursive: true });
    try {
      writeFileSync(join(this.namesDir(), name), id, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOr(join(this.namesDir(), name));
      if (owner && !existsSync(join(this.dir(owner), 'config.json'))) {
        // Left over by a create that died half-way: take it over.
        writeFileSync(join(this.namesDir(), name), id);
        return;
      }
      throw new GlassError(
        'NAME_IN_USE',
        `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
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
    if (state.status === 'created') {
      return { config, state, status: 'created', running: false, pid: 0, exitCode: state.exitCode ?? 0 };
    }
    const exit = await this.readExit(id);
    if (exit) {
      return { config, state, status: 'exited', running: false, pid: 0, exitCode: exit.exitCode, startedAt: state.startedAt, finishedAt: exit.finishedAt };
    }
    if (state.shimPid && isSameProcessAlive(state.shimPid, state.shimStartTime)) {
      return { config, state, status: 'running', running: true, pid: state.pid ?? 0, exitCode: 0, startedAt: state.startedAt };
    }
    // The shim is gone without writing an exit record: the caller reconciles.
    return { config, state, status: 'dead', running: false, pid: 0, exitCode: state.exitCode ?? 255, startedAt: state.startedAt, finishedAt: state.finishedAt };
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
