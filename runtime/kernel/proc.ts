import { readFileSync } from 'node:fs';

/**
 * The fields of /proc/<pid>/stat glass needs: the state (field 3: R, S, Z
 * for a zombie...), the parent (4), the start time (22, clock ticks since
 * boot) and, for a process that has exited, its wait status (52).
 * The command name (field 2) is in parentheses and may hold spaces and ')',
 * so fields are counted from the last ')'.
 */
function readStat(pid: number): { state: string; ppid: number; startTime: number; exitCode: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3; field N is rest[N - 3].
    return { state: rest[0]!, ppid: Number(rest[1]), startTime: Number(rest[19]), exitCode: Number(rest[49]) };
  } catch {
    return undefined;
  }
}

/**
 * A process's start time. A pid alone can be reused by an unrelated process
 * after ours exits; pid + start time identifies one process for its whole life.
 */
export function processStartTime(pid: number): number | undefined {
  return readStat(pid)?.startTime;
}

/** Is this exact process (pid and start time) still alive (and not a zombie)? */
export function isSameProcessAlive(pid: number, startTime: number | undefined): boolean {
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z') return false;
  return startTime === undefined || stat.startTime === startTime;
}

/**
 * The exit of a process that has ended but was not reaped yet (a zombie) by
 * its parent `ppid`: the kernel keeps its wait status until the parent reads
 * it. The shim leaves the container's init so when it cannot write the exit
 * record (a full disk): the code is kept by the kernel, and its pid cannot be
 * reused meanwhile. undefined when `pid` is not such a zombie.
 */
export function zombieExit(pid: number, ppid: number): { exitCode: number; signal: number } | undefined {
  const stat = readStat(pid);
  if (!stat || stat.state !== 'Z' || stat.ppid !== ppid) return undefined;
  const status = stat.exitCode;
  const signal = status & 0x7f;
  return signal === 0 ? { exitCode: (status >> 8) & 0xff, signal: 0 } : { exitCode: 128 + signal, signal };
}

export function signalProcess(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
