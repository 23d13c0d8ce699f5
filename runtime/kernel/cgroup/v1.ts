import { join } from 'node:path';
import { stepSync, type Tracer } from '../step.js';
import type { CgroupDriver, ContainerCgroup } from './driver.js';
import type { CgroupLayout } from './layout.js';
import { killPids, mkdirCgroups, readProcsTree, rmdirCgroups, writePid } from './common.js';
import { hostCgroupFs, type CgroupFs } from './fs.js';

/**
 * cgroup v1 (and the v1 half of a hybrid host): every controller has its own
 * tree (/sys/fs/cgroup/memory, /sys/fs/cgroup/pids, ...), so a container's
 * cgroup is one directory in each tree and the pid is written to each. On a
 * hybrid host the v2 tree (/sys/fs/cgroup/unified) gets a directory too.
 */
export class CgroupV1Driver implements CgroupDriver {
  constructor(
    readonly layout: CgroupLayout,
    private readonly fs: CgroupFs = hostCgroupFs,
  ) {}

  plan(name: string): ContainerCgroup {
    return { name, dirs: this.layout.hierarchies.map((h) => join(h.mountpoint, name)) };
  }

  create(trace: Tracer, name: string): ContainerCgroup {
    const cg = this.plan(name);
    try {
      mkdirCgroups(
        this.fs,
        trace,
        name,
        cg.dirs,
        `cgroup v1 has one tree per controller (${this.layout.hierarchies.map((h) => (h.version === 2 ? 'the v2 tree' : h.controllers.join(','))).join(', ')}); the container gets a directory in each.`,
      );
      this.layout.hierarchies.forEach((h, i) => {
        if (h.controllers.includes('cpuset')) this.inheritCpuset(trace, h.mountpoint, cg.dirs[i]!);
      });
    } catch (e) {
      void rmdirCgroups(this.fs, () => {}, cg);
      throw e;
    }
    return cg;
  }

  /**
   * A new v1 cpuset starts with no CPUs and no memory nodes, and the kernel
   * refuses to put a task in it (ENOSPC). Copy the parent's sets first.
   */
  private inheritCpuset(trace: Tracer, parent: string, dir: string): void {
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const value = this.fs.read(join(parent, file)).trim();
      stepSync(
        trace,
        {
          title: `Give the cpuset its parent's ${file}`,
          why: 'A fresh v1 cpuset has no CPUs or memory nodes, and a task cannot join it until it has some.',
          command: `echo ${value} > ${join(dir, file)}`,
        },
        () => this.fs.write(join(dir, file), value),
      );
    }
  }

  place(trace: Tracer, cg: ContainerCgroup, pid: number): void {
    writePid(this.fs, trace, cg.dirs, pid);
  }

  pids(cg: ContainerCgroup): number[] {
    // Every tree holds the same processes, though not always in the same
    // place: the container may have moved some into a child cgroup of one tree.
    const all = new Set<number>();
    for (const dir of cg.dirs) for (const p of readProcsTree(this.fs, dir)) all.add(p);
    return [...all];
  }

  killAll(trace: Tracer, cg: ContainerCgroup, signal: NodeJS.Signals): void {
    killPids(this.fs, trace, cg, this.pids(cg), signal);
  }

  exists(cg: ContainerCgroup): boolean {
    return cg.dirs.some((d) => this.fs.exists(d));
  }

  remove(trace: Tracer, cg: ContainerCgroup): Promise<void> {
    return rmdirCgroups(this.fs, trace, cg);
  }
}
