import { GlassError } from '../errors.js';
import type { ContainerConfig, LogConfig } from './types.js';

/**
 * The log driver and its options (`--log-driver`, `--log-opt`): Docker's
 * json-file driver and its rotation rules, checked without touching the host.
 *
 * Docker's own default is unbounded: a container that prints for ever fills
 * the disk. glass bounds every container by default, with the values Docker's
 * documentation itself suggests for json-file (max-size 10m, max-file 3): at
 * most 30 MB of log per container, which is still the last few hundred
 * thousand lines for `glass logs`. The defaults are merged in at create, like
 * a Docker daemon's `log-opts` in daemon.json, so `inspect` shows them.
 */

export const LOG_DRIVER = 'json-file';
export const DEFAULT_LOG_OPTS: Readonly<Record<string, string>> = { 'max-size': '10m', 'max-file': '3' };

/** Options Docker's json-file driver accepts that glass does not implement (yet). */
const UNSUPPORTED_OPTS = new Set(['compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag', 'mode', 'max-buffer-size']);

const invalid = (message: string) => new GlassError('INVALID_ARGUMENT', message);

/**
 * go-units FromHumanSize, as Docker reads json-file's max-size: decimal units
 * (1k = 1000, 10m = 10 000 000; "10mb" and "10MiB" read the same), a
 * fraction allowed, then truncated to whole bytes.
 */
export function parseLogSize(value: string): number {
  const m = /^(\d+(\.\d+)*) ?([kmgtp])?i?b?$/i.exec(value);
  if (!m) throw invalid(`failed to initialize logging driver: invalid size: '${value}'`);
  if (!/^\d+(\.\d+)?$/.test(m[1]!)) throw invalid(`failed to initialize logging driver: strconv.ParseFloat: parsing "${m[1]}": invalid syntax`);
  const unit = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 }[(m[3] ?? '').toLowerCase()] ?? 1;
  const bytes = Math.trunc(Number(m[1]) * unit);
  // Go's int64() of a float too big for it is negative on amd64, hence the same message.
  if (!(bytes > 0) || bytes >= 2 ** 63) throw invalid('failed to initialize logging driver: max-size must be a positive number');
  return bytes;
}

/** strconv.Atoi, as Docker reads max-file; then at least 1. */
export function parseLogFileCount(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw invalid(`failed to initialize logging driver: strconv.Atoi: parsing "${value}": invalid syntax`);
  const n = BigInt(value);
  if (n >= 2n ** 63n || n < -(2n ** 63n)) throw invalid(`failed to initialize logging driver: strconv.Atoi: parsing "${value}": value out of range`);
  if (n < 1n) throw invalid('failed to initialize logging driver: max-file cannot be less than 1');
  return Number(n);
}

/**
 * The log config a new container gets: the driver must be json-file (the one
 * glass has), the options Docker's json-file accepts and glass implements,
 * each value valid, then the defaults for what was not given. Throws the
 * messages Docker gives for the same mistakes.
 */
export function resolveLogConfig(input: { type?: string; config?: Record<string, string> } = {}): LogConfig {
  const type = input.type || LOG_DRIVER;
  if (type !== LOG_DRIVER) throw invalid(`logger: no log driver named '${type}' is registered (glass has only the json-file driver)`);
  const given = input.config ?? {};
  for (const key of Object.keys(given)) {
    if (key === 'max-size' || key === 'max-file') continue;
    if (UNSUPPORTED_OPTS.has(key)) throw invalid(`log opt '${key}' for json-file log driver is not supported by glass (only max-size and max-file are)`);
    throw invalid(`unknown log opt '${key}' for json-file log driver`);
  }
  const config = { ...DEFAULT_LOG_OPTS, ...given };
  parseLogSize(config['max-size']!);
  parseLogFileCount(config['max-file']!);
  return { type, config };
}

/** A container's log config; one created before glass had log options gets the defaults. */
export function containerLogConfig(c: ContainerConfig): LogConfig {
  return c.logConfig ?? { type: LOG_DRIVER, config: { ...DEFAULT_LOG_OPTS } };
}

/** What the shim needs: max-size in bytes and max-file as decimal strings (spec keys log-max-size, log-max-file). */
export function logLimits(lc: LogConfig): { maxSize: string; maxFile: string } {
  const size = lc.config['max-size'];
  const files = lc.config['max-file'];
  return {
    maxSize: size === undefined ? '0' : BigInt(parseLogSize(size)).toString(),
    maxFile: files === undefined ? '1' : BigInt(parseLogFileCount(files)).toString(),
  };
}
