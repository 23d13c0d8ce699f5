import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerCgroup } from './driver.js';
import { hostCgroupFs, type CgroupFs } from './fs.js';
import type { CgroupLayout } from './layout.js';

/**
 * What a container uses, read from its cgroup's own counters: the kernel
 * accounts every CPU nanosecond, every page and every task of a cgroup, and
 * `glass stats` (like `docker stats`) only reads those files. The same
 * numbers live in different files on the two cgroup versions:
 *
 *   counter        cgroup v1 (one tree per controller)        cgroup v2 (one tree)
 *   CPU time       cpuacct/…/cpuacct.usage (ns)                cpu.stat usage_usec (µs)
 *   memory         memory/…/memory.usage_in_bytes              memory.current
 *   page cache     memory.stat total_inactive_file             memory.stat inactive_file
 *   memory limit   memory.limit_in_bytes                       memory.max ("max": none)
 *   tasks          pids/…/pids.current                         pids.current
 *   block I/O      blkio.throttle.io_service_bytes[_recursive] io.stat rbytes= wbytes=
 *
 * Every value is returned with the file it came from, so a learner can `cat`
 * the same file (`glass xray` prints them).
 */

/** One file read, and what it held (trimmed; a long file as the lines that were used). */
export interface CgroupFileValue {
  path: string;
  value: string;
}

export interface CgroupUsage {
  /** CPU time used by the cgroup's tasks since it was made, in nanoseconds. */
  cpuNs?: number;
  /** Memory charged to the cgroup, page cache included, in bytes. */
  memoryUsage?: number;
  /** The inactive file cache within it, which the kernel can drop at once: Docker subtracts it. */
  inactiveFile?: number;
  /** The memory limit in bytes; undefined when the cgroup has none. */
  memoryLimit?: number;
  /** Tasks (processes and threads) in the cgroup. */
  pids?: number;
  /** Bytes read from and written to block devices. */
  blockRead?: number;
  blockWrite?: number;
  files: CgroupFileValue[];
}

export interface CgroupLimits {
  /** Bytes; undefined: no limit. */
  memory?: number;
  /** Memory + swap in bytes (v1 memory.memsw.limit_in_bytes); on v2 swap alone (memory.swap.max). */
  memorySwap?: number;
  /** Soft limit in bytes (v1 memory.soft_limit_in_bytes, v2 memory.low). */
  memoryReservation?: number;
  /** CFS quota and period in microseconds (v1 cpu.cfs_quota_us / cpu.cfs_period_us, v2 cpu.max); no quota: undefined. */
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  /** v1 cpu.shares (default 1024). */
  cpuShares?: number;
  /** v2 cpu.weight (default 100). */
  cpuWeight?: number;
  /** The CPUs the cgroup may run on ("0-1"). */
  cpusetCpus?: string;
  /** Most tasks allowed; undefined: no limit. */
  pidsMax?: number;
  files: CgroupFileValue[];
}

/**
 * A v1 "no limit" is the largest page-aligned counter, 9223372036854771712
 * (2^63 less a page): anything that big means none. JavaScript numbers hold it
 * only approximately, which is plenty to recognise it.
 */
const V1_UNLIMITED = 2 ** 62;

/**
 * The directory of a container's cgroup that holds a controller's files. On
 * v1 each controller has its own tree (cpuacct may share one with cpu); on v2
 * the container has one directory, and core files such as cpu.stat are there
 * even when no controller is enabled.
 */
export function controllerDir(layout: CgroupLayout, cg: ContainerCgroup, controller: string): string | undefined {
  const inside = (mountpoint: string) => cg.dirs.find((d) => d === mountpoint || d.startsWith(mountpoint + '/'));
  if (layout.kind === 'v2') return cg.dirs[0];
  const v1 = layout.hierarchies.find((h) => h.version === 1 && h.controllers.includes(controller));
  if (v1) return inside(v1.mountpoint);
  const v2 = layout.hierarchies.find((h) => h.version === 2 && h.controllers.includes(controller));
  return v2 ? inside(v2.mountpoint) : undefined;
}

/** A small reader that remembers what it read, for CgroupUsage.files. */
class Reader {
  readonly files: CgroupFileValue[] = [];
  constructor(private readonly fs: CgroupFs) {}

  /** A whole file, trimmed, or undefined when it is missing (controller not there, cgroup gone). */
  text(dir: string | undefined, file: string, record = true): string | undefined {
    if (!dir) return undefined;
    const path = join(dir, file);
    let value: string;
    try {
      value = this.fs.read(path).trim();
    } catch {
      return undefined;
    }
    if (record) this.files.push({ path, value });
    return value;
  }

  /** A file holding one number ("max" and v1's near-2^63 read as undefined: no limit). */
  number(dir: string | undefined, file: string): number | undefined {
    const v = this.text(dir, file);
    if (v === undefined || v === 'max' || v === '') return undefined;
    const n = Number(v.split(/\s+/)[0]);
    return Number.isFinite(n) && n < V1_UNLIMITED ? n : undefined;
  }

  /** A key from a flat-keyed file (memory.stat, cpu.stat: "key value" lines); the line is recorded. */
  keyed(dir: string | undefined, file: string, key: string): number | undefined {
    const text = this.text(dir, file, false);
    if (text === undefined) return undefined;
    const line = text.split('\n').find((l) => l.startsWith(`${key} `));
    if (!line) return undefined;
    this.files.push({ path: join(dir!, file), value: line });
    return Number(line.slice(key.length + 1));
  }
}

/**
 * Sum the Read and Write lines of a v1 blkio file, over every device:
 *   8:0 Read 4096
 *   8:0 Write 0
 *   ...
 *   Total 4096
 */
export function parseBlkio(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const [device, op, value] = line.trim().split(/\s+/);
    if (!device || !op || value === undefined || !device.includes(':')) continue;
    if (op.toLowerCase() === 'read') read += Number(value);
    else if (op.toLowerCase() === 'write') write += Number(value);
  }
  return { read, write };
}

/** Sum rbytes= and wbytes= of a v2 io.stat, over every device: "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0". */
export function parseIoStat(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    for (const field of line.trim().split(/\s+/).slice(1)) {
      const [k, v] = field.split('=');
      if (k === 'rbytes') read += Number(v);
      else if (k === 'wbytes') write += Number(v);
    }
  }
  return { read, write };
}

/** The usage counters of a container's cgroup; fields stay undefined where a file is missing. */
export function readCgroupUsage(layout: CgroupLayout, cg: ContainerCgroup, fs: CgroupFs = hostCgroupFs): CgroupUsage {
  const r = new Reader(fs);
  const dir = (c: string) => controllerDir(layout, cg, c);
  if (layout.kind === 'v2') {
    const d = cg.dirs[0];
    const usec = r.keyed(d, 'cpu.stat', 'usage_usec');
    const io = r.text(d, 'io.stat');
    const blk = io === undefined ? undefined : parseIoStat(io);
    return {
      cpuNs: usec === undefined ? undefined : usec * 1000,
      memoryUsage: r.number(d, 'memory.current'),
      inactiveFile: r.keyed(d, 'memory.stat', 'inactive_file'),
      memoryLimit: r.number(d, 'memory.max'),
      pids: r.number(d, 'pids.current'),
      blockRead: blk?.read,
      blockWrite: blk?.write,
      files: r.files,
    };
  }
  const blkio = dir('blkio');
  // The recursive file counts the container's child cgroups too; older kernels have only the other.
  const io = r.text(blkio, 'blkio.throttle.io_service_bytes_recursive') ?? r.text(blkio, 'blkio.throttle.io_service_bytes');
  const blk = io === undefined ? undefined : parseBlkio(io);
  return {
    cpuNs: r.number(dir('cpuacct'), 'cpuacct.usage'),
    memoryUsage: r.number(dir('memory'), 'memory.usage_in_bytes'),
    inactiveFile: r.keyed(dir('memory'), 'memory.stat', 'total_inactive_file'),
    memoryLimit: r.number(dir('memory'), 'memory.limit_in_bytes'),
    pids: r.number(dir('pids'), 'pids.current'),
    blockRead: blk?.read,
    blockWrite: blk?.write,
    files: r.files,
  };
}

/** The limits written in a container's cgroup (whatever wrote them: glass run -m, glass update, a learner's echo). */
export function readCgroupLimits(layout: CgroupLayout, cg: ContainerCgroup, fs: CgroupFs = hostCgroupFs): CgroupLimits {
  const r = new Reader(fs);
  if (layout.kind === 'v2') {
    const d = cg.dirs[0];
    const cpuMax = r.text(d, 'cpu.max'); // "max 100000" or "50000 100000"
    const [quota, period] = (cpuMax ?? '').split(/\s+/);
    return {
      memory: r.number(d, 'memory.max'),
      memorySwap: r.number(d, 'memory.swap.max'),
      memoryReservation: r.number(d, 'memory.low') || undefined,
      cpuQuotaUs: quota && quota !== 'max' ? Number(quota) : undefined,
      cpuPeriodUs: period ? Number(period) : undefined,
      cpuWeight: r.number(d, 'cpu.weight'),
      cpusetCpus: r.text(d, 'cpuset.cpus') || undefined,
      pidsMax: r.number(d, 'pids.max'),
      files: r.files,
    };
  }
  const dir = (c: string) => controllerDir(layout, cg, c);
  const quota = r.number(dir('cpu'), 'cpu.cfs_quota_us');
  return {
    memory: r.number(dir('memory'), 'memory.limit_in_bytes'),
    memorySwap: r.number(dir('memory'), 'memory.memsw.limit_in_bytes'),
    memoryReservation: r.number(dir('memory'), 'memory.soft_limit_in_bytes'),
    cpuQuotaUs: quota !== undefined && quota > 0 ? quota : undefined, // -1: no quota
    cpuPeriodUs: r.number(dir('cpu'), 'cpu.cfs_period_us'),
    cpuShares: r.number(dir('cpu'), 'cpu.shares'),
    cpusetCpus: r.text(dir('cpuset'), 'cpuset.cpus') || undefined,
    pidsMax: r.number(dir('pids'), 'pids.max'),
    files: r.files,
  };
}

/**
 * /proc/stat's first line adds up the time every CPU spent, in clock ticks of
 * 1/100 s (USER_HZ, fixed at 100 for user space on Linux):
 *
 *   cpu  user nice system idle iowait irq softirq steal guest guest_nice
 *   cpu0 ...
 *
 * Docker's daemon sums the first seven (user to softirq) and converts to
 * nanoseconds: the "system" time that a container's CPU time is compared with.
 * Online CPUs are the cpuN lines.
 */
export const USER_HZ = 100;

export function parseProcStat(text: string): { systemNs: number; onlineCpus: number } {
  let systemNs = 0;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === 'cpu') {
      const ticks = parts.slice(1, 8).reduce((sum, v) => sum + Number(v), 0);
      systemNs = (ticks * 1e9) / USER_HZ;
    } else if (/^cpu\d+$/.test(parts[0] ?? '')) onlineCpus++;
  }
  return { systemNs, onlineCpus };
}

export function readSystemCpu(procStat = '/proc/stat'): { systemNs: number; onlineCpus: number } {
  return parseProcStat(readFileSync(procStat, 'utf8'));
}

/** MemTotal of /proc/meminfo, in bytes: Docker shows it as the limit of a container that has none. */
export function parseMemTotal(meminfo: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : undefined;
}

export function readMemTotal(path = '/proc/meminfo'): number | undefined {
  try {
    return parseMemTotal(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
