import { join } from 'node:path';
import { report, type Tracer } from '../step.js';
import { GLASS_PARENT, type CgroupDriver, type ContainerCgroup, type DriverOptions } from './driver.js';
import type { CgroupLayout } from './layout.js';
import type { CgroupCapabilities, CgroupLimits } from './limits.js';
import { killPids, mkdirCgroups, readProcsTree, removeEmptyParent, rmdirCgroups, withParent, writePid } from './common.js';
import { hostCgroupFs, type CgroupFs } from './fs.js';
import { cpuCount, onlineCpus } from './caps.js';
import { readFile, type ControllerContext } from './write.js';
import { ensureParentV2 } from './v2/parent.js';
import { applyMemoryV2 } from './v2/memory.js';
import { applyCpuV2 } from './v2/cpu.js';
import { applyCpusetV2 } from './v2/cpuset.js';
import { applyPidsV2 } from './v2/pids.js';
import { freezeV2, isFrozenV2 } from './v2/freezer.js';

/**
 * cgroup v2 ("unified"): a single tree at /sys/fs/cgroup, every controller in
 * it. A container's cgroup is one directory, /sys/fs/cgroup/glass/glass-<id>;
 * the controllers are handed down through each level's cgroup.subtree_control
 * (v2/parent.ts). v2 has no devices controller: device access is stopped by
 * the device nodes the container is given and its capabilities (see the
 * security stage), not by this driver.
 */
export class CgroupV2Driver implements CgroupDriver {
  private readonly fs: CgroupFs;
  private readonly parent: string;

  constructor(
    readonly layout: CgroupLayout,
    fs: CgroupFs = hostCgroupFs,
    opts: DriverOptions = {},
  ) {
    this.fs = fs;
    this.parent = opts.parent ?? GLASS_PARENT;
  }

  private get root(): string {
    return this.layout.hierarchies[0]?.mountpoint ?? this.layout.root;
  }

  private ctx(trace: Tracer): ControllerContext {
    return { fs: this.fs, trace };
  }

  plan(name: string): ContainerCgroup {
    return { name, dirs: [join(this.root, this.parent, name)] };
  }

  create(trace: Tracer, name: string): ContainerCgroup {
    const cg = this.plan(name);
    withParent(() => {
      if (this.parent) ensureParentV2(this.ctx(trace), this.root, this.parent);
      mkdirCgroups(this.fs, trace, name, cg.dirs, 'cgroup v2 has a single tree; the container gets one directory in it, under glass\'s own.');
    });
    return cg;
  }

  controllerDir(cg: ContainerCgroup, controller: string): string | undefined {
    const dir = cg.dirs[0]!;
    const available = (readFile(this.fs, join(dir, '..'), 'cgroup.subtree_control') ?? '').split(/\s+/);
    return available.includes(controller) ? dir : undefined;
  }

  applyLimits(trace: Tracer, cg: ContainerCgroup, l: CgroupLimits, _opts: { privileged?: boolean; update?: boolean } = {}): void {
    const ctx = this.ctx(trace);
    const dir = cg.dirs[0]!;
    const need = (c: string, set: boolean) => {
      if (set && !this.controllerDir(cg, c)) throw new Error(`the ${c} controller is not enabled for ${dir} (cgroup.subtree_control of its parent): the option that needs it cannot be enforced`);
      return set;
    };
    if (need('memory', !!(l.memory || l.memorySwap || l.memoryReservation))) applyMemoryV2(ctx, dir, l);
    if (l.oomKillDisable) {
      report(trace, { title: 'No --oom-kill-disable on cgroup v2', why: 'cgroup v2 has no switch to turn the OOM killer off for a cgroup; the option is ignored, as Docker does.', command: `cat ${dir}/memory.events`, phase: 'failed', error: 'not supported on cgroup v2' });
    }
    if (need('cpu', !!(l.cpuShares || l.nanoCpus || l.cpuQuota || l.cpuPeriod))) applyCpuV2(ctx, dir, l);
    if (need('cpuset', !!l.cpusetCpus)) applyCpusetV2(ctx, dir, l);
    if (need('pids', !!l.pidsLimit)) applyPidsV2(ctx, dir, l);
  }

  async freeze(trace: Tracer, cg: ContainerCgroup, frozen: boolean): Promise<void> {
    await freezeV2(this.ctx(trace), cg.dirs[0]!, frozen);
  }

  isFrozen(cg: ContainerCgroup): boolean {
    return isFrozenV2(this.ctx(() => {}), cg.dirs[0]!);
  }

  capabilities(): CgroupCapabilities {
    const controllers = (readFile(this.fs, this.root, 'cgroup.controllers') ?? '').split(/\s+/);
    return {
      cpus: cpuCount(),
      cpuset: readFile(this.fs, this.root, 'cpuset.cpus.effective') || onlineCpus(),
      // memory.swap.max exists in every cgroup below the root once memory is enabled (CONFIG_MEMCG_SWAP).
      swapLimit: controllers.includes('memory'),
      oomKillDisable: false,
    };
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

  async remove(trace: Tracer, cg: ContainerCgroup): Promise<void> {
    await rmdirCgroups(this.fs, trace, cg);
    if (this.parent) removeEmptyParent(this.fs, trace, [join(this.root, this.parent)]);
  }
}
