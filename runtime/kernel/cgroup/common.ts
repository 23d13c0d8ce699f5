import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
 * "/sys/fs/cgroup/{cpu,memory}/glass-x" for many directories with one name,
 * so a step reads as one command a learner could type.
 */
export function braced(dirs: string[], file = ''): string {
  const suffix = file ? `/${file}` : '';
  if (dirs.length === 1) return dirs[0]! + suffix;
  const parents = dirs.map((d) => dirname(d));
  const name = basename(dirs[0]!);
  const top = dirname(parents[0]!);
  if (dirs.every((d) => basename(d) === name) && parents.every((p) => dirname(p) === top)) {
    return `${top}/{${parents.map((p) => basename(p)).join(',')}}/${name}${suffix}`;
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

export function killPids(trace: Tracer, cg: ContainerCgroup, pids: number[], signal: NodeJS.Signals): void {
  if (pids.length === 0) return;
  report(trace, {
    title: `Signal every process in cgroup ${cg.name}`,
    why: 'The cgroup lists every process the container made, even ones that forked away from its init, so none is missed.',
    command: `kill -${signal.replace(/^SIG/, '')} $(cat ${cg.dirs[0]}/cgroup.procs)`,
  });
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch { /* already gone */ }
  }
}

/**
 * rmdir on a cgroup only succeeds once it has no processes; right after a
 * kill the kernel may still be reaping them (EBUSY), so retry briefly.
 */
export async function rmdirCgroups(fs: CgroupFs, trace: Tracer, cg: ContainerCgroup): Promise<void> {
  const present = cg.dirs.filter((d) => fs.exists(d));
  if (present.length === 0) return;
  for (const dir of present) {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.rmdir(dir);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || attempt >= 100) throw e;
        await sleep(20);
      }
    }
  }
  report(trace, {
    title: `Remove cgroup ${cg.name}`,
    why: 'An empty cgroup directory is removed with rmdir; it leaves no trace of the container in the cgroup tree.',
    command: `rmdir ${braced(present)}`,
  });
}
