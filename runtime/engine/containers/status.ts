import type { ContainerConfig, ContainerInfo, ContainerRunState, ContainerStatus, ExitRecord, ShimRecord } from './types.js';

/**
 * Pure rules about a container's status: what it is, given what is on disk
 * and whether its shim lives, and how Docker words it. No I/O here, so they
 * are unit-tested without root.
 */

/** What the engine found on disk for one container. */
export interface OnDisk {
  state: ContainerRunState;
  /** The shim's own record of this run (written right after clone), if any. */
  shim?: ShimRecord;
  exit?: ExitRecord;
  /** Is the shim named by `shim` (or by the state, for older records) alive, the same process? */
  shimAlive: boolean;
}

/**
 * A container's status from its records. The shim's own records win over the
 * engine's state, because the CLI that wrote the state may have been killed
 * at any point of a start:
 *
 *   an exit record of this run          → exited, with the shim's exit code
 *   a live shim                         → running (even if the state still says created)
 *   a shim record, the shim gone        → dead: the engine reconciles it
 *   state "created"                     → created (never started, or its start failed)
 *   state "started", no shim alive      → dead (older records without shim.json)
 */
export function statusOf(config: ContainerConfig, d: OnDisk): ContainerInfo {
  const { state, shim, exit, shimAlive } = d;
  const startedAt = state.startedAt;
  if (exit && (shim || state.status === 'started')) {
    return { config, state, shim, status: 'exited', running: false, pid: 0, exitCode: exit.exitCode, startedAt, finishedAt: exit.finishedAt, problem: exit.reason, oomKilled: exit.oomKilled };
  }
  if (shimAlive) {
    return { config, state, shim, status: 'running', running: true, pid: shim?.initPid ?? state.pid ?? 0, exitCode: 0, startedAt };
  }
  if (shim || state.status === 'started') {
    return { config, state, shim, status: 'dead', running: false, pid: 0, exitCode: 255, startedAt };
  }
  return { config, state, status: 'created', running: false, pid: 0, exitCode: state.exitCode ?? 0 };
}

/** A container some of whose files cannot be read: listed, so that `rm -f` can remove it. */
export function brokenInfo(config: ContainerConfig, problem: string, shim?: ShimRecord): ContainerInfo {
  return { config, state: { status: 'created', restartCount: 0 }, shim, status: 'broken', running: false, pid: 0, exitCode: 255, problem };
}

/** What `ps`, `inspect` and the API call the state: a dead container is shown as exited once reconciled. */
export const shownState = (status: ContainerStatus): 'created' | 'running' | 'exited' | 'dead' =>
  status === 'dead' ? 'exited' : status === 'broken' ? 'dead' : status;

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
