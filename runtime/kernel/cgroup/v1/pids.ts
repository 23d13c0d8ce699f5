import type { CgroupLimits } from '../limits.js';
import { writeFile, type ControllerContext } from '../write.js';

/**
 * cgroup v1 pids controller: pids.max is the most tasks (processes and
 * threads) the cgroup may hold at once; fork() and clone() fail with EAGAIN
 * past it, so a fork bomb stays inside its container. (v2 has the same file: v2/pids.ts.)
 */
export function applyPidsV1(ctx: ControllerContext, dir: string, l: CgroupLimits): void {
  if (!l.pidsLimit) return;
  const value = l.pidsLimit > 0 ? l.pidsLimit : 'max';
  writeFile(ctx, dir, 'pids.max', value, value === 'max' ? 'Remove the limit on processes' : `Allow the container at most ${value} processes`,
    'pids.max caps how many tasks the cgroup may hold at once: past it fork() fails with EAGAIN ("Resource temporarily unavailable"), so a fork bomb cannot exhaust the host\'s process table.');
}
