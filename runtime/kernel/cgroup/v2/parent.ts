import { join } from 'node:path';
import { report } from '../../step.js';
import type { CgroupFs } from '../fs.js';
import { readFile, writeFile, type ControllerContext } from '../write.js';

/** The controllers glass hands down to its containers on v2 (those the host has). */
export const V2_CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'];

/**
 * On cgroup v2 a controller works in a cgroup only if its parent lists it in
 * cgroup.subtree_control, and the parent's parent too, up to the root. glass
 * keeps its containers under one cgroup of its own (/sys/fs/cgroup/glass, as
 * Docker's and Podman's cgroupfs drivers keep theirs under "docker" and
 * "libpod_parent"), so it enables the controllers at the root and in
 * glass/, once. The "no internal processes" rule of v2 is kept: glass/ never
 * holds a process itself, only container cgroups.
 *
 * On a systemd host, systemd owns the tree but leaves cgroups it did not make
 * alone; glass does not ask it for a delegated scope (that needs D-Bus), it
 * uses the cgroupfs way, as `docker --exec-opt native.cgroupdriver=cgroupfs`
 * does. systemd enables cpu, io, memory and pids at the root itself; glass
 * adds what is missing (cpuset).
 */
export function ensureParentV2(ctx: ControllerContext, root: string, parent: string): void {
  const available = (readFile(ctx.fs, root, 'cgroup.controllers') ?? '').split(/\s+/).filter(Boolean);
  const wanted = V2_CONTROLLERS.filter((c) => available.includes(c));
  enable(ctx, root, wanted);
  const dir = join(root, parent);
  if (!ctx.fs.exists(dir)) {
    try {
      ctx.fs.mkdir(dir);
      report(ctx.trace, {
        title: `Create glass's own cgroup ${dir}`,
        why: 'Every container\'s cgroup goes under this one, so glass\'s containers are one subtree: easy to find, and one place to hand the controllers down.',
        command: `mkdir ${dir}`,
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  enable(ctx, dir, wanted);
}

function enable(ctx: ControllerContext, dir: string, wanted: string[]): void {
  const on = enabled(ctx.fs, dir);
  const missing = wanted.filter((c) => !on.includes(c));
  if (missing.length === 0) return;
  writeFile(ctx, dir, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '), `Hand the ${missing.join(', ')} controllers down from ${dir}`,
    'On cgroup v2 a child cgroup gets a controller\'s files (memory.max, cpu.max, pids.max...) only if its parent lists that controller in cgroup.subtree_control.');
}

export function enabled(fs: CgroupFs, dir: string): string[] {
  return (readFile(fs, dir, 'cgroup.subtree_control') ?? '').split(/\s+/).filter(Boolean);
}
