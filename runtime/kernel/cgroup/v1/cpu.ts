import { cfsBandwidth, type CgroupLimits } from '../limits.js';
import { writeFile, type ControllerContext } from '../write.js';

/**
 * cgroup v1 cpu controller (/sys/fs/cgroup/cpu/...):
 *
 *   cpu.shares         --cpu-shares: a weight against sibling cgroups (1024 by
 *                      default); it only matters while the CPU is contended
 *   cpu.cfs_period_us  the CFS bandwidth window (100000 µs = 100 ms)
 *   cpu.cfs_quota_us   CPU time the cgroup may use per window: --cpus 0.5 is
 *                      50000 per 100000, after which its tasks wait for the
 *                      next window (-1 = no quota)
 *
 * The period goes first: the kernel checks the quota against it.
 */
export function applyCpuV1(ctx: ControllerContext, dir: string, l: CgroupLimits): void {
  if (l.cpuShares) {
    writeFile(ctx, dir, 'cpu.shares', l.cpuShares, `Give the container a CPU weight of ${l.cpuShares}`,
      'cpu.shares is relative: when several cgroups want the same CPU, each gets time in proportion to its shares (1024 is the default), so 512 against 1024 gets a third. An idle CPU is used by whoever wants it.');
  }
  const { quota, period } = cfsBandwidth(l);
  if (period) {
    writeFile(ctx, dir, 'cpu.cfs_period_us', period, `Set the CPU bandwidth period to ${period} µs`,
      'The CFS scheduler hands out CPU time per period: every period the cgroup\'s quota is refilled.');
  }
  if (quota) {
    writeFile(ctx, dir, 'cpu.cfs_quota_us', quota, quota === -1 ? 'Remove the CPU quota' : `Allow the container ${quota} µs of CPU time per period`,
      'cpu.cfs_quota_us is a hard cap: once the cgroup\'s processes have used this much CPU time in the current period they are throttled (not scheduled) until the next period, even if the CPU is idle.');
  }
}
