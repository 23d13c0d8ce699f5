import { runPs } from '../../kernel/proc-view.js';
import { report, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import type { Observed } from './observed.js';

/** Docker's ContainerTopOKBody: ps's column titles, and one row of cells per process. */
export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/**
 * Docker refuses ps options that would rename the PID column
 * (`-o pid=PROCESS`): the daemon finds the container's processes by that
 * column. moby's validatePSArgs, same regular expression and message.
 */
export function validatePsArgs(psArgs: string): void {
  const re = /\s+([^\s]*)=\s*(PID[^\s]*)/g;
  for (const m of psArgs.matchAll(re)) {
    if (m[1] !== 'pid') throw new GlassError('INVALID_ARGUMENT', `specifying "${m[1]}=${m[2]}" is not allowed`, 1);
  }
}

/**
 * ps's output, kept to the container's processes, as moby's parsePSOutput
 * does it: the titles are the header's words; the row whose PID column is
 * one of `pids` is kept, split on whitespace into as many cells as there are
 * titles, the last cell holding the rest of the line (a command with spaces).
 * Thread lines (`-m`: PID "-") follow the process they belong to.
 */
export function parsePsOutput(output: string, pids: number[]): TopResult {
  const lines = output.split('\n');
  const Titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = Titles.indexOf('PID');
  if (pidIndex < 0) throw new GlassError('INVALID_ARGUMENT', "Couldn't find PID field in ps output: keep the PID column (e.g. -o pid,comm)", 1);
  const wanted = new Set(pids);
  const Processes: string[][] = [];
  const row = (fields: string[]) => [...fields.slice(0, Titles.length - 1), fields.slice(Titles.length - 1).join(' ')];
  let lastKept = false;
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const fields = line.trim().split(/\s+/);
    const pid = fields[pidIndex];
    if (pid === '-') {
      if (lastKept) Processes.push(row(fields));
      continue;
    }
    if (!/^\d+$/.test(pid ?? '')) throw new GlassError('INVALID_ARGUMENT', `Unexpected pid '${pid}' in ps output`, 1);
    lastKept = wanted.has(Number(pid));
    if (lastKept) Processes.push(row(fields));
  }
  return { Titles, Processes };
}

/** `docker top`: the host's ps (default -ef) limited to the processes in the container's cgroup. */
export async function containerTop(trace: Tracer, c: Observed, psArgs: string[]): Promise<TopResult> {
  if (!c.running) throw new GlassError('CONTAINER_NOT_RUNNING', `Container ${c.config.id} is not running`, 1);
  const joined = psArgs.join(' ');
  validatePsArgs(joined);
  // Docker splits the options on single spaces after joining them.
  const args = joined === '' ? ['-ef'] : joined.split(' ');
  const pids = c.pids().sort((a, b) => a - b);
  const procs = c.cgroup.dirs[0] ? `${c.cgroup.dirs[0]}/cgroup.procs` : 'cgroup.procs';
  report(trace, {
    title: `List the processes in cgroup ${c.cgroup.name} with the host's ps`,
    why: "Every process the container made is in its cgroup, so its cgroup.procs is the list; ps then describes them as the host sees them, with host PIDs. Inside, the same processes have other numbers (their own PID namespace).",
    command: `ps ${args.join(' ')} -q $(paste -sd, ${procs})`,
  });
  if (pids.length === 0) return parsePsOutput((await runPs(args, [c.pid || 1])).split('\n')[0] ?? '', []);
  return parsePsOutput(await runPs(args, pids), pids);
}
