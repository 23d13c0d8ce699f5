import type { CgroupLimits } from '../limits.js';
import { readFile, writeFile, type ControllerContext } from '../write.js';
import { report } from '../../step.js';

/**
 * cgroup v1 memory controller (/sys/fs/cgroup/memory/...). The files, as
 * runc writes them:
 *
 *   memory.limit_in_bytes        -m: the most RAM the cgroup's pages may use;
 *                                past it the kernel reclaims, then OOM-kills
 *   memory.memsw.limit_in_bytes  --memory-swap: RAM + swap together (only
 *                                with swap accounting: swapaccount=1)
 *   memory.soft_limit_in_bytes   --memory-reservation: reclaimed down to this
 *                                first when the host runs short
 *   memory.oom_control           --oom-kill-disable: 1 = freeze the tasks at the
 *                                limit instead of killing one
 *
 * memory.limit_in_bytes may never be above memory.memsw.limit_in_bytes, and the
 * kernel checks each write against the other file's current value, so the
 * order depends on which way the limits move (runc's setMemoryAndSwap).
 */
export function applyMemoryV1(ctx: ControllerContext, dir: string, l: CgroupLimits): void {
  const hasMemsw = readFile(ctx.fs, dir, 'memory.memsw.limit_in_bytes') !== undefined;
  const limit = () =>
    writeFile(ctx, dir, 'memory.limit_in_bytes', l.memory!, `Limit the container's memory to ${l.memory} bytes`,
      'memory.limit_in_bytes caps the RAM the cgroup\'s processes may use (page cache included). At the limit the kernel reclaims what it can, then the OOM killer kills a process of this cgroup only: the host and the other containers are not touched.');
  const swap = () =>
    writeFile(ctx, dir, 'memory.memsw.limit_in_bytes', l.memorySwap!, l.memorySwap === -1 ? 'Let the container swap without limit' : `Limit the container's memory plus swap to ${l.memorySwap} bytes`,
      'memory.memsw.limit_in_bytes caps RAM and swap together, so a container cannot escape its memory limit by being swapped out. Docker\'s default is twice -m: as much swap as memory.');
  const memSet = !!l.memory;
  let swapSet = !!l.memorySwap;
  if (swapSet && !hasMemsw) {
    swapSet = false;
    if (l.memorySwap !== -1) {
      report(ctx.trace, {
        title: 'No swap limit on this host',
        why: 'This kernel keeps no swap accounting (memory.memsw.* is missing: boot with swapaccount=1 to have it), so only the memory limit is set; the container may still be swapped out.',
        command: `ls ${dir}/memory.memsw.limit_in_bytes`,
        phase: 'failed',
        error: 'memory.memsw.limit_in_bytes: no such file',
      });
    }
  }
  if (memSet && swapSet) {
    const current = Number(readFile(ctx.fs, dir, 'memory.limit_in_bytes') ?? NaN);
    if (l.memorySwap === -1 || current < l.memorySwap!) {
      swap();
      limit();
    } else {
      limit();
      swap();
    }
  } else {
    if (memSet) limit();
    if (swapSet) swap();
  }
  if (l.memoryReservation) {
    writeFile(ctx, dir, 'memory.soft_limit_in_bytes', l.memoryReservation, `Reserve ${l.memoryReservation} bytes of memory for the container`,
      'memory.soft_limit_in_bytes is a soft limit: nothing happens until the host runs short of memory, then the kernel reclaims from cgroups above their soft limit first.');
  }
  if (l.oomKillDisable) {
    writeFile(ctx, dir, 'memory.oom_control', 1, 'Disable the OOM killer for the container',
      'With oom_kill_disable set, a process that hits the memory limit is paused until memory is freed instead of being killed: the container hangs rather than dies.');
  }
}
