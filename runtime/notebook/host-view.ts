/**
 * Looking at a container from the host, read-only, through /proc and
 * /sys/fs/cgroup — the files a learner would `cat` and `readlink` to see the
 * same (each view's note names the command). Nothing here changes the host:
 * glass's kernel layer does that; this only reads what it made.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The namespaces /proc/<pid>/ns lists, in the order a learner meets them. */
export const NAMESPACE_KINDS = ['pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup', 'user', 'time'] as const;
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number];

export interface ProcInfo {
  /** PID as the host sees it. */
  pid: number;
  /** Parent, as the host sees it. */
  ppid: number;
  /** NSpid: the PID in each nested PID namespace, outermost (the host's) first. */
  nspid: number[];
  /** The command name (/proc/<pid>/comm) and its full command line. */
  comm: string;
  cmdline: string;
}

function status(pid: number): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

/** One process, read from /proc/<pid>/status and cmdline; undefined when it is gone. */
export function procInfo(pid: number): ProcInfo | undefined {
  try {
    const st = status(pid);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return {
      pid,
      ppid: Number(st.get('PPid') ?? 0),
      nspid: (st.get('NSpid') ?? String(pid)).split(/\s+/).map(Number),
      comm: st.get('Name') ?? '?',
      cmdline,
    };
  } catch {
    return undefined;
  }
}

/** The inode of one of a process's namespaces: readlink /proc/<pid>/ns/net gives "net:[4026532290]". */
export function namespaceInode(pid: number | 'self', kind: NamespaceKind): number | undefined {
  try {
    const m = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Every process in the PID namespace `pid` lives in (its own and its descendants'), found by the namespace's inode. */
export function processesInPidNamespaceOf(pid: number): ProcInfo[] {
  const ns = namespaceInode(pid, 'pid');
  if (ns === undefined) return [];
  const out: ProcInfo[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const p = Number(e);
    if (namespaceInode(p, 'pid') !== ns) continue;
    const info = procInfo(p);
    if (info) out.push(info);
  }
  return out.sort((a, b) => (a.nspid.at(-1) ?? 0) - (b.nspid.at(-1) ?? 0));
}

/** /proc/<pid>/cgroup: "hierarchy-id:controllers:path" lines, as the host (outside the container's cgroup namespace) sees them. */
export function cgroupLines(pid: number): { hierarchy: string; controllers: string; path: string }[] {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [hierarchy = '', controllers = '', ...rest] = l.split(':');
      return { hierarchy, controllers, path: rest.join(':') };
    });
}

/**
 * The directories of a process's cgroup under /sys/fs/cgroup: one per v1
 * hierarchy (cpu,cpuacct, memory, pids...) or the one v2 directory.
 */
export function cgroupDirs(pid: number): string[] {
  const dirs: string[] = [];
  for (const { controllers, path } of cgroupLines(pid)) {
    if (!path.includes('glass-')) continue;
    const mount = controllers === '' ? (isDir('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup') : `/sys/fs/cgroup/${controllers.replace(/^name=/, '')}`;
    const dir = join(mount, path);
    if (isDir(dir)) dirs.push(dir);
  }
  return [...new Set(dirs)];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A cgroup file's value, trimmed; long files (stat lists) cut to their first lines. */
export function readCgroupFile(path: string, maxLines = 4): string | undefined {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    return lines.length > maxLines ? `${lines.slice(0, maxLines).join(' ')} … (${lines.length} lines)` : lines.join(' ');
  } catch {
    return undefined;
  }
}

/** A process's mount table (its mount namespace's), as /proc/<pid>/mountinfo has it. */
export function mountinfoOf(pid: number): string {
  return readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
}
