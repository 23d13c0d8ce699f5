import { GlassError } from '../errors.js';
import type { ContainerInfo } from './types.js';
import { shownState } from './status.js';
import { matchLabels } from './labels.js';

/**
 * `docker ps --filter KEY=VALUE`. Values given for one key are alternatives
 * (any may match), except label's, which must all hold; different keys must
 * all match. Supported keys:
 *
 *   id=PREFIX        the container ID starts with it
 *   name=REGEXP      Docker matches it against "/<name>", so name=web matches "my-web"
 *   status=STATE     created, running, paused (frozen), exited (also restarting, removing, dead: none here)
 *   exited=CODE      stopped containers that exited with CODE
 *   ancestor=IMAGE   created from this image (name[:tag] or ID; the caller resolves it)
 *   label=KEY        has the label KEY (any value); label=KEY=VALUE: with that value
 *   volume=NAME|PATH mounts the volume NAME, or has a mount (volume, bind, tmpfs) at PATH inside
 */
export type ContainerFilters = Record<string, string[]>;

const KEYS = ['id', 'name', 'status', 'exited', 'ancestor', 'label', 'volume'];
const STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** Check the filters and build a predicate; `ancestorIds` are the image IDs the ancestor values name. */
export function containerMatcher(filters: ContainerFilters, ancestorIds: string[]): (c: ContainerInfo) => boolean {
  for (const key of Object.keys(filters)) {
    if (!KEYS.includes(key)) throw new GlassError('INVALID_ARGUMENT', `Invalid filter '${key}': glass filters containers by ${KEYS.join(', ')}`);
  }
  for (const s of filters.status ?? []) {
    if (!STATES.includes(s)) throw new GlassError('INVALID_ARGUMENT', `Invalid filter 'status=${s}': the states are ${STATES.join(', ')}`);
  }
  const codes = (filters.exited ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw new GlassError('INVALID_ARGUMENT', `Invalid filter 'exited=${v}': give an exit code, e.g. exited=0`);
    return Number(v);
  });
  const names = (filters.name ?? []).map((v) => {
    try {
      return new RegExp(v);
    } catch {
      throw new GlassError('INVALID_ARGUMENT', `Invalid filter 'name=${v}': not a valid regular expression`);
    }
  });
  const any = <T>(values: T[] | undefined, test: (v: T) => boolean) => values === undefined || values.length === 0 || values.some(test);
  return (c) => {
    const state = c.running && c.paused ? 'paused' : shownState(c.status);
    return (
      any(filters.id, (v) => c.config.id.startsWith(v)) &&
      any(names, (re) => re.test(`/${c.config.name}`)) &&
      any(filters.status, (s) => s === state) &&
      any(codes, (code) => state === 'exited' && c.exitCode === code) &&
      any(filters.ancestor, () => ancestorIds.includes(c.config.imageId) || filters.ancestor!.includes(c.config.image)) &&
      matchLabels(filters.label ?? [], c.config.labels ?? {}) &&
      any(filters.volume, (v) => (c.config.mounts ?? []).some((m) => m.name === v || m.destination === v))
    );
  };
}
