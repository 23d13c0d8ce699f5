import { execFile } from 'node:child_process';
import { promises as fs, lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { shellJoin } from './archive.js';
import { KernelError } from './errors.js';
import { report, step, type Tracer } from './step.js';

/**
 * Reading overlay layers from the host: a container's upperdir (what it
 * changed) and the image layers under it (what it started from).
 *
 * An upperdir is an ordinary directory, readable from the host whether the
 * container runs or not, holding only what the container wrote:
 *
 *   a new or changed file        the file itself (copied up whole on first write)
 *   a deleted file or directory  a character device 0/0 of the same name (a whiteout)
 *   a directory deleted and      the new directory, with the extended attribute
 *   made again                   trusted.overlay.opaque="y": nothing of the lower
 *                                layers' directory shows through it
 *
 * `glass diff` and `glass commit` read these marks; image layers unpacked by
 * glass carry the same marks (whiteouts.ts converts a layer tar's .wh. files).
 */

export type EntryKind = 'dir' | 'file' | 'symlink' | 'whiteout' | 'device' | 'fifo' | 'socket';

export interface LayerEntry {
  /** The path inside the container: "/etc/passwd". */
  path: string;
  kind: EntryKind;
  /** st_mode: type and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
  /** A directory whose lower contents overlayfs hides (trusted.overlay.opaque=y). */
  opaque?: boolean;
}

const OPAQUE_XATTR = 'trusted.overlay.opaque';
/** Overlay features whose upperdir is not self-contained (its content partly lives in the lower layers). */
const FOREIGN_XATTRS = ['trusted.overlay.redirect', 'trusted.overlay.metacopy'];

const execFileP = promisify(execFile);

function kindOf(st: BigIntStats): EntryKind {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return st.rdev === 0n ? 'whiteout' : 'device';
  if (st.isBlockDevice()) return 'device';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'file';
}

function entryOf(path: string, st: BigIntStats): LayerEntry {
  return { path, kind: kindOf(st), mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), size: Number(st.size), mtimeNs: st.mtimeNs };
}

/** Names in byte order (Go's sort, as Docker's walk uses), not UTF-16 order. */
function sortNames(names: string[]): string[] {
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * Every entry of an upperdir, depth first, the names of each directory in
 * byte order (a parent before its contents), with whiteouts and opaque
 * directories marked. Symlinks are read as links, never followed.
 */
export async function readUpperDir(trace: Tracer, upper: string): Promise<LayerEntry[]> {
  const getfattrArgs = ['-R', '-P', '--absolute-names', '-d', '-m', '^trusted\\.overlay\\.', upper];
  return step(
    trace,
    {
      title: "Read the container's upperdir",
      why:
        'Everything the container changed is in its upperdir, an ordinary directory on the host: new and changed files as themselves, ' +
        'a deleted file as a character device 0/0 of the same name (a whiteout), and a directory deleted and made again with the ' +
        `extended attribute ${OPAQUE_XATTR}="y" (opaque: nothing of the image's directory shows through it).`,
      command: `find ${shellJoin([upper])} -printf '%y %M %p\\n' && getfattr ${shellJoin(getfattrArgs)}`,
    },
    async () => {
      const entries: LayerEntry[] = [];
      // A running container may remove a file between readdir and lstat (diff does not freeze it): what is gone is skipped.
      const gone = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');
      const walk = async (dir: string, rel: string): Promise<void> => {
        let names: string[];
        try {
          names = sortNames(await fs.readdir(dir));
        } catch (e) {
          if (rel !== '/' && gone(e)) return;
          throw e;
        }
        for (const name of names) {
          const full = join(dir, name);
          const path = posix.join(rel, name);
          let st: BigIntStats;
          try {
            st = await fs.lstat(full, { bigint: true });
          } catch (e) {
            if (gone(e)) continue;
            throw e;
          }
          const entry = entryOf(path, st);
          entries.push(entry);
          if (entry.kind === 'dir') await walk(full, path);
        }
      };
      await walk(upper, '/');
      const attrs = await readOverlayXattrs(getfattrArgs);
      for (const [file, names] of attrs) {
        const foreign = FOREIGN_XATTRS.find((x) => names.has(x));
        if (foreign) {
          throw new KernelError(
            'KERNEL',
            `${file} carries ${foreign}: overlayfs keeps part of this change in the lower layers (redirect_dir or metacopy is on), so the upperdir alone does not hold it; glass reads upperdirs made with redirect_dir=off and metacopy=off`,
          );
        }
      }
      for (const e of entries) if (e.kind === 'dir' && attrs.get(join(upper, e.path))?.get(OPAQUE_XATTR) === '"y"') e.opaque = true;
      return entries;
    },
  );
}

/** `getfattr -d` output: file → (xattr name → value as printed). */
async function readOverlayXattrs(args: string[]): Promise<Map<string, Map<string, string>>> {
  let stdout: string;
  try {
    ({ stdout } = await execFileP('getfattr', args, { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 256 * 1024 * 1024 }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new KernelError('KERNEL', 'getfattr is not installed: install the attr package (apt-get install attr), which reads the overlay marks of a layer');
    // A file that went away meanwhile (a running container) is reported but does not spoil the rest.
    if (typeof err.stdout !== 'string') throw new KernelError('KERNEL', `getfattr failed: ${String(err.stderr ?? err.message).trim().split('\n')[0]}`);
    stdout = err.stdout;
  }
  return parseGetfattr(stdout);
}

/** Parse `getfattr -d --absolute-names` output (names escaped as \ooo octal, C locale). */
export function parseGetfattr(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      current = new Map();
      out.set(unescapeGetfattr(line.slice('# file: '.length)), current);
    } else if (current && line) {
      const eq = line.indexOf('=');
      if (eq > 0) current.set(line.slice(0, eq), line.slice(eq + 1));
      else current.set(line, '');
    }
  }
  return out;
}

/** getfattr prints a byte that is not printable ASCII, and the backslash, as \ooo. */
export function unescapeGetfattr(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = /^\\([0-7]{3})/.exec(s.slice(i, i + 4));
    if (m) {
      bytes.push(parseInt(m[1]!, 8));
      i += 3;
    } else if (s[i] === '\\' && s[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 1;
    } else {
      for (const b of Buffer.from(s[i]!)) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The image's layers as the container saw them before it changed anything (overlayfs's merge of the lowerdirs). */
export interface LowerView {
  /** The entry at `path` as the merged lower layers show it, or undefined if none shows. */
  lookup(path: string): LayerEntry | undefined;
  /** The names a merged lower directory shows (whiteouts and what opaque directories hide left out), in byte order. */
  children(path: string): string[];
}

/**
 * The merged view of image layers (top first), for the paths an upperdir
 * names. A path shows from the topmost layer that has it, unless a layer
 * above deletes it (a whiteout on it or on a parent) or makes a parent
 * opaque. Which lower directories are opaque is read once, for the
 * directories `dirs` (every directory the upperdir names, and their
 * parents), with one getfattr call.
 */
export async function openLowerView(trace: Tracer, layersTopFirst: string[], dirs: string[]): Promise<LowerView> {
  const candidates: string[] = [];
  for (const layer of layersTopFirst) {
    for (const d of dirs) {
      const full = join(layer, d);
      try {
        if (lstatSync(full).isDirectory()) candidates.push(full);
      } catch { /* not in this layer */ }
    }
  }
  const opaque = new Set<string>();
  // Chunks keep each command line well under the kernel's argument limit.
  for (let i = 0; i < candidates.length; i += 2000) {
    const args = ['-P', '--absolute-names', '-d', '-m', '^trusted\\.overlay\\.opaque$', ...candidates.slice(i, i + 2000)];
    for (const [file, names] of await readOverlayXattrs(args)) if (names.get(OPAQUE_XATTR) === '"y"') opaque.add(file);
  }
  if (candidates.length) {
    report(trace, {
      title: "Read which of the image layers' directories are opaque",
      why: 'A layer that replaced a directory whole hides every lower layer\'s copy of it: to know what the container started from, glass merges the layers as overlayfs does.',
      command: shellJoin(['getfattr', '-P', '--absolute-names', '-d', '-m', '^trusted\\.overlay\\.opaque$', ...candidates.slice(0, 3)]) + (candidates.length > 3 ? ' ...' : ''),
    });
  }
  // Each lookup checks every parent in every layer: the same few directories again and again.
  const seen = new Map<string, BigIntStats | undefined>();
  const lstat = (full: string) => {
    if (seen.has(full)) return seen.get(full);
    let st: BigIntStats | undefined;
    try {
      st = lstatSync(full, { bigint: true });
    } catch {
      st = undefined;
    }
    seen.set(full, st);
    return st;
  };
  /** How `path` shows in one layer: absent, hidden (a whiteout on it or a parent), or its entry; and whether the layers below still show through. */
  const inLayer = (layer: string, path: string): { entry?: LayerEntry; hidden: boolean; stop: boolean } => {
    const parts = path.split('/').filter(Boolean);
    let rel = '/';
    // Below a directory this layer made opaque, the layers under it show nothing.
    let opaqueAbove = false;
    for (let i = 0; i < parts.length - 1; i++) {
      rel = posix.join(rel, parts[i]!);
      const st = lstat(join(layer, rel));
      if (!st) return { hidden: false, stop: opaqueAbove };
      if (!st.isDirectory()) return { hidden: true, stop: true }; // a whiteout or a file replaces the parent
      if (opaque.has(join(layer, rel))) opaqueAbove = true;
    }
    const st = lstat(join(layer, path));
    if (!st) return { hidden: false, stop: opaqueAbove };
    if (kindOf(st) === 'whiteout') return { hidden: true, stop: true };
    return { entry: { ...entryOf(path, st), opaque: opaque.has(join(layer, path)) || undefined }, hidden: false, stop: true };
  };
  const lookup = (path: string): LayerEntry | undefined => {
    for (const layer of layersTopFirst) {
      const r = inLayer(layer, path);
      if (r.entry) return r.entry;
      if (r.stop) return undefined;
    }
    return undefined;
  };
  return {
    lookup,
    children(path) {
      const names = new Set<string>();
      const gone = new Set<string>();
      for (const layer of layersTopFirst) {
        const r = inLayer(layer, path);
        if (r.hidden) break;
        if (!r.entry) {
          if (r.stop) break;
          continue;
        }
        if (r.entry.kind !== 'dir') break;
        let listed: string[] = [];
        try {
          listed = readdirSync(join(layer, path));
        } catch { /* unreadable: shows nothing */ }
        for (const name of listed) {
          if (names.has(name) || gone.has(name)) continue;
          const st = lstat(join(layer, path, name));
          if (st && kindOf(st) === 'whiteout') gone.add(name);
          else names.add(name);
        }
        if (r.entry.opaque) break;
      }
      return sortNames([...names]);
    },
  };
}

/**
 * Build, in `stage`, the tree an OCI layer tar of these upperdir entries
 * holds: files, symlinks and device nodes hard-linked from the upperdir
 * (no copy: tar reads them once), directories made with the same owner,
 * mode and time, each whiteout as an empty `.wh.NAME` file and each opaque
 * directory with an empty `.wh..wh..opq` inside. `entries` come parent first.
 * The upperdir and `stage` must be on one filesystem (both are under the state root).
 */
export async function stageOciLayer(trace: Tracer, upper: string, stage: string, entries: LayerEntry[]): Promise<{ whiteouts: string[]; opaque: string[] }> {
  const whiteouts: string[] = [];
  const opaqueDirs: string[] = [];
  for (const e of entries) {
    const base = posix.basename(e.path);
    if (e.kind !== 'whiteout' && base.startsWith('.wh.')) {
      throw new KernelError(
        'INVALID_ARGUMENT',
        `${e.path} cannot go into an image layer: a name starting with .wh. marks a deleted file in a layer tar; rename it in the container first`,
      );
    }
    if (e.kind === 'whiteout') whiteouts.push(e.path);
    if (e.opaque) opaqueDirs.push(e.path);
  }
  const examples = [...whiteouts.map((p) => posix.join(posix.dirname(p), `.wh.${posix.basename(p)}`)), ...opaqueDirs.map((d) => posix.join(d, '.wh..wh..opq'))];
  await step(
    trace,
    {
      title: "Turn the upperdir's overlay marks into OCI whiteout files",
      why:
        'A tar cannot hold a character device that means "deleted", so image layers use names instead: a whiteout of NAME becomes an empty file .wh.NAME, ' +
        'and an opaque directory gets an empty .wh..wh..opq inside. Everything else is hard-linked from the upperdir, so nothing is copied.',
      command: `cp -al ${shellJoin([upper])}/. ${shellJoin([stage])}/` + (examples.length ? ` && touch ${examples.slice(0, 4).map((p) => shellJoin([stage + p])).join(' ')}${examples.length > 4 ? ' ...' : ''}` : ''),
    },
    async () => {
      const dirs: LayerEntry[] = [];
      for (const e of entries) {
        const target = join(stage, e.path);
        if (e.kind === 'dir') {
          await fs.mkdir(target);
          await fs.chown(target, e.uid, e.gid);
          await fs.chmod(target, e.mode & 0o7777);
          dirs.push(e);
          if (e.opaque) await emptyFile(join(target, '.wh..wh..opq'), e.mode & 0o777, e);
        } else if (e.kind === 'whiteout') {
          // Docker's converter writes whiteout files with mode 0600 and the whiteout's owner and time.
          await emptyFile(join(stage, posix.dirname(e.path), `.wh.${posix.basename(e.path)}`), 0o600, e);
        } else {
          try {
            await fs.link(join(upper, e.path), target);
          } catch (err) {
            // Removed meanwhile by a container committed with --pause=false: it is not in the layer (Docker skips it too).
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          }
        }
      }
      // Directory times last, deepest first: creating entries inside a directory changes its mtime.
      for (const d of dirs.reverse()) await setTime(join(stage, d.path), d.mtimeNs);
    },
  );
  return { whiteouts, opaque: opaqueDirs };
}

async function emptyFile(path: string, mode: number, like: LayerEntry): Promise<void> {
  await fs.writeFile(path, '', { mode, flag: 'wx' });
  await fs.chown(path, like.uid, like.gid);
  await fs.chmod(path, mode);
  await setTime(path, like.mtimeNs);
}

async function setTime(path: string, ns: bigint): Promise<void> {
  const t = Number(ns / 1000n) / 1e6; // seconds, microsecond precision
  await fs.lutimes(path, t, t);
}
