import { join } from 'node:path';
import { report } from '../../step.js';
import type { CgroupLimits } from '../limits.js';
import { writeFile, type ControllerContext } from '../write.js';

/**
 * cgroup v2 memory controller, as runc maps Docker's flags:
 *
 *   memory.swap.max  --memory-swap minus -m: v2 limits swap on its own, not
 *                    RAM+swap together as v1's memsw did ("max" = unlimited)
 *   memory.max       -m: the hard limit; past it, reclaim, then the OOM killer
 *   memory.low       --memory-reservation: protected from reclaim up to here
 *
 * swap.max is written first, as runc does. There is no --oom-kill-disable on
 * v2 (the engine drops it with Docker's warning).
 */
export function swapMaxV2(l: CgroupLimits): string | undefined {
  const memory = l.memory ?? 0;
  const swap = l.memorySwap ?? 0;
  if (memory === -1 && swap === 0) return 'max';
  if (swap === -1) return 'max';
  if (swap === 0) return undefined;
  return String(swap - memory); // the engine has checked swap >= memory > 0
}

export function applyMemoryV2(ctx: ControllerContext, dir: string, l: CgroupLimits): void {
  const swap = swapMaxV2(l);
  if (swap !== undefined && !ctx.fs.exists(join(dir, 'memory.swap.max'))) {
    // A kernel without swap accounting (CONFIG_MEMCG_SWAP off, or swapaccount=0) has no such file.
    report(ctx.trace, {
      title: 'No swap limit on this host',
      why: 'This kernel keeps no swap accounting for cgroups (memory.swap.max is missing), so only the memory limit is set.',
      command: `ls ${dir}/memory.swap.max`,
      phase: 'failed',
      error: 'memory.swap.max: no such file',
    });
  } else if (swap !== undefined) {
    writeFile(ctx, dir, 'memory.swap.max', swap, swap === 'max' ? 'Let the container swap without limit' : `Limit the container's swap to ${swap} bytes`,
      'cgroup v2 counts swap apart from RAM: memory.swap.max is --memory-swap minus -m (Docker\'s default gives as much swap as memory).');
  }
  if (l.memory) {
    writeFile(ctx, dir, 'memory.max', l.memory === -1 ? 'max' : l.memory, `Limit the container's memory to ${l.memory} bytes`,
      'memory.max caps the RAM the cgroup\'s processes may use. At the limit the kernel reclaims what it can, then the OOM killer kills a process of this cgroup only (memory.events counts oom_kill).');
  }
  if (l.memoryReservation) {
    writeFile(ctx, dir, 'memory.low', l.memoryReservation, `Reserve ${l.memoryReservation} bytes of memory for the container`,
      'memory.low is best-effort protection: while the cgroup uses less than this, the kernel reclaims from others first.');
  }
}
