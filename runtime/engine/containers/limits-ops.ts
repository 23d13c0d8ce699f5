import type { CgroupCapabilities } from '../../kernel/cgroup/index.js';
import { report, type Tracer } from '../../kernel/step.js';
import { checkResources, hasLimits, parseResourceOptions, type ResourceOptions, type Resources } from './limits.js';

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
