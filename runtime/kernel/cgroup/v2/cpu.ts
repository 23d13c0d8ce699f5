import { cfsBandwidth, type CgroupLimits } from '../limits.js';
import { writeFile, type ControllerContext } from '../write.js';

/**
 * Docker's --cpu-shares (v1's cpu.shares, 2..262144, default 1024) as v2's
 * cpu.weight (1..10000, default 100), with runc's formula: a straight line
 * from shares 2 → weight 1 to shares 262144 → weight 10000. 1024 gives 39,
 * not 100: runc maps the ranges, not the defaults.
 */
export function sharesToWeight(shares: number): number {
  const s = Math.min(Math.max(shares, 2), 262144);
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/**
 * cgroup v2 cpu controller:
 *
 *   cpu.weight  --cpu-shares, converted (above)
 *   cpu.max     "QUOTA PERIOD" in µs: --cpus 0.5 is "50000 100000"; QUOTA
 *               "max" = no cap. runc writes only the quota when no period
 *               was given (the kernel keeps its period, 100000).
 */
export function cpuMaxV2(l: CgroupLimits): string | undefined {
  const { quota, period } = cfsBandwidth(l);
  if (!quota && !period) return undefined;
  let s = quota && quota > 0 ? String(quota) : 'max';
  if (period) s += ` ${period}`;
  return s;
}

export function applyCpuV2(ctx: ControllerContext, dir: string, l: CgroupLimits): void {
  if (l.cpuShares) {
    const w = sharesToWeight(l.cpuShares);
    writeFile(ctx, dir, 'cpu.weight', w, `Give the container a CPU weight of ${w} (--cpu-shares ${l.cpuShares})`,
      'cpu.weight is relative: under contention each cgroup gets CPU time in proportion to its weight. runc converts Docker\'s shares: 1 + (shares - 2) × 9999 / 262142.');
  }
  const max = cpuMaxV2(l);
  if (max) {
    writeFile(ctx, dir, 'cpu.max', max, `Cap the container's CPU time at "${max}"`,
      'cpu.max is "quota period" in microseconds: once the cgroup has used its quota in the current period it is throttled until the next one, even on an idle CPU.');
  }
}
