import { posix } from 'node:path';
import { GlassError } from '../errors.js';

/**
 * Pure rules: what `-v`, `--mount`, `--tmpfs` and `--volumes-from` mean, with
 * Docker's parsing and Docker's error messages (moby volume/mounts
 * linux_parser.go, docker/cli opts/mount.go), checked before anything is made.
 *
 *   -v /data                 an anonymous volume at /data (64-hex name)
 *   -v data:/data[:ro]       the named volume "data" (created on first use)
 *   -v /host/dir:/data[:ro]  a bind mount of a host path (a source that is
 *                            not absolute is a volume name)
 *   --mount type=bind|volume|tmpfs,source=...,target=...,readonly,volume-nocopy
 *   --tmpfs /run[:size=64m,mode=1777]
 */

export type MountType = 'bind' | 'volume' | 'tmpfs';

/** One mount the user asked for, before volumes are looked up or created. */
export interface MountRequest {
  type: MountType;
  /** Host path (bind), volume name (named volume), or '' (anonymous volume, tmpfs). */
  source: string;
  /** Absolute, cleaned path inside the container. */
  destination: string;
  readOnly: boolean;
  /** Docker's MountPoint.Mode: the -v mode string as typed ("ro", "z", ""). */
  mode: string;
  /** Copy the image's files at the destination into the volume while it is empty (volumes only). */
  copy: boolean;
  /** tmpfs: the mount options (nosuid,nodev,noexec,size=...). */
  tmpfsOptions?: string;
  /** Where it came from, for inspect's HostConfig and the error messages. */
  from: 'bind' | 'mount' | 'anonymous' | 'tmpfs';
  /** bind from -v: a missing source is created (Docker 20.10's -v); from --mount it is an error. */
  createSource?: boolean;
  /** The --mount value as Docker's mount.Mount (HostConfig.Mounts). */
  spec?: DockerMount;
}

/** Docker's mount.Mount, as HostConfig.Mounts shows it. */
export interface DockerMount {
  Type: MountType;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** Go's path.Clean: no doubled or trailing slashes, no "." or ".." left. */
export const cleanPath = (p: string) => {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
};

const invalid = (message: string) => new GlassError('INVALID_ARGUMENT', message, 125);
const invalidSpec = (raw: string) => `invalid volume specification: '${raw}'`;
const mountConfig = (type: string, why: string) => `invalid mount config for type "${type}": ${why}`;

/** Volume names of the local driver (moby volume/local: validateName). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's words for a name the local driver refuses. */
export function checkVolumeName(name: string): void {
  if (!VOLUME_NAME.test(name)) {
    throw invalid(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

const RW_MODES = ['rw', 'ro'];
const LABEL_MODES = ['z', 'Z'];
const PROPAGATION_MODES = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const COPY_MODES = ['nocopy'];

/** moby's ValidMountMode: comma-separated, at most one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const seen = { rw: 0, label: 0, prop: 0, copy: 0 };
  for (const o of mode.split(',')) {
    if (RW_MODES.includes(o)) seen.rw++;
    else if (LABEL_MODES.includes(o)) seen.label++;
    else if (PROPAGATION_MODES.includes(o)) seen.prop++;
    else if (COPY_MODES.includes(o)) seen.copy++;
    else return false;
  }
  return seen.rw <= 1 && seen.label <= 1 && seen.prop <= 1 && seen.copy <= 1;
}

/**
 * Mount propagation (shared, slave) would let mounts made later on one side
 * appear on the other. glass makes every mount of a container private (the
 * shim's `mount --make-rprivate /`: nothing crosses between the container and
 * the host), so it refuses the other modes rather than ignore them.
 */
function checkPropagation(mode: string | undefined): void {
  if (mode && mode !== 'private' && mode !== 'rprivate') {
    throw invalid(`glass mounts every bind mount private (rprivate): propagation "${mode}" is not supported; leave it out`);
  }
}

/** The destination must be absolute and not "/" (validateAbsolute, validateNotRoot). */
function checkDestination(target: string): string | undefined {
  if (!target.startsWith('/')) return `invalid mount path: '${target}' mount path must be absolute`;
  if (cleanPath(target) === '/') return "invalid specification: destination can't be '/'";
  return undefined;
}

/** `-v` (`--volume`), as the Linux parser reads it: SRC:DST[:MODE], or DST alone. */
export function parseVolumeFlag(raw: string): MountRequest {
  if ((raw.match(/:/g)?.length ?? 0) > 2) throw invalid(invalidSpec(raw));
  const arr = raw.split(':');
  if (arr[0] === '') throw invalid(invalidSpec(raw));
  let source = '';
  let target: string;
  let mode = '';
  if (arr.length === 1) target = arr[0]!;
  else if (arr.length === 2) {
    // "/foo:rw" is a destination with a mode but no source: not a volume.
    if (validMountMode(arr[1]!)) throw invalid(invalidSpec(raw));
    [source, target] = [arr[0]!, arr[1]!];
  } else [source, target, mode] = [arr[0]!, arr[1]!, arr[2]!];
  if (!validMountMode(mode)) throw invalid(`invalid mode: ${mode}`);
  const modes = mode ? mode.split(',') : [];
  checkPropagation(modes.find((o) => PROPAGATION_MODES.includes(o)));
  const type: MountType = source.startsWith('/') ? 'bind' : 'volume';
  const problem = checkDestination(target);
  if (problem) throw invalid(`${invalidSpec(raw)}: ${mountConfig(type, problem)}`);
  if (type === 'bind' && modes.includes('nocopy')) throw invalid(`${invalidSpec(raw)}: ${mountConfig('bind', 'field VolumeOptions must not be specified')}`);
  if (type === 'volume' && source) checkVolumeName(source);
  return {
    type,
    source: type === 'bind' ? cleanPath(source) : source,
    destination: cleanPath(target),
    readOnly: modes.includes('ro'),
    // Docker shows "z" for a local volume given without a mode (setBindModeIfNull); an anonymous -v /x keeps "".
    mode: type === 'volume' && source && mode === '' ? 'z' : mode,
    copy: type === 'volume' && !modes.includes('nocopy'),
    from: source ? 'bind' : 'anonymous',
    createSource: type === 'bind',
  };
}

/** A --mount boolean: "readonly", "readonly=true|1|false|0". */
function mountBool(raw: string, key: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  switch (value.toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw invalid(`invalid argument "${raw}" for "--mount" flag: invalid value for ${key}: ${value}`);
  }
}

/** Go's strconv.ParseInt(s, 8, 32) for tmpfs-mode, near enough. */
function octal(s: string): number | undefined {
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : undefined;
}

/** Docker's RAMInBytes ("64m", "1g", "1024"), powers of 1024. */
export function sizeBytes(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(s.trim());
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[m[2]!.toLowerCase() as ''];
  return Math.floor(Number(m[1]) * unit);
}

/** `--mount`: comma-separated key=value fields (docker/cli opts/mount.go), then the daemon's checks. */
export function parseMountFlag(raw: string): MountRequest {
  const flagError = (why: string) => invalid(`invalid argument "${raw}" for "--mount" flag: ${why}`);
  const m: DockerMount = { Type: '' as MountType, Target: '' };
  let source = '';
  let nocopy = false;
  let readOnly = false;
  let propagation: string | undefined;
  const labels: Record<string, string> = {};
  let tmpfsSize: number | undefined;
  let tmpfsMode: number | undefined;
  for (const field of raw.split(',')) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    if (value === undefined && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive'].includes(key)) {
      throw flagError(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type':
        m.Type = value!.toLowerCase() as MountType;
        break;
      case 'source':
      case 'src':
        source = value!;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = value!;
        break;
      case 'readonly':
      case 'ro':
        readOnly = mountBool(raw, key, value);
        break;
      case 'volume-nocopy':
        nocopy = mountBool(raw, key, value);
        break;
      case 'bind-propagation':
        propagation = value!.toLowerCase();
        break;
      case 'volume-label': {
        const [k, ...v] = value!.split('=');
        labels[k!] = v.join('=');
        break;
      }
      case 'tmpfs-size': {
        tmpfsSize = sizeBytes(value!);
        if (tmpfsSize === undefined) throw flagError(`invalid value for ${key}: ${value}`);
        break;
      }
      case 'tmpfs-mode': {
        tmpfsMode = octal(value!);
        if (tmpfsMode === undefined) throw flagError(`invalid value for ${key}: ${value}`);
        break;
      }
      case 'consistency':
        break; // macOS only; accepted and ignored, as on Linux
      default:
        throw flagError(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Type) throw flagError('type is required');
  if (!m.Target) throw flagError('target is required');
  if (!['bind', 'volume', 'tmpfs'].includes(m.Type)) throw invalid(mountConfig(m.Type, 'mount type unknown'));
  if (source) m.Source = source;
  if (readOnly) m.ReadOnly = true;
  const problem = checkDestination(m.Target);
  if (problem) throw invalid(mountConfig(m.Type, problem));
  if (m.Type !== 'volume' && (nocopy || Object.keys(labels).length)) throw invalid(mountConfig(m.Type, 'field VolumeOptions must not be specified'));
  if (m.Type !== 'bind' && propagation) throw invalid(mountConfig(m.Type, 'field BindOptions must not be specified'));
  if (m.Type !== 'tmpfs' && (tmpfsSize !== undefined || tmpfsMode !== undefined)) throw invalid(mountConfig(m.Type, 'field TmpfsOptions must not be specified'));
  if (propagation && !PROPAGATION_MODES.includes(propagation)) throw flagError(`invalid value for bind-propagation: ${propagation}`);
  checkPropagation(propagation);
  if (m.Type === 'volume' && (nocopy || Object.keys(labels).length)) m.VolumeOptions = { ...(nocopy ? { NoCopy: true } : {}), ...(Object.keys(labels).length ? { Labels: labels } : {}) };
  if (m.Type === 'bind' && propagation) m.BindOptions = { Propagation: propagation };
  if (m.Type === 'tmpfs' && (tmpfsSize !== undefined || tmpfsMode !== undefined)) m.TmpfsOptions = { ...(tmpfsSize !== undefined ? { SizeBytes: tmpfsSize } : {}), ...(tmpfsMode !== undefined ? { Mode: tmpfsMode } : {}) };

  // Docker's field order: Type, Source, Target, ReadOnly, then the options.
  const { Type, Source, Target, ReadOnly, ...options } = m;
  const spec: DockerMount = { Type, ...(Source !== undefined ? { Source } : {}), Target, ...(ReadOnly ? { ReadOnly } : {}), ...options };
  const destination = cleanPath(m.Target);
  if (m.Type === 'bind') {
    if (!source) throw invalid(mountConfig('bind', 'field Source must not be empty'));
    if (!source.startsWith('/')) throw invalid(mountConfig('bind', `invalid mount path: '${source}' mount path must be absolute`));
    return { type: 'bind', source: cleanPath(source), destination, readOnly, mode: '', copy: false, from: 'mount', spec };
  }
  if (m.Type === 'volume') {
    if (source) checkVolumeName(source);
    return { type: 'volume', source, destination, readOnly, mode: 'z', copy: !nocopy, from: 'mount', spec };
  }
  if (source) throw invalid(mountConfig('tmpfs', 'field Source must not be specified'));
  const opts = [...(readOnly ? ['ro'] : []), ...tmpfsData(tmpfsSize, tmpfsMode)];
  return { type: 'tmpfs', source: '', destination, readOnly, mode: '', copy: false, tmpfsOptions: mergeTmpfsOptions(opts), from: 'mount', spec };
}

function tmpfsData(size?: number, mode?: number): string[] {
  return [...(size !== undefined ? [`size=${Math.floor(size / 1024)}k`] : []), ...(mode !== undefined ? [`mode=${mode.toString(8)}`] : [])];
}

/**
 * Docker mounts every tmpfs `noexec,nosuid,nodev` and appends the user's
 * options (moby MergeTmpfsOptions): a later flag wins over its opposite
 * (`exec` undoes `noexec`), a later size= or mode= over an earlier one.
 */
export function mergeTmpfsOptions(user: string[]): string {
  const opposite: Record<string, string> = { exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev', ro: 'rw', rw: 'ro' };
  const out: string[] = [];
  for (const o of ['noexec', 'nosuid', 'nodev', ...user]) {
    if (!o) continue;
    const key = o.includes('=') ? o.slice(0, o.indexOf('=') + 1) : o;
    const drop = (x: string) => x === opposite[o] || x === o || (key.endsWith('=') && x.startsWith(key));
    for (let i = out.length - 1; i >= 0; i--) if (drop(out[i]!)) out.splice(i, 1);
    out.push(o);
  }
  return out.join(',');
}

const TMPFS_OPTIONS = /^(ro|rw|exec|noexec|suid|nosuid|dev|nodev|sync|async|dirsync|atime|noatime|diratime|nodiratime|relatime|norelatime|strictatime|nostrictatime|private|rprivate|shared|rshared|slave|rslave|(size|mode|uid|gid|nr_inodes|nr_blocks|mpol)=[^,=]+)$/;

/** `--tmpfs /run[:OPTIONS]`. */
export function parseTmpfsFlag(raw: string): MountRequest {
  const colon = raw.indexOf(':');
  const target = colon < 0 ? raw : raw.slice(0, colon);
  const options = colon < 0 ? '' : raw.slice(colon + 1);
  const problem = checkDestination(target);
  if (problem) throw invalid(`invalid tmpfs specification: '${raw}': ${problem}`);
  const opts = options ? options.split(',') : [];
  for (const o of opts) if (!TMPFS_OPTIONS.test(o)) throw invalid(`invalid tmpfs option ["${o}"]`);
  return { type: 'tmpfs', source: '', destination: cleanPath(target), readOnly: opts.includes('ro'), mode: '', copy: false, tmpfsOptions: mergeTmpfsOptions(opts), from: 'tmpfs' };
}

/** `--volumes-from CONTAINER[:ro|rw]`. */
export function parseVolumesFrom(raw: string): { container: string; readOnly: boolean } {
  if (raw === '') throw invalid('volumes-from specification cannot be an empty string');
  const colon = raw.lastIndexOf(':');
  if (colon < 0) return { container: raw, readOnly: false };
  const mode = raw.slice(colon + 1);
  if (mode !== 'ro' && mode !== 'rw' && !(validMountMode(mode) && /(^|,)(ro|rw)(,|$)/.test(mode))) throw invalid(`invalid mode: ${mode}`);
  return { container: raw.slice(0, colon), readOnly: mode.split(',').includes('ro') };
}
