import { join } from 'node:path';
import type { Tracer } from '../step.js';
import { GLASS_PARENT, type CgroupDriver, type ContainerCgroup, type DriverOptions } from './driver.js';
import type { CgroupLayout, Hierarchy } from './layout.js';
import type { CgroupCapabilities, CgroupLimits } from './limits.js';
import { killPids, mkdirCgroups, readProcsTree, removeEmptyParent, rmdirCgroups, withParent, writePid } from './common.js';
import { hostCgroupFs, type CgroupFs } from './fs.js';
import { cpuCount, onlineCpus } from './caps.js';
import { readFile, type ControllerContext } from './write.js';
import { applyMemoryV1 } from './v1/memory.js';
import { applyCpuV1 } from './v1/cpu.js';
import { applyCpusetV1, inheritCpusetV1 } from './v1/cpuset.js';
import { applyPidsV1 } from './v1/pids.js';
import { applyDevicesV1 } from './v1/devices.js';
import { freezeV1, isFrozenV1 } from './v1/freezer.js';

/**
 * cgroup v1 (and the v1 half of a hybrid host): every controller has its own
 * tree (/sys/fs/cgroup/memory, /sys/fs/cgroup/pids, ...), so a container's
 * cgroup is one directory in each tree (under glass's parent, "glass/") and
 * the pid is written to each. On a hybrid host the v2 tree
 * (/sys/fs/cgroup/unified) gets a directory too, with no controllers: it
 * only lets glass find the processes.
 */
export class CgroupV1Driver implements CgroupDriver {
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

  private ctx(trace: Tracer): ControllerContext {
    return { fs: this.fs, trace };
  }

  plan(name: string): ContainerCgroup {
    return { name, dirs: this.layout.hierarchies.map((h) => join(h.mountpoint, this.parent, name)) };
  }

  create(trace: Tracer, name: string): ContainerCgroup {
    const cg = this.plan(name);
    try {
      withParent(() => this.make(trace, cg));
    } catch (e) {
      void rmdirCgroups(this.fs, () => {}, cg);
      throw e;
    }
    return cg;
  }

  /** The parent in every tree if missing (with its cpuset), then the container's directories. */
  private make(trace: Tracer, cg: ContainerCgroup): void {
    const ctx = this.ctx(trace);
    const name = cg.name;
    if (this.parent) {
      const parents = this.layout.hierarchies.map((h) => join(h.mountpoint, this.parent));
      const missing = parents.filter((p) => !this.fs.exists(p));
      if (missing.length) {
        mkdirCgroups(this.fs, trace, this.parent, missing, 'glass keeps all its containers under one cgroup of its own in each tree (as Docker keeps its under "docker"); the last container to go removes it.');
      }
      this.layout.hierarchies.forEach((h, i) => {
        if (h.controllers.includes('cpuset')) inheritCpusetV1(ctx, h.mountpoint, parents[i]!);
      });
    }
    mkdirCgroups(
      this.fs,
      trace,
      name,
      cg.dirs,
      `cgroup v1 has one tree per controller (${this.layout.hierarchies.map((h) => (h.version === 2 ? 'the v2 tree' : h.controllers.join(','))).join(', ')}); the container gets a directory in each.`,
    );
    this.layout.hierarchies.forEach((h, i) => {
      if (!h.controllers.includes('cpuset')) return;
      // The last container to go may have removed the parent, and this mkdir made it again, empty: a task
      // cannot join a cpuset without CPUs (ENOSPC), so the parent gets its CPUs again first (a read if it has them).
      if (this.parent) inheritCpusetV1(ctx, h.mountpoint, join(h.mountpoint, this.parent));
      inheritCpusetV1(ctx, join(h.mountpoint, this.parent), cg.dirs[i]!);
    });
  }

  private dirOf(cg: ContainerCgroup, pick: (h: Hierarchy) => boolean): string | undefined {
    const i = this.layout.hierarchies.findIndex((h) => h.version === 1 && pick(h));
    return i < 0 ? undefined : cg.dirs[i];
  }

  controllerDir(cg: ContainerCgroup, controller: string): string | undefined {
    return this.dirOf(cg, (h) => h.controllers.includes(controller));
  }

  applyLimits(trace: Tracer, cg: ContainerCgroup, l: CgroupLimits, opts: { privileged?: boolean; update?: boolean } = {}): void {
    const ctx = this.ctx(trace);
    const at = (c: string) => this.controllerDir(cg, c);
    const need = (c: string, set: boolean) => {
      const d = at(c);
      if (set && !d) throw new Error(`this host has no cgroup v1 ${c} hierarchy mounted under ${this.layout.root}: the option that needs it cannot be enforced`);
      return d;
    };
    const devices = at('devices');
    if (devices && !opts.update) applyDevicesV1(ctx, devices, !!opts.privileged);
    const memory = need('memory', !!(l.memory || l.memorySwap || l.memoryReservation || l.oomKillDisable));
    if (memory) applyMemoryV1(ctx, memory, l);
    const cpu = need('cpu', !!(l.cpuShares || l.nanoCpus || l.cpuQuota || l.cpuPeriod));
    if (cpu) applyCpuV1(ctx, cpu, l);
    const cpuset = need('cpuset', !!l.cpusetCpus);
    if (cpuset) applyCpusetV1(ctx, cpuset, l);
    const pids = need('pids', !!l.pidsLimit);
    if (pids) applyPidsV1(ctx, pids, l);
  }

  async freeze(trace: Tracer, cg: ContainerCgroup, frozen: boolean): Promise<void> {
    const dir = this.controllerDir(cg, 'freezer');
    if (!dir) throw new Error(`this host has no cgroup v1 freezer hierarchy mounted under ${this.layout.root}: pause needs it`);
    await freezeV1(this.ctx(trace), dir, frozen);
  }

  isFrozen(cg: ContainerCgroup): boolean {
    const dir = this.controllerDir(cg, 'freezer');
    return !!dir && isFrozenV1(this.ctx(() => {}), dir);
  }

  capabilities(): CgroupCapabilities {
    const mount = (c: string) => this.layout.hierarchies.find((h) => h.version === 1 && h.controllers.includes(c))?.mountpoint;
    const memory = mount('memory');
    const cpuset = mount('cpuset');
    return {
      cpus: cpuCount(),
      cpuset: (cpuset && readFile(this.fs, cpuset, 'cpuset.cpus')) || onlineCpus(),
      swapLimit: !!memory && this.fs.exists(join(memory, 'memory.memsw.limit_in_bytes')),
      oomKillDisable: !!memory && this.fs.exists(join(memory, 'memory.oom_control')),
    };
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

  async remove(trace: Tracer, cg: ContainerCgroup): Promise<void> {
    await rmdirCgroups(this.fs, trace, cg);
    if (this.parent) removeEmptyParent(this.fs, trace, this.layout.hierarchies.map((h) => join(h.mountpoint, this.parent)));
  }
}
