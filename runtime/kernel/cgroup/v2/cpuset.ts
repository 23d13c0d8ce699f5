import type { CgroupLimits } from '../limits.js';
import { writeFile, type ControllerContext } from '../write.js';

/** cgroup v2 cpuset: an empty cpuset.cpus means "the parent's", so only --cpuset-cpus is written. */
export function applyCpusetV2(ctx: ControllerContext, dir: string, l: CgroupLimits): void {
  if (!l.cpusetCpus) return;
  writeFile(ctx, dir, 'cpuset.cpus', l.cpusetCpus, `Pin the container to CPUs ${l.cpusetCpus}`,
    'cpuset.cpus is the set of CPUs the scheduler may run the cgroup\'s tasks on.');
}
