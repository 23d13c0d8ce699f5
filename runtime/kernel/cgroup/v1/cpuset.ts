import type { CgroupLimits } from '../limits.js';
import { readFile, writeFile, type ControllerContext } from '../write.js';
import { join } from 'node:path';

/**
 * cgroup v1 cpuset controller. A new v1 cpuset has no CPUs and no memory
 * nodes, and the kernel refuses to put a task in it (ENOSPC) until it has
 * some: copy the parent's sets first (as cgroup.clone_children would), then
 * narrow cpuset.cpus to --cpuset-cpus.
 */
export function inheritCpusetV1(ctx: ControllerContext, parent: string, dir: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if (readFile(ctx.fs, dir, file)) continue; // already set (a parent made earlier)
    const value = ctx.fs.read(join(parent, file)).trim();
    writeFile(ctx, dir, file, value, `Give the cpuset its parent's ${file}`,
      'A fresh v1 cpuset has no CPUs or memory nodes, and a task cannot join it until it has some.');
  }
}

export function applyCpusetV1(ctx: ControllerContext, dir: string, l: CgroupLimits): void {
  if (!l.cpusetCpus) return;
  writeFile(ctx, dir, 'cpuset.cpus', l.cpusetCpus, `Pin the container to CPUs ${l.cpusetCpus}`,
    'cpuset.cpus is the set of CPUs the scheduler may run the cgroup\'s tasks on; the others are out of bounds for them.');
}
