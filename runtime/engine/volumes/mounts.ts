import { existsSync, mkdirSync } from 'node:fs';
import { report, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import { newId } from '../containers/names.js';
import { cleanPath, parseMountFlag, parseTmpfsFlag, parseVolumeFlag, parseVolumesFrom, type DockerMount, type MountRequest, type MountType } from './spec.js';
import type { VolumeStore } from './store.js';

/**
 * A container's mounts: what `-v`, `--mount`, `--tmpfs`, `--volumes-from`
 * and the image's VOLUME entries resolve to at create, kept in its config,
 * sent to the shim at every start (the `mount` keys, native/volumes.c) and
 * shown by inspect in Docker's shape.
 */
export interface ContainerMount {
  type: MountType;
  /** The volume's name (volumes only). */
  name?: string;
  /** The host path mounted: a volume's _data, a bind's source; '' for tmpfs. */
  source: string;
  destination: string;
  readOnly: boolean;
  /** Docker's Mode ("z" for a named local volume, "ro" as typed, "" otherwise). */
  mode: string;
  /** Docker's Propagation: "rprivate" for binds, "" for volumes. */
  propagation: string;
  /** Pre-fill the volume from the image while it is empty (native/volumes.c copy_up). */
  copy: boolean;
  /** An anonymous volume (`-v /path`, VOLUME): `rm -v` and `--rm` remove it; a named one never. */
  anonymous?: boolean;
  /** tmpfs mount options. */
  tmpfsOptions?: string;
  /** A -v bind whose source is created when missing (Docker 20.10's -v; --mount refuses instead). */
  createSource?: boolean;
  /** From --tmpfs: Docker lists it in HostConfig.Tmpfs only, not in Mounts. */
  tmpfsFlag?: boolean;
}

/** What a container was created with, as inspect's HostConfig and Config show it. */
export interface MountFlags {
  /** HostConfig.Binds: the -v values that have a source. */
  binds?: string[];
  /** HostConfig.Mounts. */
  mounts?: DockerMount[];
  /** HostConfig.Tmpfs: destination → options. */
  tmpfs?: Record<string, string>;
  /** HostConfig.VolumesFrom. */
  volumesFrom?: string[];
  /** Config.Volumes: anonymous volume paths (-v /path and the image's VOLUME). */
  volumes?: string[];
}

export interface MountOptions {
  /** -v values. A relative bind source ("./dir") must be made absolute by the client, as Docker's CLI does. */
  volumes?: string[];
  /** --mount values (comma-separated key=value). */
  mounts?: string[];
  /** --tmpfs values. */
  tmpfs?: string[];
  /** --volumes-from values: CONTAINER[:ro|rw]. */
  volumesFrom?: string[];
}

const duplicate = (dest: string) => new GlassError('INVALID_ARGUMENT', `Duplicate mount point: ${dest}`, 125);

export interface PlannedMounts {
  requests: MountRequest[];
  fromContainers: ContainerMount[];
  anonymous: string[];
  flags: MountFlags;
}

/**
 * Parse and check everything first (Docker's rules and words), before any
 * volume or directory is made: a bad flag leaves nothing behind.
 * `mountsOf(ref)` gives the mounts of a --volumes-from container.
 */
export async function planMounts(opts: MountOptions, imageVolumes: string[], mountsOf: (ref: string) => Promise<ContainerMount[]>): Promise<PlannedMounts> {
  const binds: MountRequest[] = [];
  const anonymous: string[] = [];
  const flags: MountFlags = {};
  for (const raw of opts.volumes ?? []) {
    const r = parseVolumeFlag(raw);
    if (r.from === 'anonymous') {
      if (!anonymous.includes(r.destination)) anonymous.push(r.destination);
      continue;
    }
    if (binds.some((b) => b.destination === r.destination)) throw duplicate(r.destination);
    binds.push(r);
    (flags.binds ??= []).push(raw);
  }
  const mounts = (opts.mounts ?? []).map(parseMountFlag);
  const tmpfs = (opts.tmpfs ?? []).map(parseTmpfsFlag);
  for (const m of [...mounts, ...tmpfs]) {
    if ([...binds, ...mounts, ...tmpfs].some((o) => o !== m && o.destination === m.destination)) throw duplicate(m.destination);
  }
  for (const m of mounts) {
    // --mount type=bind never creates its source: Docker's error instead.
    if (m.type === 'bind' && !existsSync(m.source)) {
      throw new GlassError('INVALID_ARGUMENT', `invalid mount config for type "bind": bind source path does not exist: ${m.source}`, 125);
    }
    (flags.mounts ??= []).push(m.spec!);
  }
  for (const t of tmpfs) (flags.tmpfs ??= {})[t.destination] = (opts.tmpfs ?? []).find((raw) => cleanPath(raw.split(':')[0]!) === t.destination)?.split(':').slice(1).join(':') ?? '';
  const fromContainers: ContainerMount[] = [];
  for (const raw of opts.volumesFrom ?? []) {
    const { container, readOnly } = parseVolumesFrom(raw);
    for (const m of await mountsOf(container)) {
      // Docker copies the other container's mount points, read-only if asked, never pre-filled again.
      fromContainers.push({ ...m, readOnly: m.readOnly || readOnly, mode: '', copy: false, createSource: false });
    }
    (flags.volumesFrom ??= []).push(raw);
  }
  for (const v of imageVolumes) {
    const dest = cleanPath(v);
    if (dest.startsWith('/') && dest !== '/' && !anonymous.includes(dest)) anonymous.push(dest);
  }
  if (anonymous.length) flags.volumes = anonymous;
  return { requests: [...binds, ...mounts, ...tmpfs], fromContainers, anonymous, flags };
}

/**
 * Make what the mounts need (call under the volume store's lock): named
 * volumes on first use, a new anonymous volume for each `-v /path` and VOLUME
 * not already covered, and the source of a `-v` bind that does not exist yet
 * (Docker 20.10's -v creates it). Docker's order: --volumes-from first, then
 * -v and --mount over them, then anonymous volumes where nothing is mounted.
 * `made` receives every volume created here, so a failed create removes them.
 */
export async function makeMounts(trace: Tracer, plan: PlannedMounts, store: VolumeStore, made: { name: string; anonymous: boolean }[]): Promise<ContainerMount[]> {
  const byDest = new Map<string, ContainerMount>();
  for (const m of plan.fromContainers) byDest.set(m.destination, m);
  const volume = async (name: string, anonymous: boolean, labels: Record<string, string> | null = null) => {
    if (!(await store.get(name))) {
      await store.create(trace, name, labels, anonymous);
      made.push({ name, anonymous });
    }
    return store.data(name);
  };
  for (const r of plan.requests) {
    if (r.type === 'bind') {
      if (r.createSource && !existsSync(r.source)) {
        mkdirSync(r.source, { recursive: true, mode: 0o755 });
        report(trace, { title: `Create the missing bind source ${r.source}`, why: 'Docker\'s -v creates a host directory that does not exist yet (--mount refuses instead).', command: `mkdir -p ${r.source}` });
      }
      byDest.set(r.destination, { type: 'bind', source: r.source, destination: r.destination, readOnly: r.readOnly, mode: r.mode, propagation: 'rprivate', copy: false, ...(r.createSource ? { createSource: true } : {}) });
    } else if (r.type === 'volume') {
      const anonymous = !r.source;
      const name = r.source || newId();
      byDest.set(r.destination, { type: 'volume', name, source: await volume(name, anonymous, r.spec?.VolumeOptions?.Labels ?? null), destination: r.destination, readOnly: r.readOnly, mode: r.mode, propagation: '', copy: r.copy, ...(anonymous ? { anonymous } : {}) });
    } else {
      byDest.set(r.destination, { type: 'tmpfs', source: '', destination: r.destination, readOnly: r.readOnly, mode: '', propagation: '', copy: false, tmpfsOptions: r.tmpfsOptions, ...(r.from === 'tmpfs' ? { tmpfsFlag: true } : {}) });
    }
  }
  for (const dest of plan.anonymous) {
    if (byDest.has(dest)) continue; // something else is mounted there: not an error (it may be the image's VOLUME)
    const name = newId();
    byDest.set(dest, { type: 'volume', name, source: await volume(name, true), destination: dest, readOnly: false, mode: '', propagation: '', copy: true, anonymous: true });
  }
  return sortMounts([...byDest.values()]);
}

/** Parents before children (/a before /a/b), as Docker sorts them: a mount below another lands on top of it. */
export function sortMounts(mounts: ContainerMount[]): ContainerMount[] {
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  return [...mounts].sort((a, b) => depth(a.destination) - depth(b.destination) || (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
}

/**
 * Before each start: the sources must still be there. A -v bind's missing
 * source is made again (as Docker does at start); a --mount bind's is an error.
 */
export function checkSources(trace: Tracer, mounts: ContainerMount[]): void {
  for (const m of mounts) {
    if (m.type === 'tmpfs' || existsSync(m.source)) continue;
    if (m.type === 'bind' && m.createSource) {
      mkdirSync(m.source, { recursive: true, mode: 0o755 });
      report(trace, { title: `Create the missing bind source ${m.source}`, why: 'Docker\'s -v creates a host directory that does not exist yet.', command: `mkdir -p ${m.source}` });
      continue;
    }
    if (m.type === 'bind') throw new GlassError('INVALID_ARGUMENT', `invalid mount config for type "bind": bind source path does not exist: ${m.source}`, 125);
    throw new GlassError('INVALID_ARGUMENT', `the volume ${m.name} of ${m.destination} is gone (${m.source} does not exist): remove the container and create it again`, 125);
  }
}

/** The shim's `mount` keys (native/volumes.c): type, source, destination, options. */
export function mountSpecPairs(mounts: ContainerMount[]): [string, string][] {
  return sortMounts(mounts).map((m) => {
    if (m.type === 'tmpfs') return ['mount', `tmpfs\ttmpfs\t${m.destination}\t${m.tmpfsOptions ?? 'noexec,nosuid,nodev'}`];
    const opts = [m.readOnly ? 'ro' : 'rw', ...(m.copy && m.type === 'volume' ? ['copy'] : [])];
    return ['mount', `${m.type}\t${m.source}\t${m.destination}\t${opts.join(',')}`];
  });
}

/** Docker's MountPoint, as inspect's Mounts lists it (tmpfs from --tmpfs is not listed, as in Docker). */
export function inspectMounts(mounts: ContainerMount[] | undefined): Record<string, unknown>[] {
  return (mounts ?? [])
    .filter((m) => !m.tmpfsFlag)
    .map((m) => ({
      Type: m.type,
      ...(m.name ? { Name: m.name } : {}),
      Source: m.source,
      Destination: m.destination,
      ...(m.type === 'volume' ? { Driver: 'local' } : {}),
      Mode: m.mode,
      RW: !m.readOnly,
      Propagation: m.propagation,
    }));
}

/** The destinations of a container's volumes, binds and tmpfs mounts: `diff` and `commit` leave these paths out (their files are not in the container's layer). */
export function volumeDestinations(mounts: ContainerMount[] | undefined): string[] {
  return (mounts ?? []).map((m) => m.destination);
}

/**
 * Where a path inside the container really is when a mount covers it: the
 * deepest mount whose destination is the path or a parent of it, and the path
 * below that mount. For `cp` into or out of a container (a volume's files are
 * not in its layers). undefined: no mount covers it (or it is a tmpfs, which
 * exists only inside the running container).
 */
export function mountFor(mounts: ContainerMount[] | undefined, path: string): { mount: ContainerMount; rest: string } | undefined {
  const p = cleanPath(`/${path}`);
  let best: ContainerMount | undefined;
  for (const m of mounts ?? []) {
    if ((p === m.destination || p.startsWith(m.destination === '/' ? '/' : `${m.destination}/`)) && (!best || m.destination.length > best.destination.length)) best = m;
  }
  if (!best || best.type === 'tmpfs') return undefined;
  return { mount: best, rest: p.slice(best.destination.length).replace(/^\//, '') };
}

/** Whether the user mounted something at exactly `dest`: the runtime's own /etc file of that name is then left out, as in Docker. */
export function mountedAt(mounts: ContainerMount[] | undefined, dest: string): boolean {
  return (mounts ?? []).some((m) => m.destination === dest);
}
