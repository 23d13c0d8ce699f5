import { release } from 'node:os';
import { readCgroupLimits, readCgroupUsage, type CgroupFileValue, type CgroupLimits } from '../../kernel/cgroup/stats.js';
import { parseMountinfo, type MountEntry } from '../../kernel/mountinfo.js';
import {
  decodeCapabilities,
  NAMESPACE_KINDS,
  namespaceInode,
  namespaceLink,
  processView,
  readNetDev,
  readProcessMountinfo,
  SECCOMP_MODES,
  type NetInterface,
} from '../../kernel/proc-view.js';
import { report, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import type { Observed } from './observed.js';
import type { ContainerMount } from '../volumes/mounts.js';
import { computeStats, sampleStats } from './stats.js';

/**
 * `glass xray`: a running container as the kernel sees it, beside the host.
 * Everything comes from files a learner can read: /proc/<pid>/status (PIDs,
 * capabilities, seccomp, no_new_privs), /proc/<pid>/ns/* (namespaces),
 * /proc/<pid>/mountinfo, /proc/<pid>/net/dev and the cgroup's files. The host
 * side is PID 1 of the host (/proc/1), the first process of every
 * namespace the host has.
 */
export interface XrayProcess {
  /** The PID as the host numbers it. */
  hostPid: number;
  /** The PID inside the container (NSpid's last number). */
  containerPid: number;
  /** The parent, host PID. */
  ppid: number;
  uid: number;
  state: string;
  command: string;
}

export interface XrayNamespace {
  kind: string;
  /** readlink /proc/<pid>/ns/<kind>, e.g. "net:[4026532290]". */
  container: string;
  /** readlink /proc/1/ns/<kind> (the host's). */
  host: string;
  /** The same namespace as the host's: nothing of this kind is isolated. */
  shared: boolean;
}

export interface XrayMount {
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-mount options (ro/rw, nosuid...). */
  options: string;
  /** What it is there for: root, proc, sys, dev, masked, read-only, glass file, cgroup, mount. */
  role: string;
  /** One line on why, for the human layout. */
  note: string;
}

export interface XrayReport {
  id: string;
  name: string;
  image: string;
  /** The init's host PID. */
  pid: number;
  /** `pid`: the host process compared with (1, or glass's own where PID 1 cannot be read). */
  host: { pid: number; kernel: string; cgroupLayout: string };
  processes: XrayProcess[];
  namespaces: XrayNamespace[];
  cgroup: {
    name: string;
    /** Its directories: one per v1 hierarchy, or the one v2 directory. */
    paths: string[];
    limits: Omit<CgroupLimits, 'files'>;
    usage: { cpuPercent: number; cpuSeconds: number; memory: number; memoryLimit: number; memoryLimited: boolean; pids: number; blockRead: number; blockWrite: number };
    /** Every file read, with its value. */
    files: CgroupFileValue[];
  };
  user: { uid: number; gid: number; groups: number[] };
  capabilities: {
    effective: string[];
    bounding: string[];
    permitted: string[];
    inheritable: string[];
    ambient: string[];
    /** What the host's PID 1 has in its bounding set and the container's init has not. */
    droppedFromHost: string[];
    /** The raw masks from /proc/<pid>/status. */
    raw: { CapEff: string; CapBnd: string; CapPrm: string; CapInh: string; CapAmb: string };
  };
  seccomp: { mode: number; name: string; filters?: number };
  noNewPrivs: boolean;
  /** Its root filesystem: the overlay's layers (lowerdirs top first). */
  rootfs?: { fsType: string; lower: string[]; upper?: string; work?: string };
  mounts: XrayMount[];
  network: { interfaces: NetInterface[]; note: string };
}

/** Where glass bind-mounts its own files over the image's. */
const GLASS_FILES = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']);

/** What each mount of a container is for, from its mountinfo entry (and its volumes, binds and tmpfs mounts, from its config). */
export function classifyMount(m: MountEntry, mine: ContainerMount[] = []): { role: string; note: string } {
  const ro = m.options.split(',').includes('ro');
  if (m.mountPoint === '/') return { role: 'root', note: `the container's / (${m.fsType}), made its root by pivot_root` };
  // A file masked by binding /dev/null over it, or a directory by an empty read-only tmpfs.
  if ((m.root === '/null' && !m.mountPoint.startsWith('/dev/')) || (m.fsType === 'tmpfs' && ro && /^\/(proc|sys)\//.test(m.mountPoint))) {
    return { role: 'masked', note: 'hidden: something empty is mounted over it' };
  }
  if (/^\/proc\/.+/.test(m.mountPoint) && ro) return { role: 'read-only', note: 'a read-only bind mount over part of /proc' };
  if (m.mountPoint === '/proc') return { role: 'proc', note: `proc for its PID namespace: it lists the container's processes only` };
  if (m.mountPoint === '/sys') return { role: 'sys', note: `sysfs${ro ? ', read-only' : ''}` };
  if (m.fsType === 'cgroup' || m.fsType === 'cgroup2') return { role: 'cgroup', note: `its cgroup${ro ? ' (read-only)' : ''}: the cgroup namespace shows its own cgroup as /` };
  if (m.mountPoint === '/dev') return { role: 'dev', note: 'a private /dev (tmpfs) with the standard device nodes only' };
  if (m.mountPoint.startsWith('/dev/')) {
    return { role: 'dev', note: m.fsType === 'devtmpfs' ? `the host's device node /dev${m.root}, bind-mounted` : `${m.fsType} for ${m.mountPoint}` };
  }
  const own = mine.find((x) => x.destination === m.mountPoint);
  if (own?.type === 'volume') return { role: 'volume', note: `the volume ${own.name}: ${own.source} bind-mounted here${ro ? ', read-only' : ''}` };
  if (own?.type === 'bind') return { role: 'bind', note: `the host's ${own.source}, bind-mounted here${ro ? ', read-only' : ''}` };
  if (own?.type === 'tmpfs') return { role: 'tmpfs', note: 'a tmpfs: files in memory, gone when the container stops' };
  if (GLASS_FILES.has(m.mountPoint)) return { role: 'glass file', note: "glass's own copy, bind-mounted over the image's" };
  return { role: 'mount', note: `${m.fsType}${ro ? ', read-only' : ''}` };
}

/** overlay's "lowerdir=a:b,upperdir=u,workdir=w" (super options). Lower directories are listed top first. */
export function overlayLayers(superOptions: string): { lower: string[]; upper?: string; work?: string } {
  const opt = (k: string) => superOptions.split(',').find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
  return { lower: (opt('lowerdir') ?? '').split(':').filter(Boolean), upper: opt('upperdir'), work: opt('workdir') };
}

const sortedNumbers = (a: number, b: number) => a - b;

/** Read everything xray shows. Takes two cgroup readings (`intervalMs` apart) for a CPU %. */
export async function containerXray(trace: Tracer, c: Observed, intervalMs = 500): Promise<XrayReport> {
  if (!c.running || !c.pid) throw new GlassError('CONTAINER_NOT_RUNNING', `Container ${c.config.id} is not running: xray looks at its processes, which exist only while it runs (glass start ${c.config.name})`, 1);
  const pid = c.pid;
  const init = processView(pid);
  if (!init) throw new GlassError('CONTAINER_NOT_RUNNING', `Container ${c.config.id} is not running`, 1);
  // The host's side: its PID 1, the first process of every host namespace. Where even root may not
  // read PID 1's namespaces (some sandboxes), glass's own process stands in: it runs in the host's.
  const hostPid = namespaceLink(1, 'pid') !== undefined ? 1 : process.pid;
  const hostInit = processView(hostPid);
  report(trace, {
    title: `Read the container's init (host pid ${pid}) from /proc`,
    why: "The kernel describes every process under /proc/<pid>: its PIDs in each namespace, its capabilities and seccomp mode (status), its namespaces (ns/), its mounts (mountinfo). Comparing with /proc/1, the host's first process, shows what the container does not share.",
    command: `grep -E 'NSpid|Cap|Seccomp|NoNewPrivs' /proc/${pid}/status; ls -l /proc/${pid}/ns /proc/1/ns; cat /proc/${pid}/mountinfo`,
  });

  const processes: XrayProcess[] = [];
  for (const p of c.pids().sort(sortedNumbers)) {
    const v = processView(p);
    if (v) processes.push({ hostPid: p, containerPid: v.nspid.at(-1)!, ppid: v.ppid, uid: v.uid, state: v.state, command: v.cmdline || `[${v.name}]` });
  }
  processes.sort((a, b) => a.containerPid - b.containerPid);

  const namespaces: XrayNamespace[] = [];
  for (const kind of NAMESPACE_KINDS) {
    const mine = namespaceLink(pid, kind);
    const host = namespaceLink(hostPid, kind);
    if (mine === undefined) continue;
    namespaces.push({ kind, container: mine, host: host ?? '?', shared: host !== undefined && namespaceInode(mine) === namespaceInode(host) });
  }

  report(trace, {
    title: `Read the cgroup ${c.cgroup.name}'s limits and counters`,
    why: 'A limit is a number written in a file of the cgroup, and the kernel counts what the cgroup uses in files beside it: reading them is all there is to it.',
    command: `grep . ${c.cgroup.dirs.map((d) => `${d}/*.{limit_in_bytes,max,current,usage,shares,weight}`).join(' ')} 2>/dev/null`,
  });
  const first = sampleStats(c);
  await new Promise((r) => setTimeout(r, intervalMs));
  const second = sampleStats(c);
  const entry = computeStats(first, second);
  const { files: limitFiles, ...limits } = readCgroupLimits(c.layout, c.cgroup);
  const usageFiles = readCgroupUsage(c.layout, c.cgroup).files;

  const mounts = parseMountinfo(readProcessMountinfo(pid));
  const root = mounts.find((m) => m.mountPoint === '/');
  const ifaces = readNetDev(pid) ?? [];
  const others = ifaces.filter((i) => i.name !== 'lo');
  const hostBounding = new Set(decodeCapabilities(hostInit?.capBnd ?? '0'));
  const bounding = decodeCapabilities(init.capBnd);

  return {
    id: c.config.id,
    name: c.config.name,
    image: c.config.image,
    pid,
    host: { pid: hostPid, kernel: release(), cgroupLayout: c.layout.kind },
    processes,
    namespaces,
    cgroup: {
      name: c.cgroup.name,
      paths: c.cgroup.dirs,
      limits,
      usage: {
        cpuPercent: entry.cpuPercent,
        cpuSeconds: second.cpu.totalNs / 1e9,
        memory: entry.memUsage,
        memoryLimit: entry.memLimit,
        memoryLimited: second.memory.limited,
        pids: entry.pids,
        blockRead: entry.blockRead,
        blockWrite: entry.blockWrite,
      },
      files: [...limitFiles, ...usageFiles.filter((u) => !limitFiles.some((l) => l.path === u.path))],
    },
    user: { uid: init.uid, gid: init.gid, groups: init.groups },
    capabilities: {
      effective: decodeCapabilities(init.capEff),
      bounding,
      permitted: decodeCapabilities(init.capPrm),
      inheritable: decodeCapabilities(init.capInh),
      ambient: decodeCapabilities(init.capAmb),
      droppedFromHost: [...hostBounding].filter((cap) => !bounding.includes(cap)),
      raw: { CapEff: init.capEff, CapBnd: init.capBnd, CapPrm: init.capPrm, CapInh: init.capInh, CapAmb: init.capAmb },
    },
    seccomp: { mode: init.seccomp, name: SECCOMP_MODES[init.seccomp] ?? String(init.seccomp), filters: init.seccompFilters },
    noNewPrivs: init.noNewPrivs,
    rootfs: root ? { fsType: root.fsType, ...(root.fsType === 'overlay' ? overlayLayers(root.superOptions) : { lower: [] }) } : undefined,
    mounts: mounts.map((m) => ({ mountPoint: m.mountPoint, fsType: m.fsType, source: m.source, options: m.options, ...classifyMount(m, c.config.mounts) })),
    network: {
      interfaces: ifaces,
      note: others.length === 0
        ? 'lo only: the container has a network namespace of its own with nothing in it but loopback (--network none)'
        : `${others.map((i) => i.name).join(', ')} and lo, in a network namespace of its own (eth0: one end of a veth pair whose other end is on the host, plugged into the network's bridge)`,
    },
  };
}
