import { mkdirSync, readFileSync, rmdirSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { report, stepSync, type Tracer } from '../step.js';
import type { ContainerCgroup } from './driver.js';

/** Read the pids listed in a cgroup.procs file. */
export function readProcs(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function mkdirCgroup(trace: Tracer, dir: string, why: string): void {
  stepSync(trace, { title: `Create cgroup ${dir}`, why, command: `mkdir ${dir}` }, () => {
    try {
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  });
}

export function writePid(trace: Tracer, dir: string, pid: number, why: string): void {
  const file = join(dir, 'cgroup.procs');
  stepSync(trace, { title: `Place pid ${pid} in ${dir}`, why, command: `echo ${pid} > ${file}` }, () =>
    writeFileSync(file, String(pid)),
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
export async function rmdirCgroups(trace: Tracer, cg: ContainerCgroup): Promise<void> {
  const present = cg.dirs.filter((d) => existsSync(d));
  if (present.length === 0) return;
  for (const dir of present) {
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(dir);
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
    command: `rmdir ${present.join(' ')}`,
  });
}
