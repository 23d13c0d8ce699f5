import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { promisify } from 'node:util';

/**
 * A process as /proc shows it from the host: what `glass xray` and
 * `glass top` read. Nothing here changes anything; each function names the
 * file a learner would `cat` (or `readlink`) to see the same.
 */

/** /proc/<pid>/status: "Key:\tvalue" lines. */
export function parseStatus(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

export interface ProcessView {
  /** The PID as the host numbers it. */
  pid: number;
  /** The parent, as the host numbers it. */
  ppid: number;
  /** NSpid: its PID in each PID namespace it is in, the host's first, its own namespace's last. */
  nspid: number[];
  /** Name (comm) and the whole command line (empty for a zombie). */
  name: string;
  cmdline: string;
  /** State letter and word: "S (sleeping)". */
  state: string;
  /** Real and effective user and group IDs. */
  uid: number;
  euid: number;
  gid: number;
  groups: number[];
  /** Capability sets as the kernel writes them: 16 hex digits, bit N is capability N. */
  capEff: string;
  capPrm: string;
  capBnd: string;
  capInh: string;
  capAmb: string;
  /** 1: execve can never grant privileges again (setuid bits, file capabilities are ignored). */
  noNewPrivs: boolean;
  /** 0 none, 1 strict, 2 filter (a BPF program checks each system call). */
  seccomp: number;
  /** How many seccomp filters are stacked on it (Linux 5.9+ shows this). */
  seccompFilters?: number;
}

/** One process's view, or undefined when it has gone. */
export function processView(pid: number, proc = '/proc'): ProcessView | undefined {
  let st: Map<string, string>;
  let cmdline = '';
  try {
    st = parseStatus(readFileSync(`${proc}/${pid}/status`, 'utf8'));
    cmdline = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
  const ids = (k: string) => (st.get(k) ?? '').split(/\s+/).filter(Boolean).map(Number);
  const filters = st.get('Seccomp_filters');
  return {
    pid,
    ppid: Number(st.get('PPid') ?? 0),
    nspid: st.has('NSpid') ? ids('NSpid') : [pid],
    name: st.get('Name') ?? '?',
    cmdline,
    state: st.get('State') ?? '?',
    uid: ids('Uid')[0] ?? 0,
    euid: ids('Uid')[1] ?? 0,
    gid: ids('Gid')[0] ?? 0,
    groups: ids('Groups'),
    capEff: st.get('CapEff') ?? '0',
    capPrm: st.get('CapPrm') ?? '0',
    capBnd: st.get('CapBnd') ?? '0',
    capInh: st.get('CapInh') ?? '0',
    capAmb: st.get('CapAmb') ?? '0',
    noNewPrivs: st.get('NoNewPrivs') === '1',
    seccomp: Number(st.get('Seccomp') ?? 0),
    seccompFilters: filters === undefined ? undefined : Number(filters),
  };
}

/**
 * The capabilities, by bit number (linux/capability.h). A process's sets are
 * 64-bit masks; bit N set means it holds capability N.
 */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** "00000000a80425fb" → ['CAP_CHOWN', ...]: the names of the bits set (an unknown bit as CAP_<n>). */
export function decodeCapabilities(hex: string): string[] {
  const mask = BigInt(`0x${hex || '0'}`);
  const out: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) out.push(CAPABILITIES[bit] ?? `CAP_${bit}`);
  }
  return out;
}

export const SECCOMP_MODES = ['disabled', 'strict', 'filter'] as const;

/** The namespaces a process has links for in /proc/<pid>/ns, in the order a learner meets them. */
export const NAMESPACE_KINDS = ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup', 'user', 'time'] as const;
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number];

/** readlink /proc/<pid>/ns/<kind>: "net:[4026532290]". The number is the namespace's inode: equal inodes, one namespace. */
export function namespaceLink(pid: number, kind: NamespaceKind, proc = '/proc'): string | undefined {
  try {
    return readlinkSync(`${proc}/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

export function namespaceInode(link: string | undefined): number | undefined {
  const m = /\[(\d+)\]/.exec(link ?? '');
  return m ? Number(m[1]) : undefined;
}

/** /proc/<pid>/mountinfo: its mount namespace's mount table, paths as that process sees them. */
export function readProcessMountinfo(pid: number, proc = '/proc'): string {
  return readFileSync(`${proc}/${pid}/mountinfo`, 'utf8');
}

export interface NetInterface {
  name: string;
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/**
 * /proc/<pid>/net/dev: the interfaces of its network namespace, with their
 * counters. Two header lines, then "  name: rx-bytes rx-packets errs drop fifo
 * frame compressed multicast tx-bytes tx-packets ...".
 */
export function parseNetDev(text: string): NetInterface[] {
  const out: NetInterface[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    out.push({ name: line.slice(0, colon).trim(), rxBytes: f[0] ?? 0, rxPackets: f[1] ?? 0, txBytes: f[8] ?? 0, txPackets: f[9] ?? 0 });
  }
  return out;
}

export function readNetDev(pid: number, proc = '/proc'): NetInterface[] | undefined {
  try {
    return parseNetDev(readFileSync(`${proc}/${pid}/net/dev`, 'utf8'));
  } catch {
    return undefined;
  }
}

const execFileP = promisify(execFile);

/**
 * The host's `ps` for some processes, as Docker's daemon runs it for
 * `docker top`: `ps ARGS -q PID,PID...` (procps's -q selects by PID with
 * every other selection option still applying); some options (f) refuse -q,
 * so then `ps ARGS` alone, which the caller filters. Returns ps's output.
 */
export async function runPs(args: string[], pids: number[]): Promise<string> {
  const env = { ...process.env, LC_ALL: 'C' };
  try {
    return (await execFileP('ps', [...args, '-q', pids.join(',')], { env, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (first) {
    try {
      return (await execFileP('ps', args, { env, maxBuffer: 64 * 1024 * 1024 })).stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string; code?: number | string };
      if (err.code === 'ENOENT') throw Object.assign(new Error('ps is not installed on this host: install procps (apt-get install procps)'), { code: 'ENOENT' });
      throw Object.assign(new Error(`ps failed: ${(err.stderr || (first as Error).message).trim()}`), { psFailed: true });
    }
  }
}
