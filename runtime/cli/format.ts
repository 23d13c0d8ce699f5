/**
 * Pure output formatters that reproduce the docker CLI's text byte for byte,
 * so `glass ps`, `glass images` and `glass logs -t` read exactly like Docker's
 * and lessons can compare the two. Each mirrors the Go function named in its
 * comment (docker/cli formatter, docker/go-units, Go's fmt and strconv).
 */
import { humanDuration, parseTime, shortId, statusText } from '../engine/index.js';

// Docker's wording of status and durations is the engine's (the API returns it); re-exported for the CLI's tables.
export { humanDuration, shortId, statusText as psStatus };

/** Length in runes (code points): Go's tabwriter and Ellipsis count runes, not UTF-16 units. Colour escape codes take no room. */
const runeLength = (s: string): number => [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;

/**
 * A table as docker prints it: text/tabwriter with minwidth 10, padding 3,
 * padchar ' '. Every column but the last is padded to max(10, widest cell + 3);
 * the last is not padded. Unlike Go, trailing spaces (an empty last cell) are
 * trimmed. Ends with '\n'. (`docker top` uses a minwidth of 20.)
 */
export function table(headers: string[], rows: string[][], minWidth = 10): string {
  const all = [headers, ...rows];
  const columns = Math.max(0, ...all.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < columns - 1; c++) {
    widths[c] = Math.max(minWidth, ...all.map((r) => runeLength(r[c] ?? '') + 3));
  }
  return all
    .map((r) =>
      r
        .map((cell, c) => (c < r.length - 1 ? cell + ' '.repeat(widths[c]! - runeLength(cell)) : cell))
        .join('')
        .trimEnd(),
    )
    .map((line) => line + '\n')
    .join('');
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** go-units HumanSizeWithPrecision (decimal units), as in the SIZE column of `images`. */
export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return formatG(size, precision) + DECIMAL_UNITS[i];
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units BytesSize (binary units, "%.4g"), as in the MEM USAGE / LIMIT column of `stats`: 364KiB, 23.54GiB. */
export function bytesSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < BINARY_UNITS.length - 1) {
    size /= 1024;
    i++;
  }
  return formatG(size, 4) + BINARY_UNITS[i];
}

/**
 * Go's fmt "%.<precision>g": `precision` significant digits, trailing zeros
 * dropped, exponent form when the exponent is < -4 or >= precision. Rounds
 * exact halves to even on the exact decimal value of the double, as Go does
 * (JavaScript's toPrecision rounds them up: 1.125 -> "1.13", Go gives "1.12").
 */
export function formatG(x: number, precision: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const abs = Math.abs(x);
  if (abs === 0) return sign + '0';
  const p = Math.max(1, precision);

  // Exact decimal expansion: digits and the position of the decimal point (dp).
  let digits: string;
  let dp: number;
  if (abs >= 1e21) {
    // toFixed gives exponent form here; BigInt is exact for such (integral) doubles.
    digits = BigInt(abs).toString();
    dp = digits.length;
  } else {
    const [int, frac = ''] = abs.toFixed(100).split('.') as [string, string?];
    const all = (int === '0' ? '' : int) + frac;
    const lead = all.search(/[1-9]/);
    if (lead < 0) return sign + abs.toExponential(p - 1); // below 1e-100: no size or duration is this small
    digits = all.slice(lead);
    dp = (int === '0' ? 0 : int.length) - lead;
  }

  // Round to p significant digits, half to even.
  let kept = digits.slice(0, p).split('').map(Number);
  const dropped = digits.slice(p);
  if (dropped.length > 0) {
    const first = Number(dropped[0]);
    const restZero = /^0*$/.test(dropped.slice(1));
    const up = first > 5 || (first === 5 && (!restZero || kept[kept.length - 1]! % 2 === 1));
    if (up) {
      let k = kept.length - 1;
      while (k >= 0 && kept[k] === 9) kept[k--] = 0;
      if (k < 0) {
        kept = [1, ...kept.slice(0, -1)];
        dp++;
      } else {
        kept[k] = kept[k]! + 1;
      }
    }
  }
  const d = kept.join('').replace(/0+$/, '') || '0';
  const nd = d.length;

  const exp = dp - 1;
  const eprec = p > nd && nd >= dp ? nd : p;
  if (exp < -4 || exp >= eprec) {
    const mant = nd > 1 ? `${d[0]}.${d.slice(1)}` : d;
    const e = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${d}`;
  if (dp >= nd) return sign + d + '0'.repeat(dp - nd);
  return `${sign}${d.slice(0, dp)}.${d.slice(dp)}`;
}

/** Go's strconv.Quote: double quotes, with \" \\ and non-printable characters escaped. */
export function goQuote(s: string): string {
  const named: Record<string, string> = {
    '\x07': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
    '"': '\\"',
    '\\': '\\\\',
  };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (named[ch]) out += named[ch];
    else if (ch === ' ' || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd'; // lone surrogate: invalid in Go's UTF-8 too
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

/** docker/cli formatter.Ellipsis, by runes: longer strings become their first max-1 runes and "…". */
export function ellipsis(s: string, max: number): string {
  const runes = [...s];
  if (max <= 0) return '';
  if (max === 1) return runes[0] ?? '';
  if (runes.length <= max) return s;
  return runes.slice(0, max - 1).join('') + '…';
}

/**
 * The COMMAND column of `ps`: the daemon joins path and args (quoting args
 * that contain a space in single quotes: summaryCommand), the CLI shortens it to 20 runes
 * unless --no-trunc, then prints it Go-quoted.
 */
export function psCommand(command: string, noTrunc: boolean): string {
  return goQuote(noTrunc ? command : ellipsis(command, 20));
}

/**
 * The CREATED column of `ps` and `images`. The API reports creation time in
 * whole Unix seconds, so Docker measures from the start of that second: a
 * container made 0.6 s ago at x.9 s can already read "1 second ago".
 */
export function createdAgo(iso: string, now: Date): string {
  const created = Math.floor(parseTime(iso) / 1000) * 1000;
  return `${humanDuration(now.getTime() - created)} ago`;
}

/**
 * Docker's RFC3339NanoFixed ("2006-01-02T15:04:05.000000000Z07:00") in UTC,
 * used by `logs -t`. Works on the string so nanoseconds survive (a Date holds
 * only milliseconds).
 */
export function logTimestamp(iso: string | Date): string {
  if (iso instanceof Date) iso = iso.toISOString();
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})$/i.exec(iso);
  if (!m) throw new Error(`invalid timestamp: ${iso}`);
  const [, base, frac = '', zone] = m;
  const offset = zone!.length === 5 ? `${zone!.slice(0, 3)}:${zone!.slice(3)}` : zone!.toUpperCase();
  const utc = new Date(parseTime(`${base}${offset}`)).toISOString().slice(0, 19);
  return `${utc}.${frac.padEnd(9, '0').slice(0, 9)}Z`;
}
