import { rmSync } from 'node:fs';
import { report } from '../../kernel/step.js';
import type { StartStage } from './pipeline.js';
import { effectiveCapabilities, seccompFile, seccompProfile, writeSeccompFile } from './security.js';
import type { ContainerConfig } from './types.js';

/**
 * The start stage of the container's confinement: before the shim starts,
 * write the seccomp rules, resolved for this machine's architecture and the
 * container's capabilities, into <state-dir>/seccomp.profile, where the shim
 * reads them (native/security.c). The shim itself applies everything else
 * (capabilities, no_new_privs, masked paths, read-only root) and reports
 * those steps.
 */
export function securityStage(dir: string, c: ContainerConfig): StartStage {
  return {
    name: 'security',
    prepare: (ctx) => {
      rmSync(seccompFile(dir), { force: true });
      const file = writeSeccompFile(dir, c.security);
      if (!file) return;
      const custom = seccompProfile(c.security) !== null && (c.security?.securityOpt ?? []).some((o) => o.startsWith('seccomp'));
      report(ctx.trace, {
        title: 'Write the container\'s seccomp rules',
        why:
          `The ${custom ? 'given' : "default (Docker's)"} seccomp profile, resolved for this machine's architecture and the container's ` +
          `${effectiveCapabilities(c.security).length} capabilities (a rule like "mount needs CAP_SYS_ADMIN" is kept or left out here), ` +
          'one rule a line; the shim hands them to libseccomp just before the command starts.',
        command: `glass writes ${file}   # cat it to read the rules`,
      });
    },
  };
}
