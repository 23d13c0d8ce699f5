import { KernelError } from '../kernel/errors.js';

/**
 * shim.spec, the runtime's instructions to the shim for one start of a
 * container (native/README.md lists every key).
 */

/**
 * The version of the shim protocol (native/README.md) this runtime speaks;
 * native/shim.h has the same number. The encoder sends it as the spec's first
 * pair and launchShim() checks the shim's first status line against it, so a
 * shim built from older sources is refused with a "rebuild" message instead
 * of misreading a newer spec.
 */
export const SHIM_PROTOCOL_VERSION = 1;

/** Ordered key/value pairs; keys may repeat (arg, env, lower, ...). */
export type ShimSpec = [key: string, value: string][];

/**
 * key\0value\0 pairs: values may contain spaces, quotes and newlines without
 * escaping. The protocol version always comes first (any `version` pair in
 * `spec` is replaced by it).
 */
export function encodeSpec(spec: ShimSpec): Buffer {
  const pairs: ShimSpec = [['version', String(SHIM_PROTOCOL_VERSION)], ...spec.filter(([k]) => k !== 'version')];
  for (const [k, v] of pairs) {
    if (k.includes('\0') || v.includes('\0')) throw new KernelError('INVALID_ARGUMENT', `a NUL byte is not allowed in ${k}: ${JSON.stringify(v)}`);
  }
  return Buffer.from(pairs.map(([k, v]) => `${k}\0${v}\0`).join(''));
}
