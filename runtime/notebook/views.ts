/**
 * A running container seen from the host, as tables: its processes with
 * both their PIDs, its namespaces against the host's, its cgroup, its mount
 * table, its writable layer. The engine says which process is the
 * container's; /proc and /sys/fs/cgroup say the rest.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseMountinfo } from '../engine/index.js';
import { NotebookError, oneLineErrors } from './errors.js';
import { cgroupDirs, cgroupLines, mountinfoOf, NAMESPACE_KINDS, namespaceInode, procInfo, processesInPidNamespaceOf, readCgroupFile, type ProcInfo } from './host-view.js';
import { session } from './session.js';
import { shorten } from './steps.js';
import { table, type Cell, type Table } from './table.js';

export interface ContainerProcess {
  ref: string;
  id: string;
  name: string;
  hostname: string;
  /** The container's first process (its PID 1), as the host numbers it. */
  pid: number;
}

/** The running container `ref` and its first process's host PID; a stopped one is refused in glass's words. */
export async function containerProcess(ref: string): Promise<ContainerProcess> {
  const s = await session();
  return oneLineErrors(s.root, async () => {
    const v = await s.engine.containers.get(ref);
    if (!v.running || !v.pid) throw new NotebookError(`glass: container ${ref} is not running: its processes and namespaces exist only while it runs`, 'CONTAINER_NOT_RUNNING', 1);
    return { ref, id: v.config.id, name: v.config.name, hostname: v.config.hostname, pid: v.pid };
  });
}

/** The processes of a container, as ProcInfo (host PID, NSpid, parent, command). */
export async function processesOf(ref: string): Promise<ProcInfo[]> {
  return processesInPidNamespaceOf((await containerProcess(ref)).pid);
}

const inside = (p: ProcInfo) => p.nspid[p.nspid.length - 1]!;

/** Host PID ↔ container PID of every process in the container (/proc/<pid>/status, NSpid). */
export async function pids(ref: string): Promise<Table> {
  const c = await containerProcess(ref);
  const procs = processesInPidNamespaceOf(c.pid);
  return table({
    title: `Processes of ${c.name}: one process, two numbers`,
    columns: ['PID on the host', 'PID in the container', 'parent (host PID)', 'command'],
    codeColumns: [3],
    rows: procs.map((p) => [p.pid, inside(p), p.ppid, p.cmdline || p.comm]),
    note: `From the NSpid line of /proc/<pid>/status (grep NSpid /proc/${c.pid}/status → "NSpid: ${c.pid} 1"): the host's number first, then the container's. The parent of PID 1 is the glass shim, outside the container.`,
  });
}

/**
 * The host and containers side by side: hostname, the first process's PID
 * from outside and inside, and the inode of each namespace (two processes
 * share a namespace exactly when the inodes are equal). Values that differ
 * from the host's are marked.
 */
export async function compare(refs: string[]): Promise<Table> {
  const cs: ContainerProcess[] = [];
  for (const r of refs) cs.push(await containerProcess(r));
  // The host's side is this process (the notebook's kernel): it runs in the namespaces glass started the containers from.
  const host = (k: (typeof NAMESPACE_KINDS)[number]) => namespaceInode('self', k);
  const me = procInfo(process.pid);
  const mark = (v: string | number | undefined, hostValue: string | number | undefined): Cell => (v === undefined ? '—' : { text: v, strong: v !== hostValue });
  const rows: Cell[][] = [
    ['hostname (UTS namespace)', hostname(), ...cs.map((c) => mark(c.hostname, hostname()))],
    ['a process (the kernel; each container\'s first), its PID seen from the host', process.pid, ...cs.map((c) => c.pid)],
    ['the same process, its PID as it sees itself (last NSpid)', me ? inside(me) : process.pid, ...cs.map((c) => mark(inside(procInfo(c.pid)!), undefined))],
    ...NAMESPACE_KINDS.map((k): Cell[] => [`${k} namespace inode`, host(k) ?? '—', ...cs.map((c) => mark(namespaceInode(c.pid, k), host(k)))]),
  ];
  return table({
    title: `The host and ${cs.map((c) => c.name).join(' and ')}, side by side`,
    columns: ['', 'host', ...cs.map((c) => c.name)],
    rows,
    note: `Namespace inodes from readlink /proc/<pid>/ns/<kind> (the host: this notebook's kernel, PID ${process.pid}; ${cs.map((c) => `${c.name}: ${c.pid}`).join(', ')}). Equal inode: the same namespace; a marked value is the container's own.`,
  });
}

/** Interesting files of a container's cgroup, with their values (v1: one directory per hierarchy; v2: one). */
const CGROUP_FILES = ['cgroup.procs', 'pids.current', 'pids.max', 'memory.current', 'memory.max', 'memory.usage_in_bytes', 'memory.limit_in_bytes', 'cpu.max', 'cpu.shares', 'cpu.weight', 'cgroup.controllers'];

export async function cgroup(ref: string): Promise<Table> {
  const s = await session();
  const c = await containerProcess(ref);
  const rows: Cell[][] = [];
  for (const l of cgroupLines(c.pid)) rows.push([`/proc/${c.pid}/cgroup`, `${l.hierarchy}:${l.controllers}:${shorten(l.path, s.root)}`]);
  for (const dir of cgroupDirs(c.pid)) {
    for (const f of CGROUP_FILES) {
      const v = readCgroupFile(join(dir, f));
      if (v !== undefined) rows.push([shorten(join(dir, f), s.root), v]);
    }
  }
  return table({
    title: `The cgroup of ${c.name}`,
    columns: ['file', 'value'],
    codeColumns: [0],
    rows,
    note: `cat /proc/${c.pid}/cgroup names the container's cgroup; its files under /sys/fs/cgroup hold its processes (cgroup.procs) and, later, its limits. Inside, the container's own cgroup namespace shows this path as /.`,
  });
}

/** The container's mount table, from its first process's /proc/<pid>/mountinfo (its own mount namespace). */
export async function mounts(ref: string): Promise<Table> {
  const s = await session();
  const c = await containerProcess(ref);
  const entries = parseMountinfo(mountinfoOf(c.pid));
  return table({
    title: `Mounts inside ${c.name} (its own mount namespace)`,
    columns: ['mount point', 'type', 'source', 'options'],
    codeColumns: [0, 3],
    rows: entries.map((e) => [e.mountPoint, e.fsType, shorten(e.source, s.root), shorten(e.superOptions, s.root)]),
    note: `cat /proc/${c.pid}/mountinfo. The host's own mount table (/proc/self/mountinfo) has none of these: they exist in the container's mount namespace only.`,
  });
}

export interface LayerDirs {
  lower: string[];
  upper: string;
  work: string;
  merged: string;
}

/** The overlay directories of a container (inspect's GraphDriver.Data), lowerdirs top first. */
export async function layerDirs(ref: string): Promise<LayerDirs> {
  const s = await session();
  return oneLineErrors(s.root, async () => {
    const i = (await s.engine.containers.inspect(ref)) as { GraphDriver: { Data: Record<string, string> } };
    const d = i.GraphDriver.Data;
    return { lower: (d.LowerDir ?? '').split(':').filter(Boolean), upper: d.UpperDir!, work: d.WorkDir!, merged: d.MergedDir! };
  });
}

export interface UpperEntry {
  path: string;
  kind: 'file' | 'directory' | 'symlink' | 'whiteout' | 'other';
  size: number;
}

/**
 * What a container changed, as its upperdir holds it: new and changed files,
 * and whiteouts — character devices 0/0 that overlayfs puts where a lower
 * file was deleted.
 */
export function walkUpper(dir: string, max = 200): UpperEntry[] {
  const out: UpperEntry[] = [];
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(dir, rel)).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (out.length >= max) return;
      const p = `${rel}/${n}`;
      const st = lstatSync(join(dir, p));
      const kind = st.isCharacterDevice() && st.rdev === 0 ? 'whiteout' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      out.push({ path: p, kind, size: st.size });
      if (kind === 'directory') walk(p);
    }
  };
  walk('');
  return out;
}

export async function upperdir(ref: string): Promise<Table> {
  const s = await session();
  const d = await layerDirs(ref);
  const what = { file: 'file (new or changed: copied up)', directory: 'directory', symlink: 'symlink', whiteout: 'whiteout: deleted from a lower layer', other: 'other' };
  return table({
    title: `The upperdir of ${ref}: everything it changed`,
    columns: ['path', 'what', 'bytes'],
    codeColumns: [0],
    rows: walkUpper(d.upper).map((e) => [e.path, e.kind === 'whiteout' ? { text: what.whiteout, strong: true } : what[e.kind], e.kind === 'file' ? e.size : '']),
    note: `ls -laR ${shorten(d.upper, s.root)} — a whiteout lists as "c---------  0, 0": a character device with device number 0/0.`,
  });
}
