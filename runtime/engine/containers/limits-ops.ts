import type { CgroupCapabilities } from '../../kernel/cgroup/index.js';
import { report, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import { checkResources, hasLimits, mergeUpdate, parseResourceOptions, type ResourceOptions, type Resources } from './limits.js';

/**
 * create's part of the limits: parse what the caller gave, check it against
 * the host, and report Docker's warnings (a limit the host cannot enforce is
 * dropped) as steps of the trace. undefined when no limit was asked for.
 */
export function resolveResources(trace: Tracer, opts: ResourceOptions | undefined, host: () => CgroupCapabilities): Resources | undefined {
  if (!opts) return undefined;
  const parsed = parseResourceOptions(opts);
  if (!hasLimits(parsed)) return undefined;
  const { resources, warnings } = checkResources(parsed, host());
  for (const w of warnings) {
    report(trace, { title: `WARNING: ${w}`, why: 'Docker accepts the container and drops the limit this host cannot enforce; glass does the same and says so here.', command: 'ls /sys/fs/cgroup', phase: 'failed', error: w });
  }
  return hasLimits(resources) ? resources : undefined;
}

/** update's part: the change parsed, merged over the container's limits (moby's rules) and checked. */
export function updatedResources(current: Resources | undefined, change: ResourceOptions, id: string, host: () => CgroupCapabilities): Resources {
  const parsed = parseResourceOptions(change);
  if (!hasLimits(parsed)) throw new GlassError('INVALID_ARGUMENT', 'You must provide one or more flags when using this command.', 1);
  return checkResources(mergeUpdate(current ?? {}, parsed, id), host(), true).resources;
}

/** What config.json keeps: no "unlimited" markers (-1 pids) or empty fields. */
export function storedResources(r: Resources): Resources | undefined {
  const out = { ...r };
  if (out.pidsLimit !== undefined && out.pidsLimit <= 0) delete out.pidsLimit;
  for (const k of Object.keys(out) as Array<keyof Resources>) if (out[k] === undefined || out[k] === 0) delete out[k];
  return hasLimits(out) ? out : undefined;
}
