import { readCgroupUsage, readMemTotal, readSystemCpu, type CgroupFileValue } from '../../kernel/cgroup/stats.js';
import { readNetDev } from '../../kernel/proc-view.js';
import { report, type Tracer } from '../../kernel/step.js';
import type { Observed } from './observed.js';

/**
 * One reading of a container's counters: what Docker's
 * GET /containers/{id}/stats returns once (its cpu_stats, memory_stats,
 * pids_stats, blkio_stats, networks), flattened. Percentages need two
 * readings: computeStats(previous, current).
 */
export interface ContainerStats {
  id: string;
  name: string;
  running: boolean;
  /** When it was read (ISO). */
  read: string;
  cpu: {
    /** CPU time the container's processes used since it started, ns. */
    totalNs: number;
    /** CPU time the whole machine spent (/proc/stat), ns. */
    systemNs: number;
    onlineCpus: number;
  };
  memory: {
    /** Charged to its cgroup, page cache included. */
    usage: number;
    /** Of which inactive file cache (dropped first under pressure; not counted by `stats`). */
    inactiveFile: number;
    /** The cgroup's limit, or the machine's memory when it has none (as Docker shows it). */
    limit: number;
    /** Whether the cgroup has a limit of its own. */
    limited: boolean;
  };
  pids: number;
  blockIO: { read: number; write: number };
  /** Bytes received and sent by its network interfaces other than loopback (Docker counts only the container's own links). */
  network: { rx: number; tx: number };
  /** The files the numbers came from. */
  files: CgroupFileValue[];
}

/** A line of `docker stats`, worked out from two readings (or one: CPU % is then 0). */
export interface StatsEntry {
  id: string;
  name: string;
  running: boolean;
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  memPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
}

/**
 * Docker's CLI arithmetic (cli/command/container/stats_helpers.go):
 *   CPU %  = Δ container CPU time / Δ machine CPU time × online CPUs × 100
 *            (100% is one CPU busy; a container using two CPUs shows 200%)
 *   memory = usage − inactive file cache (Docker 20.10; 19.03 took away all the cache)
 *   MEM %  = memory / limit × 100
 */
export function computeStats(prev: ContainerStats | undefined, cur: ContainerStats): StatsEntry {
  let cpuPercent = 0;
  if (prev && prev.running && cur.running) {
    const cpuDelta = cur.cpu.totalNs - prev.cpu.totalNs;
    const systemDelta = cur.cpu.systemNs - prev.cpu.systemNs;
    if (systemDelta > 0 && cpuDelta > 0) cpuPercent = (cpuDelta / systemDelta) * cur.cpu.onlineCpus * 100;
  }
  const m = cur.memory;
  const memUsage = m.inactiveFile < m.usage ? m.usage - m.inactiveFile : m.usage;
  return {
    id: cur.id,
    name: cur.name,
    running: cur.running,
    cpuPercent,
    memUsage,
    memLimit: m.limit,
    memPercent: m.limit ? (memUsage / m.limit) * 100 : 0,
    netRx: cur.network.rx,
    netTx: cur.network.tx,
    blockRead: cur.blockIO.read,
    blockWrite: cur.blockIO.write,
    pids: cur.pids,
  };
}

/** Read a container's counters now: its cgroup's files, /proc/stat, and its network namespace's /proc/<pid>/net/dev. */
export function sampleStats(c: Observed, trace?: Tracer): ContainerStats {
  const read = new Date().toISOString();
  const base = { id: c.config.id, name: c.config.name, read };
  if (!c.running) {
    // A stopped container has no cgroup and no processes: Docker shows zeros.
    return { ...base, running: false, cpu: { totalNs: 0, systemNs: 0, onlineCpus: 0 }, memory: { usage: 0, inactiveFile: 0, limit: 0, limited: false }, pids: 0, blockIO: { read: 0, write: 0 }, network: { rx: 0, tx: 0 }, files: [] };
  }
  const usage = readCgroupUsage(c.layout, c.cgroup);
  if (trace) {
    report(trace, {
      title: `Read the counters of cgroup ${c.cgroup.name}`,
      why: "The kernel counts, per cgroup, the CPU time its processes used, the memory charged to it and its tasks: stats only reads those files (and /proc/stat for the whole machine's CPU time, to turn CPU time into a percentage).",
      command: `cat ${usage.files.map((f) => f.path).join(' ')} /proc/stat`,
    });
  }
  const system = readSystemCpu();
  const machine = readMemTotal() ?? 0;
  // Docker's daemon: no limit, or one above the machine's memory, shows the machine's memory.
  const limited = usage.memoryLimit !== undefined && (machine === 0 || usage.memoryLimit <= machine);
  const links = (readNetDev(c.pid) ?? []).filter((i) => i.name !== 'lo');
  return {
    ...base,
    running: true,
    cpu: { totalNs: usage.cpuNs ?? 0, systemNs: system.systemNs, onlineCpus: system.onlineCpus },
    memory: { usage: usage.memoryUsage ?? 0, inactiveFile: usage.inactiveFile ?? 0, limit: limited ? usage.memoryLimit! : machine, limited },
    pids: usage.pids ?? c.pids().length,
    blockIO: { read: usage.blockRead ?? 0, write: usage.blockWrite ?? 0 },
    network: { rx: links.reduce((s, i) => s + i.rxBytes, 0), tx: links.reduce((s, i) => s + i.txBytes, 0) },
    files: usage.files,
  };
}
