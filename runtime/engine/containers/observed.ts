import type { CgroupLayout, ContainerCgroup } from '../../kernel/cgroup/index.js';
import type { ContainerConfig } from './types.js';

/**
 * A container as top, stats and xray look at it from the host: its init's
 * host PID (while it runs), and its cgroup, where every process it made is
 * listed and every CPU nanosecond and page it used is counted.
 */
export interface Observed {
  config: ContainerConfig;
  running: boolean;
  /** The init's host PID; 0 when it is not running. */
  pid: number;
  cgroup: ContainerCgroup;
  layout: CgroupLayout;
  /** The pids in the cgroup (and its child cgroups) now. */
  pids: () => number[];
}
