import type { Tracer } from '../step.js';
import type { CgroupLayout } from './layout.js';
import type { CgroupCapabilities, CgroupLimits } from './limits.js';

/**
 * One cgroup per container, so that stop and rm can find every process the
 * container made (a forked daemon, a background job) and nothing escapes.
 * Limits are written into the cgroup's controller files (one file per
 * controller per version: v1/*.ts, v2/*.ts) before the pid is placed.
 * Containers live under one parent cgroup of glass's own ("glass").
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
  /**
   * Write the limits into the cgroup's files, and on v1 the devices policy
   * (Docker's default list, or every device when `privileged`). Called
   * before the pid is placed, so nothing runs unconfined; `update` for a live
   * container (no devices policy then).
   */
  applyLimits(trace: Tracer, cg: ContainerCgroup, limits: CgroupLimits, opts?: { privileged?: boolean; update?: boolean }): void;
  /** Freeze (pause) or thaw (unpause) every process of the cgroup; resolves once the kernel says it is done. */
  freeze(trace: Tracer, cg: ContainerCgroup, frozen: boolean): Promise<void>;
  /** Is the cgroup frozen? */
  isFrozen(cg: ContainerCgroup): boolean;
  /** The container's directory in the hierarchy that has this controller ("memory", "cpu", "pids"...). */
  controllerDir(cg: ContainerCgroup, controller: string): string | undefined;
  /** What the host's cgroups can enforce (Docker's sysinfo), for the engine's checks. */
  capabilities(): CgroupCapabilities;
}

/** The parent cgroup all of glass's containers live under, in every hierarchy. */
export const GLASS_PARENT = 'glass';

export interface DriverOptions {
  /** The parent cgroup's name ("" puts containers at the top of each hierarchy, as tests of the plain mechanics do). */
  parent?: string;
}
