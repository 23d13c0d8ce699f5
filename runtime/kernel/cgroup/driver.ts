import type { Tracer } from '../step.js';
import type { CgroupLayout } from './layout.js';

/**
 * One cgroup per container, so that stop and rm can find every process the
 * container made (a forked daemon, a background job) and nothing escapes.
 * The limits issue will add controllers behind this same interface.
 */
export interface ContainerCgroup {
  /** "glass-<id>" */
  name: string;
  /** The directories that make up this cgroup, one per hierarchy. */
  dirs: string[];
}

export interface CgroupDriver {
  readonly layout: CgroupLayout;
  /** Directories this container's cgroup will have (no side effects). */
  plan(name: string): ContainerCgroup;
  /** mkdir the cgroup in every hierarchy. */
  create(trace: Tracer, name: string): ContainerCgroup;
  /** Move a process into the cgroup (write its pid to cgroup.procs). */
  place(trace: Tracer, cg: ContainerCgroup, pid: number): void;
  /** Pids currently in the cgroup. */
  pids(cg: ContainerCgroup): number[];
  /** Send a signal to every process in the cgroup. */
  killAll(trace: Tracer, cg: ContainerCgroup, signal: NodeJS.Signals): void;
  /** rmdir the cgroup (it must be empty), retrying while the kernel reaps. */
  remove(trace: Tracer, cg: ContainerCgroup): Promise<void>;
  /** Does any of the cgroup's directories exist? */
  exists(cg: ContainerCgroup): boolean;
}
