import { GlassError } from './errors.js';
import type { EngineEvent } from './events.js';
import { parseReference } from './images/reference.js';
import { matchLabels } from './containers/labels.js';

/**
 * The rules of `docker events`, pure so that the CLI and (later) the daemon
 * share them: which events a `--filter` lets through, and which instants
 * `--since` and `--until` name.
 *
 * Docker splits the time work in two. The client turns what the user typed
 * (`10m`, `2024-05-01T10:00`, `1700000000.5`) into a Unix timestamp string
 * (getTimestamp), and the daemon reads that string back (parseTimestamp) and
 * checks the pair (eventTimeRange). Both halves are here, with Docker's
 * error messages.
 */

// ---------------------------------------------------------------------------
// Filters

/** `--filter KEY=VALUE` arguments grouped by key: values of one key are alternatives. */
export type EventFilters = Record<string, string[]>;

/**
 * Docker's event filter keys. glass records container and image events; the
 * keys for objects it does not have (networks, volumes, services, ...) are
 * accepted and match as Docker's do, so they let no glass event through.
 */
export const EVENT_FILTER_KEYS = [
  'config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume',
];

/** Keys that name one object by ID or name, both by prefix (Docker's fuzzyMatchName). */
const NAMED_KEYS = ['config', 'container', 'daemon', 'network', 'node', 'plugin', 'secret', 'service', 'volume'];

/** Event filters that match by prefix, since their actions carry a suffix ("exec_start: sh -c ..."). */
const PREFIX_ACTIONS = ['health_status', 'exec_create', 'exec_start'];

/**
 * Check the filter keys and build the predicate, with the daemon's rules
 * (moby daemon/events/filter.go): values of one key are alternatives,
 * different keys must all match, except `label`, whose values must all hold.
 *
 *   container=X  the actor's ID or its name starts with X (so a name prefix matches too)
 *   event=X      the action is exactly X
 *   image=X      the image's ID or name is X, with or without its tag
 *   label=K[=V]  the actor has attribute K (with value V): Docker copies labels into the attributes
 *   type=X       container or image
 */
export function eventMatcher(filters: EventFilters): (e: EngineEvent) => boolean {
  for (const key of Object.keys(filters)) {
    if (!EVENT_FILTER_KEYS.includes(key)) {
      throw new GlassError(
        'INVALID_ARGUMENT',
        `Invalid filter '${key}': glass filters events by container, event, image, label and type ` +
          "(and Docker's keys for objects glass does not have: config, daemon, network, node, plugin, scope, secret, service, volume)",
      );
    }
  }
  const given = (key: string) => (filters[key]?.length ?? 0) > 0;
  const exact = (key: string, source: string) => !given(key) || filters[key]!.includes(source);
  const prefix = (key: string, source: string) => !given(key) || filters[key]!.some((v) => source.startsWith(v));
  const actionMatch = (filters.event ?? []).some((v) => PREFIX_ACTIONS.includes(v)) ? prefix : exact;

  return (e) => {
    const attrs = e.Actor.Attributes ?? {};
    const name = attrs.name ?? '';
    return (
      actionMatch('event', e.Action) &&
      exact('type', e.Type) &&
      exact('scope', e.scope ?? '') &&
      NAMED_KEYS.every((key) => prefix(key, e.Actor.ID) || prefix(key, name)) &&
      matchImage(e, exact) &&
      // Every label value must hold (Docker's MatchKVList), against the attributes: events carry the container's labels there.
      matchLabels(filters.label ?? [], attrs)
    );
  };
}

/** An image event's actor is the image (named by its `name` attribute); a container event names its image in `image`. */
function matchImage(e: EngineEvent, exact: (key: string, source: string) => boolean): boolean {
  const id = e.Actor.ID;
  const imageName = (e.Type === 'image' ? e.Actor.Attributes?.name : e.Actor.Attributes?.image) ?? '';
  return exact('image', id) || exact('image', imageName) || exact('image', stripTag(id)) || exact('image', stripTag(imageName));
}

/** "busybox:latest" → "busybox", "docker.io/library/busybox" → "busybox"; anything that is no image name stays as it is. */
function stripTag(image: string): string {
  try {
    return parseReference(image).repository;
  } catch {
    return image;
  }
}

// ---------------------------------------------------------------------------
// --since and --until

/** A bad --since/--until value: the client's error, printed as it is (Docker exits 1). */
const timeError = (message: string) => new GlassError('INVALID_ARGUMENT', message, 1);

/** Go's %q, near enough for what users type. */
const quote = (s: string) => JSON.stringify(s);

const DURATION_UNITS_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration ("10m", "1h30m", "1.5s", "-2s", "0"), in nanoseconds; undefined if it is none. */
export function parseGoDurationNs(raw: string): number | undefined {
  let s = raw;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  const part = /^(\d*(?:\.\d*)?)([^\d.]+)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    const unit = DURATION_UNITS_NS[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** The offset of local time from UTC at `ms`, in seconds east (UTC+1 → 3600). */
export function localOffsetSec(ms: number): number {
  return -new Date(ms).getTimezoneOffset() * 60;
}

/**
 * Docker's client side of --since/--until (api/types/time GetTimestamp): the
 * value as the Unix timestamp string sent to the daemon.
 *
 *   10m, 1h30m, 30s, 0s    a Go duration before now, in whole seconds ("1700000000")
 *   2006-01-02T15:04:05Z   RFC 3339, with or without seconds, fraction or zone, or
 *   2006-01-02             a date alone; without a zone it is local time ("1700000000.000000000")
 *   1700000000[.5]         Unix seconds[.fraction], passed on as they are
 *
 * Throws with Go's message when the value is none of these.
 */
export function getTimestamp(value: string, nowMs: number, zoneOffsetSec = localOffsetSec(nowMs)): string {
  const d = parseGoDurationNs(value);
  if (value !== '0' && d !== undefined) return String(Math.floor((nowMs - d / 1e6) / 1000));

  // A Z, a + or three dashes mean the value names its zone; otherwise it is local time.
  const inLocation = !(/[zZ+]/.test(value) || count(value, '-') === 3);
  let layout: string;
  if (value.includes('.')) {
    layout = inLocation ? '2006-01-02T15:04:05.999999999' : '2006-01-02T15:04:05.999999999Z07:00';
  } else if (value.includes('T')) {
    let colons = count(value, ':');
    // A +hh:mm zone has a colon of its own.
    if (!inLocation && !/[zZ]/.test(value) && colons > 0) colons--;
    const clock = colons === 0 ? '15' : colons === 1 ? '15:04' : '15:04:05';
    layout = `2006-01-02T${clock}${inLocation ? '' : 'Z07:00'}`;
  } else {
    layout = inLocation ? '2006-01-02' : '2006-01-02Z07:00';
  }
  try {
    const t = goParse(layout, value, inLocation ? zoneOffsetSec : undefined);
    return `${t.sec}.${String(t.nsec).padStart(9, '0')}`;
  } catch (e) {
    // With a dash it was meant as a date: Go's own complaint is the clearest.
    if (value.includes('-')) throw timeError((e as Error).message);
    try {
      parseTimestamp(value);
    } catch {
      throw timeError(`failed to parse value as time or duration: ${quote(value)}`);
    }
    return value; // already Unix seconds
  }
}

/**
 * The daemon's side (api/types/time ParseTimestamps): "seconds[.fraction]"
 * as Unix nanoseconds. The fraction is scaled to nanoseconds ("1.5" is 1.5 s).
 */
export function parseTimestamp(value: string): number {
  const dot = value.indexOf('.');
  const secText = dot < 0 ? value : value.slice(0, dot);
  const sec = parseGoInt(secText);
  if (dot < 0) return sec * 1e9;
  const fracText = value.slice(dot + 1);
  const frac = parseGoInt(fracText);
  return sec * 1e9 + Math.trunc(frac * 10 ** (9 - fracText.length));
}

/** Go's strconv.ParseInt(s, 10, 64), for the range of times. */
function parseGoInt(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new GlassError('INVALID_ARGUMENT', `strconv.ParseInt: parsing ${quote(s)}: invalid syntax`, 1);
  return Number(s);
}

/**
 * The bounds the daemon serves events between, from the timestamp strings
 * getTimestamp made (either may be absent). Like Docker, `until` without
 * `since` means "every event recorded up to then", and `until` before
 * `since` is refused.
 */
export function eventTimeRange(since: string | undefined, until: string | undefined): { sinceNano?: number; untilNano?: number } {
  const sinceNano = since === undefined ? undefined : parseTimestamp(since);
  const untilNano = until === undefined ? undefined : parseTimestamp(until);
  if (untilNano === undefined) return { sinceNano };
  if (sinceNano !== undefined && untilNano < sinceNano) {
    throw new GlassError('INVALID_ARGUMENT', `\`since\` time (${since}) cannot be after \`until\` time (${until})`, 1);
  }
  return { sinceNano: sinceNano ?? 0, untilNano };
}

function count(s: string, c: string): number {
  return s.split(c).length - 1;
}

// ---------------------------------------------------------------------------
// A small part of Go's time.Parse: the layouts GetTimestamp uses, with its errors.

const STD = ['2006', 'Z07:00', '.999999999', '01', '02', '15', '04', '05'];

/** Layout → [literal prefix, element] pairs, as Go's nextStdChunk splits it. */
function chunks(layout: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let literal = '';
  let i = 0;
  while (i < layout.length) {
    const std = STD.find((s) => layout.startsWith(s, i));
    if (std) {
      out.push([literal, std]);
      literal = '';
      i += std.length;
    } else literal += layout[i++];
  }
  out.push([literal, '']);
  return out;
}

const isDigit = (s: string, i: number) => i < s.length && s[i]! >= '0' && s[i]! <= '9';

/** Go's getnum: one or two digits; `fixed` wants exactly two. */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

/** Go's parseNanoseconds: value starts at the "." and has `n` bytes of fraction including it. */
function nanos(value: string, n: number): number {
  const digits = value.slice(1, Math.min(n, 10));
  return Number(digits) * 10 ** (9 - digits.length);
}

const daysIn = (month: number, year: number) =>
  month === 2 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Go's time.Parse (or ParseInLocation with a fixed zone, when `zoneSec` is
 * given) for the layouts above, with Go's error messages, e.g.
 * `parsing time "2024-13-01": month out of range`.
 */
function goParse(layout: string, input: string, zoneSec?: number): { sec: number; nsec: number } {
  const fail = (elem: string, rest: string): never => {
    throw new Error(`parsing time ${quote(input)} as ${quote(layout)}: cannot parse ${quote(rest)} as ${quote(elem)}`);
  };
  const outOfRange = (what: string): never => {
    throw new Error(`parsing time ${quote(input)}: ${what} out of range`);
  };
  let year = 0, month = 1, day = 1, hour = 0, min = 0, sec = 0, nsec = 0;
  let offset = zoneSec ?? 0;
  let value = input;
  const parts = chunks(layout);
  for (let k = 0; k < parts.length; k++) {
    const [literal, std] = parts[k]!;
    for (let j = 0; j < literal.length; j++) {
      if (value[0] !== literal[j]) fail(literal, value);
      value = value.slice(1);
    }
    if (!std) {
      if (value) throw new Error(`parsing time ${quote(input)}: extra text: ${quote(value)}`);
      break;
    }
    const hold = value;
    switch (std) {
      case '2006': {
        if (value.length < 4 || !isDigit(value, 0) || !/^\d{4}$/.test(value.slice(0, 4))) fail(std, hold);
        year = Number(value.slice(0, 4));
        value = value.slice(4);
        break;
      }
      case '01':
      case '02':
      case '15':
      case '04':
      case '05': {
        const got = getnum(value, std !== '15') ?? fail(std, hold);
        const [n, rest] = got;
        value = rest;
        if (std === '01') {
          if (n <= 0 || n > 12) outOfRange('month');
          month = n;
        } else if (std === '02') day = n;
        else if (std === '15') {
          if (n >= 24) outOfRange('hour');
          hour = n;
        } else if (std === '04') {
          if (n >= 60) outOfRange('minute');
          min = n;
        } else {
          if (n >= 60) outOfRange('second');
          sec = n;
          // A fraction the layout does not ask for is still read.
          if (value.length >= 2 && (value[0] === '.' || value[0] === ',') && isDigit(value, 1) && parts[k + 1]?.[1] !== '.999999999') {
            let n2 = 2;
            while (isDigit(value, n2)) n2++;
            nsec = nanos(value, n2);
            value = value.slice(n2);
          }
        }
        break;
      }
      case '.999999999': {
        if (value.length < 2 || (value[0] !== '.' && value[0] !== ',') || !isDigit(value, 1)) break; // omitted
        let i = 0;
        while (isDigit(value, i + 1)) i++;
        nsec = nanos(value, 1 + i);
        value = value.slice(1 + i);
        break;
      }
      case 'Z07:00': {
        if (value[0] === 'Z') {
          value = value.slice(1);
          offset = 0;
          break;
        }
        if (value.length < 6 || value[3] !== ':') fail(std, hold);
        const sign = value[0];
        const hh = getnum(value.slice(1, 3), true);
        const mm = getnum(value.slice(4, 6), true);
        if (!hh || !mm || (sign !== '+' && sign !== '-')) fail(std, hold);
        if (hh![0] > 24) outOfRange('time zone offset hour');
        if (mm![0] > 60) outOfRange('time zone offset minute');
        offset = (sign === '-' ? -1 : 1) * (hh![0] * 3600 + mm![0] * 60);
        value = value.slice(6);
        break;
      }
    }
  }
  if (day < 1 || day > daysIn(month, year)) outOfRange('day');
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec - offset;
  return { sec: seconds, nsec };
}
