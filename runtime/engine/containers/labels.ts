import { GlassError } from '../errors.js';
import { ENV_FILE_MAX_LINE, lineTooLong, readKeyValueFile } from './env.js';

/**
 * Container labels (`run -l`, `--label-file`): KEY=VALUE metadata glass keeps
 * in the container's config.json, so people and tools can find containers by
 * them (`ps --filter label=...`, `events --filter label=...`). Nothing of them
 * reaches the kernel. The rules are Docker's: label files first, then -l
 * (a later key wins), all merged over the image's own Labels.
 */
export type Labels = Record<string, string>;

/** What `CreateOptions` may carry: Docker's Config.Labels map, or -l values; and label files read by the client. */
export interface LabelOptions {
  labels?: Labels | string[];
  labelFiles?: { path: string; text: string }[];
}

const HOW = 'use KEY=VALUE, or KEY alone for an empty value';

/** An empty key is refused, as Docker's CLI refuses `-l =x`; a key with "=" could never be matched by label=KEY=VALUE. */
function checkKey(key: string, given: string): void {
  if (key === '') throw new GlassError('INVALID_ARGUMENT', `invalid label '${given}': empty name (${HOW})`);
  if (key.includes('=')) throw new GlassError('INVALID_ARGUMENT', `invalid label name '${key}': a label name cannot contain "=" (${HOW})`);
}

/** One -l value: KEY=VALUE (split at the first "="), or KEY for an empty value. */
export function parseLabel(arg: string): [string, string] {
  const eq = arg.indexOf('=');
  const key = eq < 0 ? arg : arg.slice(0, eq);
  checkKey(key, arg);
  return [key, eq < 0 ? '' : arg.slice(eq + 1)];
}

/**
 * A label file, read the way Docker reads env and label files: one label a
 * line, leading white space dropped, blank lines and # comments skipped, a
 * UTF-8 byte order mark ignored, the value taken as it is (no quotes
 * stripped). A line with no "=" is a label with an empty value, as with -l
 * (Docker 20.10 silently drops such a line).
 */
export function parseLabelFile(path: string, text: string): [string, string][] {
  const out: [string, string][] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      if (Buffer.byteLength(raw) >= ENV_FILE_MAX_LINE) throw lineTooLong(path, i + 1, 'label');
      const line = raw.replace(/^\s+/, '');
      if (line === '' || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      const key = eq < 0 ? line : line.slice(0, eq);
      if (key === '' || /\s/.test(key)) {
        throw new GlassError('INVALID_ARGUMENT', `${path}:${i + 1}: invalid label-file line ${JSON.stringify(raw)}: each line must be KEY=VALUE or KEY (no spaces in KEY)`);
      }
      out.push([key, eq < 0 ? '' : line.slice(eq + 1)]);
    });
  return out;
}

/** Read a label file (the client's side of --label-file): Docker's 64 KiB line limit, as for env files. */
export function readLabelFile(path: string): Promise<string> {
  return readKeyValueFile(path, 'label');
}

/** Labels sorted by key, as Go prints a map (inspect, events). Built from entries, so a key like "__proto__" stays a key. */
function sorted(entries: Iterable<[string, string]>): Labels {
  const map = new Map(entries);
  return Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The user's labels: label files in order, then `labels`; a later key wins. Throws INVALID_ARGUMENT for a bad one. */
export function userLabels(opts: LabelOptions): Labels {
  const entries: [string, string][] = [];
  for (const f of opts.labelFiles ?? []) entries.push(...parseLabelFile(f.path, f.text));
  if (Array.isArray(opts.labels)) {
    for (const arg of opts.labels) entries.push(parseLabel(arg));
  } else {
    for (const [k, v] of Object.entries(opts.labels ?? {})) {
      checkKey(k, `${k}=${v}`);
      if (typeof v !== 'string') throw new GlassError('INVALID_ARGUMENT', `label '${k}': the value must be a string, not ${typeof v}`);
      entries.push([k, v]);
    }
  }
  return sorted(entries);
}

/** Docker's merge at create: the image's Labels first, the container's own win. */
export function mergeLabels(image: Labels | null | undefined, user: Labels): Labels {
  return sorted([...Object.entries(image ?? {}), ...Object.entries(user)]);
}

/**
 * `--filter label=KEY` / `label=KEY=VALUE` (Docker's MatchKVList): every
 * value given must hold, unlike other filter keys, whose values are
 * alternatives. No label filter matches everything; any label filter
 * matches nothing that has no labels.
 */
export function matchLabels(values: string[], labels: Record<string, string>): boolean {
  if (values.length === 0) return true;
  if (Object.keys(labels).length === 0) return false;
  return values.every((v) => {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!Object.hasOwn(labels, key)) return false;
    return eq < 0 || labels[key] === v.slice(eq + 1);
  });
}
