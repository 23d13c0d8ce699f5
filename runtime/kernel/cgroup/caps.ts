import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';

/** The CPUs the kernel has online ("0-1"): the fallback when no cpuset file says. */
export function onlineCpus(): string {
  try {
    return readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  } catch {
    return `0-${availableParallelism() - 1}`;
  }
}

/** CPUs this process may run on (Go's runtime.NumCPU, which Docker's --cpus check uses). */
export const cpuCount = (): number => availableParallelism();
