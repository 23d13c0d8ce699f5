/**
 * Go's fmt verbs as Docker's classic builder uses them to write a step's
 * cache key and history line: `CMD %q` of a []string gives
 * `CMD ["/bin/sh" "-c" "echo hi"]`, `VOLUME %v` gives `VOLUME [/data]`,
 * `HEALTHCHECK %q` of a *HealthConfig gives
 * `HEALTHCHECK &{["CMD-SHELL" "curl -f localhost"] "30s" "0s" "0s" '\x00'}`.
 * They are matched byte for byte because they ARE the cache key: a build by
 * glass and `docker history` of one by Docker read the same.
 */
import type { HealthConfig } from '../images/types.js';

const NAMED: Record<number, string> = { 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r' };

/** strconv.Quote: double quotes, Go escapes for control characters, printable characters as they are. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (NAMED[c]) out += `\\${NAMED[c]}`;
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xfeff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** strconv.QuoteRune of an int (what %q prints for HealthConfig.Retries). */
export function goQuoteRune(n: number): string {
  if (n === 39) return "'\\''";
  if (n === 92) return "'\\\\'";
  if (NAMED[n]) return `'\\${NAMED[n]}'`;
  if (n < 0x20 || n === 0x7f) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCodePoint(n)}'`;
}

/** %q of a []string: `["a" "b"]`. */
export const goQuoteList = (list: readonly string[] | null | undefined): string => `[${(list ?? []).map(goQuote).join(' ')}]`;

/** %v of a []string: `[a b]`. */
export const goList = (list: readonly string[]): string => `[${list.join(' ')}]`;

function fraction(v: number, unit: number): string {
  const whole = Math.floor(v / unit);
  const rest = v - whole * unit;
  if (rest === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** time.Duration.String() of nanoseconds: "0s", "1.5s", "1m30s", "1h0m0s", "250ms". */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let u = Math.abs(ns);
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${fraction(u, 1e3)}µs`;
  if (u < 1e9) return `${sign}${fraction(u, 1e6)}ms`;
  const h = Math.floor(u / 3.6e12);
  u -= h * 3.6e12;
  const m = Math.floor(u / 6e10);
  u -= m * 6e10;
  let out = `${fraction(u, 1e9)}s`;
  if (h > 0 || m > 0) out = `${m}m${out}`;
  if (h > 0) out = `${h}h${out}`;
  return sign + out;
}

/** %q of a *container.HealthConfig (Docker 20.10's five fields). */
export function goHealthcheck(h: HealthConfig): string {
  const d = (n: number | undefined) => goQuote(goDuration(n ?? 0));
  return `&{${goQuoteList(h.Test)} ${d(h.Interval)} ${d(h.Timeout)} ${d(h.StartPeriod)} ${goQuoteRune(h.Retries ?? 0)}}`;
}
