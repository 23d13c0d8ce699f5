import { readFileSync } from 'node:fs';

/**
 * The two fields of /proc/<pid>/stat glass needs: the state (field 3: R, S,
 * Z for a zombie...) and the start time (field 22, clock ticks since boot).
 * The command name (field 2) is in parentheses and may hold spaces and ')',
 * so fields are counted from the last ')'.
 */
function readStat(pid: number): { state: string; startTime: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, startTime: Number(rest[19]) };
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
