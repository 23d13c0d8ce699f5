import { join } from 'node:path';
import { report, type Tracer } from '../step.js';
import type { CgroupDriver, ContainerCgroup } from './driver.js';
import type { CgroupLayout } from './layout.js';
import { killPids, mkdirCgroups, readProcsTree, rmdirCgroups, writePid } from './common.js';
import { hostCgroupFs, type CgroupFs } from './fs.js';

/**
 * cgroup v2 ("unified"): a single tree at /sys/fs/cgroup, every controller in
 * it. A container's cgroup is one directory. Controllers are handed down by
 * writing to a parent's cgroup.subtree_control (the limits issue does that).
 */
export class CgroupV2Driver implements CgroupDriver {
  constructor(
    readonly layout: CgroupLayout,
    private readonly fs: CgroupFs = hostCgroupFs,
  ) {}

  private get root(): string {
    return this.layout.hierarchies[0]?.mountpoint ?? this.layout.root;
  }

  plan(name: string): ContainerCgroup {
    return { name, dirs: [join(this.root, name)] };
  }

  create(trace: Tracer, name: string): ContainerCgroup {
    const cg = this.plan(name);
    mkdirCgroups(this.fs, trace, name, cg.dirs, 'cgroup v2 has a single tree; the container gets one directory in it.');
    return cg;
  }

  place(trace: Tracer, cg: ContainerCgroup, pid: number): void {
    writePid(this.fs, trace, cg.dirs, pid);
  }

  pids(cg: ContainerCgroup): number[] {
    return readProcsTree(this.fs, cg.dirs[0]!);
  }

  /** Linux 5.14+ kills a whole v2 cgroup, child cgroups included, with one write to cgroup.kill. */
  killAll(trace: Tracer, cg: ContainerCgroup, signal: NodeJS.Signals): void {
    const killFile = join(cg.dirs[0]!, 'cgroup.kill');
    if (signal === 'SIGKILL' && this.fs.exists(killFile)) {
      report(trace, {
        title: `Kill every process in cgroup ${cg.name}`,
        why: 'cgroup.kill SIGKILLs every process in the cgroup and in every cgroup below it at once, including ones forked a moment ago.',
        command: `echo 1 > ${killFile}`,
      });
      try {
        this.fs.write(killFile, '1');
      } catch { /* gone already */ }
      return;
    }
    killPids(this.fs, trace, cg, this.pids(cg), signal);
  }

  exists(cg: ContainerCgroup): boolean {
    return cg.dirs.some((d) => this.fs.exists(d));
  }

  remove(trace: Tracer, cg: ContainerCgroup): Promise<void> {
    return rmdirCgroups(this.fs, trace, cg);
  }
}
