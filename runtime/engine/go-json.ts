/**
 * Docker's daemon is written in Go, whose encoding/json writes a map's keys
 * in sorted (byte) order, while a struct's fields keep their declared order.
 * So `inspect` and `--format '{{json .Config.Labels}}'` show labels, exposed
 * ports, volumes and networks sorted by key, whatever order they were given
 * in. glass builds its inspect objects in Docker's field order and passes
 * each map-typed field through here.
 */
export function goMap<T>(m: Record<string, T>): Record<string, T>;
export function goMap<T>(m: Record<string, T> | null): Record<string, T> | null;
export function goMap<T>(m: Record<string, T> | undefined): Record<string, T> | undefined;
export function goMap<T>(m: Record<string, T> | null | undefined): Record<string, T> | null | undefined {
  if (!m) return m;
  const keys = Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(keys.map((k) => [k, m[k]!]));
}
