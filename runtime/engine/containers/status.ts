import type { ContainerConfig, ContainerInfo, ContainerRunState, ContainerStatus, ExitRecord } from './types.js';

/**
 * Pure rules about a container's status: what it is, given what is on disk
 * and whether its shim lives, and how Docker words it. No I/O here, so they
 * are unit-tested without root.
 */

/**
 * A container's status from its state record, its exit record and whether
 * its shim (the same process: pid and start time) is alive.
 *
 *   state "created"                 → created (never started, or its start failed)
 *   an exit record                  → exited, with the shim's exit code
 *   started, no exit, shim alive    → running
 *   started, no exit, shim gone     → dead: the engine reconciles it
 */
export function statusOf(config: ContainerConfig, state: ContainerRunState, exit: ExitRecord | undefined, shimAlive: boolean): ContainerInfo {
  if (state.status === 'created') {
    return { config, state, status: 'created', running: false, pid: 0, exitCode: state.exitCode ?? 0 };
  }
  if (exit) {
    return { config, state, status: 'exited', running: false, pid: 0, exitCode: exit.exitCode, startedAt: state.startedAt, finishedAt: exit.finishedAt };
  }
  if (shimAlive) {
    return { config, state, status: 'running', running: true, pid: state.pid ?? 0, exitCode: 0, startedAt: state.startedAt };
  }
  return { config, state, status: 'dead', running: false, pid: 0, exitCode: state.exitCode ?? 255, startedAt: state.startedAt, finishedAt: state.finishedAt };
}

/** What `ps`, `inspect` and the API call the state: a dead container is shown as exited once reconciled. */
export const shownState = (status: ContainerStatus): 'created' | 'running' | 'exited' => (status === 'dead' ? 'exited' : status);

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** go-units HumanDuration: how `ps` and `images` say how long ago something happened. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / HOUR + 0.5); // time.Duration.Round(time.Hour): halves away from zero
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / HOUR) / 24 / 365)} years`;
}

export type StatusWord = 'created' | 'running' | 'exited' | 'dead' | 'paused' | 'restarting';

export interface StatusInput {
  status: StatusWord;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
}

/** Go's zero time ("0001-01-01T00:00:00Z") and absence both mean "never happened". */
function isZeroTime(iso: string | undefined): boolean {
  return !iso || iso.startsWith('0001-01-01');
}

export function parseTime(iso: string): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`invalid timestamp: ${iso}`);
  return t;
}

/** The Status text of the API and the STATUS column of `ps` (moby container.State.String). */
export function statusText(s: StatusInput, now: Date): string {
  const since = (iso: string | undefined) => humanDuration(now.getTime() - parseTime(iso!));
  switch (s.status) {
    case 'running':
      return `Up ${since(s.startedAt)}`;
    case 'paused':
      return `Up ${since(s.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode ?? 0}) ${since(s.finishedAt)} ago`;
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      // A container whose start failed never ran: Docker still calls it Created.
      if (isZeroTime(s.startedAt)) return 'Created';
      if (isZeroTime(s.finishedAt)) return '';
      return `Exited (${s.exitCode ?? 0}) ${since(s.finishedAt)} ago`;
  }
}

/** The Command of the API's container summary: path and args, args with a space in single quotes (moby). */
export function summaryCommand(path: string, args: string[]): string {
  return args.length ? `${path} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}` : path;
}
