/**
 * The classic builder's layer cache (moby daemon/images/cache: getLocalCachedImage).
 * There is no cache database: every step's image stays in the store with
 * its parent recorded, and before running a step the builder looks among
 * the images whose parent is the current image for one whose
 * container_config — the step's key — matches: the same Cmd (the step's text,
 * "/bin/sh -c #(nop)  ENV A=1"; for RUN the command with its build args;
 * for COPY/ADD the checksums of the files copied) and the same Env, Labels,
 * User, ExposedPorts, Entrypoint and Volumes. That image is the step's
 * result, taken without running anything. So a step can only hit when every
 * step before it hit (its parent must be the same image), and once a step
 * misses, every later step of the stage misses too.
 */
import { shortId } from '../ids.js';
import type { ImageRecord, ImageRunConfig } from '../images/types.js';
import type { CacheVerdict } from './types.js';

const sameList = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined) => {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
};
const sameKeys = (a: Record<string, unknown> | null | undefined, b: Record<string, unknown> | null | undefined) => {
  const x = Object.keys(a ?? {});
  const y = new Set(Object.keys(b ?? {}));
  return x.length === y.size && x.every((k) => y.has(k));
};

/**
 * moby's compare(): the first field in which a cached image's
 * container_config differs from the step's key config, or undefined when
 * they match. (Like Docker, WorkingDir and the like are not compared: they
 * come from the parent image, which is the same by construction.)
 */
export function configDifference(a: ImageRunConfig, b: ImageRunConfig): string | undefined {
  if ((a.User ?? '') !== (b.User ?? '')) return 'User';
  if (!sameList(a.Cmd, b.Cmd)) return 'Cmd';
  if (!sameList(a.Env, b.Env)) return 'Env';
  const la = a.Labels ?? {};
  const lb = b.Labels ?? {};
  if (Object.keys(la).length !== Object.keys(lb).length || Object.entries(la).some(([k, v]) => lb[k] !== v)) return 'Labels';
  if (!sameKeys(a.ExposedPorts, b.ExposedPorts)) return 'ExposedPorts';
  if (!sameList(a.Entrypoint, b.Entrypoint)) return 'Entrypoint';
  if (!sameKeys(a.Volumes, b.Volumes)) return 'Volumes';
  return undefined;
}

const cmdText = (cmd: readonly string[] | null | undefined) => (cmd ?? []).join(' ');
const short = (id: string) => (id ? shortId(id) : 'scratch');

/** The "COPY file:… in /app " part of a copy key, split into its checksum and the rest (to say "the files changed"). */
function copyParts(cmd: string): { hash: string; rest: string } | undefined {
  const m = /#\(nop\) (?:COPY|ADD) (?:--chown=\S+ )?((?:file|dir|multi):[0-9a-f]+|[^ ]+) in /.exec(cmd);
  return m ? { hash: m[1]!, rest: cmd.replace(m[1]!, '') } : undefined;
}

/** The build-arg prefix of a RUN key ("|1 A=1 "), and the command after it. */
function runParts(cmd: readonly string[]): { args: string; command: string } {
  const m = /^\|(\d+)$/.exec(cmd[0] ?? '');
  if (!m) return { args: '', command: cmd.join(' ') };
  const n = Number(m[1]);
  return { args: cmd.slice(0, n + 1).join(' '), command: cmd.slice(n + 1).join(' ') };
}

/**
 * Look for the step's image among the parent's children. `images` is the
 * store's list; `parent` '' is FROM scratch (then images without a parent
 * are the candidates, as in moby).
 */
export function probeCache(images: readonly ImageRecord[], parent: string, key: ImageRunConfig): { hit?: ImageRecord; verdict: CacheVerdict } {
  const keyCmd = key.Cmd ?? [];
  const verdictKey = { parent, cmd: [...keyCmd] };
  const children = images.filter((i) => (i.config.parent ?? '') === parent && i.config.container_config);
  let hit: ImageRecord | undefined;
  let nearMiss: { image: ImageRecord; field: string } | undefined;
  for (const child of children) {
    const diff = configDifference(child.config.container_config!, key);
    if (diff === undefined) {
      // Several matches (built twice with --no-cache): the newest, as moby.
      if (!hit || Date.parse(child.created) > Date.parse(hit.created)) hit = child;
    } else if (!nearMiss && sameList(child.config.container_config!.Cmd, key.Cmd)) nearMiss = { image: child, field: diff };
  }
  const text = cmdText(keyCmd);
  if (hit) {
    return {
      hit,
      verdict: {
        hit: true,
        reason: `image ${short(hit.id)} was built on ${short(parent)} by the same instruction with the same config ("${text}"): reused, nothing runs`,
        key: verdictKey,
      },
    };
  }
  return { verdict: { hit: false, reason: missReason(children, parent, keyCmd, nearMiss), key: verdictKey } };
}

function missReason(children: readonly ImageRecord[], parent: string, keyCmd: readonly string[], nearMiss?: { image: ImageRecord; field: string }): string {
  const text = cmdText(keyCmd);
  if (nearMiss) {
    return `image ${short(nearMiss.image.id)} ran the same instruction on ${short(parent)}, but its ${nearMiss.field} differs (the config is part of the key)`;
  }
  if (children.length === 0) {
    return parent ? `no image was built on ${short(parent)} yet: nothing to reuse` : 'no image was built from scratch with this instruction yet';
  }
  // The nearest child tells the learner what changed: the files copied, or the build args.
  const copy = copyParts(text);
  if (copy) {
    for (const c of children) {
      const other = copyParts(cmdText(c.config.container_config!.Cmd));
      if (other && other.rest === copy.rest) {
        return `the files copied changed since image ${short(c.id)} was built (their checksum ${other.hash.slice(0, 17)}… is now ${copy.hash.slice(0, 17)}…)`;
      }
    }
  }
  const run = runParts(keyCmd);
  for (const c of children) {
    const other = runParts(c.config.container_config!.Cmd ?? []);
    if (other.command === run.command && other.args !== run.args) {
      return `the build args differ from image ${short(c.id)}'s run of this command ("${other.args || 'none'}" then, "${run.args || 'none'}" now)`;
    }
  }
  const n = children.length;
  return `none of the ${n} image${n === 1 ? '' : 's'} built on ${short(parent)} came from this instruction ("${text}")`;
}

export const NO_CACHE_VERDICT = (parent: string, cmd: readonly string[]): CacheVerdict => ({
  hit: false,
  reason: '--no-cache: the cache is not looked at, every step runs',
  key: { parent, cmd: [...cmd] },
});

export const BUSTED_VERDICT = (parent: string, cmd: readonly string[]): CacheVerdict => ({
  hit: false,
  reason: 'an earlier step of this stage missed the cache, so this step\'s parent is a new image nothing was built on yet: every later step runs',
  key: { parent, cmd: [...cmd] },
});
