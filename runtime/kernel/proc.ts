import { readFileSync } from 'node:fs';

/**
 * A process's start time (field 22 of /proc/<pid>/stat, in clock ticks since
 * boot). A pid alone can be reused by an unrelated process after ours exits;
 * pid + start time identifies one process for its whole life.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

/** Is this exact process (pid and start time) still alive (and not a zombie)? */
export function isSameProcessAlive(pid: number, startTime: number | undefined): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return false;
    return startTime === undefined || Number(rest[19]) === startTime;
  } catch {
    return false;
  }
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
