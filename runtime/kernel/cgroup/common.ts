import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KernelError } from '../errors.js';
import { report, stepSync, type Tracer } from '../step.js';
import type { ContainerCgroup } from './driver.js';
import type { CgroupFs } from './fs.js';

/** Read the pids listed in a cgroup.procs file. */
export function readProcs(fs: CgroupFs, dir: string): number[] {
  try {
    return fs.read(join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * A cgroup and every cgroup below it, children before their parents: the
 * order rmdir needs. The runtime makes one directory per container, but the
 * container (root, with all capabilities, its own cgroup as its cgroup
 * namespace's root) can mount its hierarchy and mkdir child cgroups, and move
 * its processes into them.
 */
export function subtree(fs: CgroupFs, dir: string): string[] {
  const out: string[] = [];
  for (const child of fs.list(dir)) out.push(...subtree(fs, join(dir, child)));
  out.push(dir);
  return out;
}

/** The pids in a cgroup and in every cgroup below it (cgroup.procs lists a cgroup's own processes only). */
export function readProcsTree(fs: CgroupFs, dir: string): number[] {
  return subtree(fs, dir).flatMap((d) => readProcs(fs, d));
}

/**
 * "/sys/fs/cgroup/{cpu,memory}/glass/glass-x" for many directories that
 * differ in one path segment (the hierarchy), so a step reads as one command
 * a learner could type.
 */
export function braced(dirs: string[], file = ''): string {
  const suffix = file ? `/${file}` : '';
  if (dirs.length === 1) return dirs[0]! + suffix;
  const split = dirs.map((d) => d.split('/'));
  const n = split[0]!.length;
  const differing = split[0]!.map((_, i) => i).filter((i) => split.some((p) => p[i] !== split[0]![i]));
  if (split.every((p) => p.length === n) && differing.length === 1) {
    const at = differing[0]!;
    const parts = [...split[0]!];
    parts[at] = `{${split.map((p) => p[at]).join(',')}}`;
    return parts.join('/') + suffix;
  }
  return dirs.map((d) => d + suffix).join(' ');
}

export function mkdirCgroups(fs: CgroupFs, trace: Tracer, name: string, dirs: string[], why: string): void {
  stepSync(trace, { title: `Create the container's cgroup ${name}`, why, command: `mkdir ${braced(dirs)}` }, () => {
    for (const dir of dirs) {
      try {
        fs.mkdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  });
}

/**
 * glass's own parent cgroup ("glass/" in each tree) is made by the first
 * container and removed with the last, so a host where no container runs
 * keeps no trace of glass in its cgroup trees. rmdir is the kernel's own
 * "only if empty" test: while another container's cgroup is in it, the
 * kernel refuses (EBUSY or ENOTEMPTY) and the parent stays. A create racing
 * this rmdir sees ENOENT and makes the parent again (withParent).
 */
export function removeEmptyParent(fs: CgroupFs, trace: Tracer, dirs: string[]): void {
  const removed: string[] = [];
  for (const dir of dirs) {
    try {
      fs.rmdir(dir);
      removed.push(dir);
    } catch { /* still holds other containers (EBUSY, ENOTEMPTY), or gone already */ }
  }
  if (removed.length === 0) return;
  report(trace, {
    title: "Remove glass's own cgroup, now empty",
    why: 'The last container under it is gone: rmdir succeeds only on an empty cgroup, so this never takes another container\'s; the next container makes it again.',
    command: `rmdir ${braced(removed)}`,
  });
}

/**
 * Run `make` (which mkdirs the parent if missing, then the container's
 * cgroup), again if another process removed the empty parent in between:
 * a mkdir of the child, or a write into the parent (its cpuset, its
 * subtree_control), then fails with ENOENT. Once the container's own
 * directory is in the parent, no one can remove it.
 */
export function withParent<T>(make: () => T): T {
  for (let attempt = 0; ; attempt++) {
    try {
      return make();
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).code === 'ENOENT' || (e instanceof KernelError && e.errno === 'ENOENT');
      if (!errno || attempt >= 20) throw e;
    }
  }
}

export function writePid(fs: CgroupFs, trace: Tracer, dirs: string[], pid: number): void {
  const command =
    dirs.length === 1
      ? `echo ${pid} > ${dirs[0]}/cgroup.procs`
      : `for f in ${braced(dirs, 'cgroup.procs')}; do echo ${pid} > $f; done`;
  stepSync(
    trace,
    {
      title: `Place pid ${pid} in the container's cgroup`,
      why: 'Writing a pid to cgroup.procs moves that process into the cgroup; everything it forks is born there, so the runtime can always find (and kill) all of the container\'s processes.',
      command,
    },
    () => {
      for (const dir of dirs) fs.write(join(dir, 'cgroup.procs'), String(pid));
    },
  );
}

export function killPids(fs: CgroupFs, trace: Tracer, cg: ContainerCgroup, pids: number[], signal: NodeJS.Signals): void {
  if (pids.length === 0) return;
  const nested = cg.dirs.some((d) => fs.list(d).length > 0);
  const dir = cg.dirs[0]!;
  report(trace, {
    title: `Signal every process in cgroup ${cg.name}`,
    why: nested
      ? 'The cgroup lists every process the container made, even ones that forked away from its init; the container made child cgroups too, and each lists its own processes in its own cgroup.procs, so all of them are read.'
      : 'The cgroup lists every process the container made, even ones that forked away from its init, so none is missed.',
    command: `kill -${signal.replace(/^SIG/, '')} $(${nested ? `find ${dir} -name cgroup.procs -exec cat {} +` : `cat ${dir}/cgroup.procs`})`,
  });
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch { /* already gone */ }
  }
}

/**
 * rmdir on a cgroup only succeeds once it has no processes and no child
 * cgroups: children go first, depth-first. Right after a kill the kernel may
 * still be reaping the processes (EBUSY), so retry briefly. Processes are not
 * killed here: killAll first.
 */
export async function rmdirCgroups(fs: CgroupFs, trace: Tracer, cg: ContainerCgroup): Promise<void> {
  const present = cg.dirs.filter((d) => fs.exists(d));
  if (present.length === 0) return;
  const removed: string[] = [];
  for (const dir of present) {
    for (let attempt = 0; ; attempt++) {
      try {
        for (const d of subtree(fs, dir)) {
          try {
            fs.rmdir(d);
            removed.push(d);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          }
        }
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || attempt >= 100) throw e;
        await sleep(20);
      }
    }
  }
  const nested = removed.length > present.length;
  report(trace, {
    title: `Remove cgroup ${cg.name}`,
    why: nested
      ? 'An empty cgroup directory is removed with rmdir, but not while it has child cgroups: the ones the container made go first, children before parents.'
      : 'An empty cgroup directory is removed with rmdir; it leaves no trace of the container in the cgroup tree.',
    command: `rmdir ${nested ? removed.join(' ') : braced(present)}`,
  });
}
