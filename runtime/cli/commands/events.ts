import { eventMatcher, eventTimeRange, getTimestamp, GlassError, isGlassError, type EngineEvent, type EventFilters } from '../../engine/index.js';
import { list, str, type Handler } from '../context.js';
import { UsageError } from '../parse.js';
import { outputClosed } from '../stdio.js';
import { parseTemplate, render } from '../template.js';

/**
 * `glass events [--since T] [--until T] [-f KEY=VALUE]... [--format TEMPLATE]`,
 * as docker 20.10's `docker events` (docker/cli cli/command/system/events.go):
 *
 * - Without --until it follows new events until interrupted; --since first
 *   prints the recorded ones from then on. With --until it stops at that
 *   time (at once when it has passed). --until alone prints every recorded
 *   event up to then, as the daemon does.
 * - One line an event: `<time> <Type> <Action> <ID> (k=v, ...)`, or the
 *   --format template applied to Docker's events.Message.
 * - Ctrl-C (SIGINT) or SIGTERM ends it quietly with 130 or 143, what the
 *   shell reports for docker 20.10, which the signal kills.
 */
export const events: Handler = async (ctx) => {
  // pflag parses -f KEY=VALUE before anything runs.
  const filters = parseFilterArgs(list(ctx.flags.filter));

  // docker checks the template first, on an empty message: exit 64.
  const format = str(ctx.flags.format);
  let parts: Parts | undefined;
  if (format !== undefined) {
    try {
      parts = parseTemplate(format);
      checkEventTemplate(parts, format);
    } catch (e) {
      if (!isGlassError(e)) throw e;
      ctx.err(`Error parsing format: ${e.message}\n`);
      return 64;
    }
  }

  // The client turns --since/--until into Unix timestamps; its errors are printed bare (exit 1).
  const now = Date.now();
  let since: string | undefined;
  let until: string | undefined;
  try {
    since = ifGiven(str(ctx.flags.since), (v) => getTimestamp(v, now));
    until = ifGiven(str(ctx.flags.until), (v) => getTimestamp(v, now));
  } catch (e) {
    if (!isGlassError(e)) throw e;
    ctx.err(`${e.message}\n`);
    return 1;
  }
  // The daemon's checks: unknown filter keys, until before since (Error: ..., exit 1).
  const matches = eventMatcher(filters);
  const range = eventTimeRange(since, until);

  const stop = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    signalled ??= sig;
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A reader that went away (`glass events | head -1`) is noticed on the next write.
  const watch = setInterval(() => outputClosed() && stop.abort(), 100);
  try {
    for await (const e of ctx.engine.events.follow({ ...range, signal: stop.signal })) {
      if (stop.signal.aborted) break;
      if (!matches(e)) continue;
      ctx.out(parts ? render(parts, messageView(e)) + '\n' : formatEvent(e));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearInterval(watch);
  }
  return signalled === 'SIGINT' ? 130 : signalled === 'SIGTERM' ? 143 : 0;
};

const ifGiven = <T>(v: string | undefined, f: (v: string) => T): T | undefined => (v === undefined ? undefined : f(v));

/**
 * `-f KEY=VALUE` as docker's filters.ParseFlag reads it: the key lowercased,
 * both sides trimmed, an empty argument ignored.
 */
export function parseFilterArgs(args: string[]): EventFilters {
  const filters: EventFilters = {};
  for (const arg of args) {
    if (arg === '') continue;
    const eq = arg.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid argument "${arg}" for "-f, --filter" flag: bad format of filter (expected name=value)`, 'events');
    (filters[arg.slice(0, eq).trim().toLowerCase()] ??= []).push(arg.slice(eq + 1).trim());
  }
  return filters;
}

// ---------------------------------------------------------------------------
// Output

/**
 * Go's time.Format with docker's rfc3339NanoFixed layout,
 * "2006-01-02T15:04:05.000000000Z07:00", in local time ("Z" for UTC).
 */
export function formatEventTime(timeNano: number): string {
  // The decimal digits, not the float: the fraction then matches the JSON in the log.
  const t = Math.trunc(timeNano);
  const ns = Math.abs(t) < 1e21 ? BigInt(String(t)) : BigInt(t);
  const negative = ns < 0n;
  let sec = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (negative && frac !== 0n) {
    sec -= 1n;
    frac += 1_000_000_000n;
  }
  const ms = Number(sec) * 1000;
  const offsetMin = -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + offsetMin * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${p(local.getUTCFullYear(), 4)}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())}`;
  const clock = `${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())}`;
  const zone = offsetMin === 0 ? 'Z' : `${offsetMin < 0 ? '-' : '+'}${p(Math.floor(Math.abs(offsetMin) / 60))}:${p(Math.abs(offsetMin) % 60)}`;
  return `${date}T${clock}.${frac.toString().padStart(9, '0')}${zone}`;
}

/** docker's prettyPrintEvent: `<time> <Type> <Action> <Actor.ID> (k=v, ...)`, attributes sorted by key. */
export function formatEvent(e: EngineEvent): string {
  let line = '';
  if (e.timeNano) line += formatEventTime(e.timeNano) + ' ';
  else if (e.time) line += formatEventTime(e.time * 1e9) + ' ';
  line += `${e.Type} ${e.Action} ${e.Actor.ID}`;
  const attrs = e.Actor.Attributes ?? {};
  const keys = Object.keys(attrs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length) line += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return line + '\n';
}

/** The JSON of Docker's events.Message: its field order, `omitempty` where Docker has it. */
export function messageJSON(e: EngineEvent): Record<string, unknown> {
  const attrs = e.Actor.Attributes ?? {};
  const sorted = Object.fromEntries(Object.keys(attrs).sort().map((k) => [k, attrs[k]]));
  return {
    ...(e.status ? { status: e.status } : {}),
    ...(e.id ? { id: e.id } : {}),
    ...(e.from ? { from: e.from } : {}),
    Type: e.Type,
    Action: e.Action,
    Actor: { ID: e.Actor.ID, Attributes: sorted },
    ...(e.scope ? { scope: e.scope } : {}),
    ...(e.time ? { time: e.time } : {}),
    ...(e.timeNano ? { timeNano: e.timeNano } : {}),
  };
}

/**
 * What a --format template sees: the Go struct's fields (.Status .ID .From
 * .Type .Action .Actor.ID .Actor.Attributes .Scope .Time .TimeNano), where
 * the JSON has status, id and from; `{{json .}}` prints the JSON.
 */
export function messageView(e: EngineEvent): Record<string, unknown> {
  const json = messageJSON(e);
  const view = {
    Status: e.status ?? '',
    ID: e.id ?? '',
    From: e.from ?? '',
    Type: e.Type,
    Action: e.Action,
    Actor: json.Actor,
    Scope: e.scope ?? '',
    Time: e.time ?? 0,
    TimeNano: e.timeNano ?? 0,
  };
  Object.defineProperty(view, 'toJSON', { value: () => json, enumerable: false });
  return view;
}

type Parts = ReturnType<typeof parseTemplate>;

/** Field types of events.Message and events.Actor, for the check docker makes by running the template on an empty message. */
const MESSAGE_FIELDS: Record<string, string> = {
  Status: 'string', ID: 'string', From: 'string', Type: 'string', Action: 'string',
  Actor: 'events.Actor', Scope: 'string', Time: 'int64', TimeNano: 'int64',
};
const ACTOR_FIELDS: Record<string, string> = { ID: 'string', Attributes: 'map' };

/**
 * Refuse a field events.Message does not have, as Go does:
 * `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type *events.Message`.
 */
export function checkEventTemplate(parts: Parts, format: string): void {
  const positions = fieldPositions(format);
  let n = 0;
  for (const p of parts) {
    if ('text' in p) continue;
    const at = positions[n++] ?? 0;
    let type = '*events.Message';
    for (const key of p.path) {
      const fields = type === '*events.Message' ? MESSAGE_FIELDS : type === 'events.Actor' ? ACTOR_FIELDS : undefined;
      let next: string | undefined;
      if (type === 'map') next = 'string';
      else if (fields) next = fields[key];
      if (next === undefined) {
        const before = format.slice(0, at);
        const line = before.split('\n').length;
        const col = at - (before.lastIndexOf('\n') + 1);
        throw new GlassError('INVALID_ARGUMENT', `template: :${line}:${col}: executing "" at <.${p.path.join('.')}>: can't evaluate field ${key} in type ${type}`);
      }
      type = next;
    }
  }
}

/** Where the field of each action starts in the format, as Go's parser counts (byte offsets of `.Field`). */
function fieldPositions(format: string): number[] {
  const out: number[] = [];
  let from = 0;
  for (;;) {
    const open = format.indexOf('{{', from);
    if (open < 0) return out;
    const close = format.indexOf('}}', open);
    if (close < 0) return out;
    const action = format.slice(open + 2, close);
    const word = /(?:^|\s)(\.[^\s]*)/.exec(action);
    out.push(open + 2 + (word ? word.index + word[0].length - word[1]!.length : 0));
    from = close + 2;
  }
}
