import type { CgroupLimits } from '../limits.js';
import { writeFile, type ControllerContext } from '../write.js';

/** cgroup v2 pids controller: pids.max, as on v1 ("max" = no limit); pids.current counts the tasks now. */
export function applyPidsV2(ctx: ControllerContext, dir: string, l: CgroupLimits): void {
  if (!l.pidsLimit) return;
  const value = l.pidsLimit > 0 ? l.pidsLimit : 'max';
  writeFile(ctx, dir, 'pids.max', value, value === 'max' ? 'Remove the limit on processes' : `Allow the container at most ${value} processes`,
    'pids.max caps how many tasks the cgroup may hold at once: past it fork() fails with EAGAIN, so a fork bomb cannot exhaust the host\'s process table.');
}
