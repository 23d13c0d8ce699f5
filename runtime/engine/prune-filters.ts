import { GlassError } from './errors.js';
import { getTimestamp, parseTimestamp } from './events-filter.js';
import { matchLabels } from './containers/labels.js';

/**
 * `--filter` of the prune commands (Docker's pruneFilters): `until=TIME`
 * (created before it: a duration back from now, a date, Unix seconds),
 * `label=KEY[=VALUE]` (every one must hold) and `label!=KEY[=VALUE]` (skip
 * what matches them all). Other keys are refused with Docker's words.
 */
export interface PruneFilters {
  /** Unix milliseconds: only what was created before. */
  untilMs?: number;
  label: string[];
  notLabel: string[];
}

/** Parse `KEY=VALUE` strings (as typed after --filter) into prune filters; `allowed`: the keys this prune takes. */
export function parsePruneFilters(args: string[], allowed: string[] = ['until', 'label', 'label!'], nowMs = Date.now()): PruneFilters {
  const f: PruneFilters = { label: [], notLabel: [] };
  const until: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) throw new GlassError('INVALID_ARGUMENT', 'bad format of filter (expected name=value)', 1);
    // "label!=a=b": the key is "label!" (Docker reads the first "=" after the key's "!").
    const key = arg.slice(0, eq).trim().toLowerCase();
    const value = arg.slice(eq + 1).trim();
    if (!allowed.includes(key)) throw new GlassError('INVALID_ARGUMENT', `Invalid filter '${key}'`, 1);
    if (key === 'until') until.push(value);
    else if (key === 'label') f.label.push(value);
    else f.notLabel.push(value);
  }
  if (until.length > 1) throw new GlassError('INVALID_ARGUMENT', 'more than one until filter specified', 1);
  if (until.length === 1) f.untilMs = parseTimestamp(getTimestamp(until[0]!, nowMs)) / 1e6;
  return f;
}

/** Does something created at `createdMs` with `labels` pass the filters? */
export function pruneMatches(f: PruneFilters, createdMs: number, labels: Record<string, string>): boolean {
  if (f.untilMs !== undefined && createdMs > f.untilMs) return false;
  if (!matchLabels(f.label, labels)) return false;
  if (f.notLabel.length > 0 && matchLabels(f.notLabel, labels)) return false;
  return true;
}

/** The filters as Docker's system prune lists them under its warning: label=..., label!=..., until=..., sorted. */
export function shownFilters(args: string[]): string[] {
  return args
    .map((a) => {
      const eq = a.indexOf('=');
      return `${a.slice(0, eq).trim().toLowerCase()}=${a.slice(eq + 1).trim()}`;
    })
    .filter((a) => /^(label|label!|until)=/.test(a))
    .sort();
}
