/**
 * A container's resource limits as the cgroup drivers write them: plain
 * numbers, already checked by the engine (runtime/engine/containers/limits.ts),
 * named as in Docker's HostConfig. Absent or 0 means "not set": the kernel's
 * default (no limit) stays. -1 means "no limit" where Docker allows it.
 */
export interface CgroupLimits {
  /** -m: bytes of memory (RAM). */
  memory?: number;
  /** --memory-swap: bytes of memory + swap together; -1 = unlimited swap. */
  memorySwap?: number;
  /** --memory-reservation: a soft limit, in bytes, the kernel reclaims down to under pressure. */
  memoryReservation?: number;
  /** --oom-kill-disable (cgroup v1 only). */
  oomKillDisable?: boolean;
  /** --cpu-shares: relative weight, 1024 = the default share. */
  cpuShares?: number;
  /** --cpus in billionths of a CPU; Docker turns it into quota/period 100000. */
  nanoCpus?: number;
  /** --cpu-quota: microseconds of CPU time per period; -1 = no quota. */
  cpuQuota?: number;
  /** --cpu-period: microseconds (1000..1000000). */
  cpuPeriod?: number;
  /** --cpuset-cpus: "0-1", "0,2". */
  cpusetCpus?: string;
  /** --pids-limit: most tasks at once; 0 or -1 = no limit. */
  pidsLimit?: number;
}

/** The CFS period Docker uses for --cpus (100 ms). */
export const DEFAULT_CPU_PERIOD = 100_000;

/**
 * quota and period as the kernel gets them: --cpus N becomes N×100000 µs of
 * CPU time every 100000 µs (Docker's rule), else --cpu-quota/--cpu-period.
 */
export function cfsBandwidth(l: CgroupLimits): { quota?: number; period?: number } {
  if (l.nanoCpus) return { quota: Math.floor((l.nanoCpus * DEFAULT_CPU_PERIOD) / 1e9), period: DEFAULT_CPU_PERIOD };
  return { quota: l.cpuQuota || undefined, period: l.cpuPeriod || undefined };
}

/** What the host's cgroups can do, for the engine's checks (Docker's sysinfo). */
export interface CgroupCapabilities {
  /** CPUs this process may run on (Docker: runtime.NumCPU). */
  cpus: number;
  /** The CPUs a cpuset may use, as the kernel lists them ("0-1"). */
  cpuset: string;
  /** memory.memsw.* exists (v1 with swap accounting) or memory.swap.max (v2). */
  swapLimit: boolean;
  /** memory.oom_control exists (v1 only). */
  oomKillDisable: boolean;
}
