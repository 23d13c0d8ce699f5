import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ShimSpec } from '../../shim/launch.js';
import { hostResolvConf } from '../../kernel/host.js';
import type { ContainerCgroup } from '../../kernel/cgroup/index.js';
import type { ContainerConfig } from './types.js';
import { containerLogConfig, logLimits } from './log-config.js';
import { lowerdirsTopFirst } from '../images/types.js';
import { securitySpecPairs } from './security.js';
import { mountedAt, mountSpecPairs } from '../volumes/mounts.js';

/** Where a container's files live inside its state directory. */
export function containerFiles(dir: string, id: string) {
  return {
    upper: join(dir, 'fs', 'upper'),
    work: join(dir, 'fs', 'work'),
    merged: join(dir, 'fs', 'merged'),
    log: join(dir, `${id}-json.log`),
    socket: join(dir, 'attach.sock'),
    hostname: join(dir, 'hostname'),
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
  };
}

/**
 * Docker gives every container its own /etc/hostname, /etc/hosts and
 * /etc/resolv.conf, generated on the host and bind-mounted in, so the image's
 * files are never edited. glass does the same (networking adds the
 * container's address to hosts later).
 */
export async function writeEtcFiles(dir: string, c: ContainerConfig): Promise<void> {
  const f = containerFiles(dir, c.id);
  writeFileSync(f.hostname, `${c.hostname}\n`);
  writeFileSync(
    f.hosts,
    ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters', `127.0.1.1\t${c.hostname}`, ''].join('\n'),
  );
  writeFileSync(f.resolvConf, hostResolvConf());
}

/** The shim's instructions for one start of this container (see native/README.md). */
export function buildShimSpec(dir: string, c: ContainerConfig, cg: ContainerCgroup, opts: { exitHook?: string[]; events?: string; network?: { hostNetwork?: boolean; joinNetns?: string } } = {}): ShimSpec {
  const f = containerFiles(dir, c.id);
  const spec: ShimSpec = [['id', c.id]];
  // For the `start` and `die` events, which the shim records itself: their attributes, labels included (KEY=VALUE, sorted).
  if (opts.events) {
    spec.push(['events', opts.events], ['name', c.name], ['image', c.image]);
    for (const [k, v] of Object.entries(c.labels ?? {})) spec.push(['label', `${k}=${v}`]);
  }
  for (const l of lowerdirsTopFirst(c.layerDirs)) spec.push(['lower', l]);
  spec.push(['upper', f.upper], ['work', f.work], ['merged', f.merged], ['hostname', c.hostname]);
  for (const a of [c.path, ...c.args]) spec.push(['arg', a]);
  for (const e of c.env) spec.push(['env', e]);
  spec.push(['cwd', c.workingDir || '/'], ['user', c.user], ['tty', c.tty ? '1' : '0'], ['stdin', c.openStdin ? '1' : '0'], ['log', f.log]);
  const log = logLimits(containerLogConfig(c));
  spec.push(['log-max-size', log.maxSize]);
  spec.push(['log-max-file', log.maxFile]);
  // Volumes, binds and tmpfs (native/volumes.c), parents first; they are mounted before the /etc files,
  // and a file the user mounted at /etc/hosts (say) replaces glass's own, as in Docker.
  // (Empty volumes were filled from the image at create, as Docker does: not again at start.)
  spec.push(...mountSpecPairs((c.mounts ?? []).map((m) => ({ ...m, copy: false }))));
  for (const [src, dst] of [[f.hostname, '/etc/hostname'], [f.hosts, '/etc/hosts'], [f.resolvConf, '/etc/resolv.conf']] as const) {
    if (!mountedAt(c.mounts, dst)) spec.push(['bind', `${src}\t${dst}\trw`]);
  }
  spec.push(...securitySpecPairs(dir, c.security));
  for (const d of cg.dirs) spec.push(['cgroup', d]);
  for (const a of opts.exitHook ?? []) spec.push(['exit-hook', a]);
  // --network host: no network namespace of its own; container:NAME: join that one's (native/shim.c).
  if (opts.network?.hostNetwork) spec.push(['host-network', '1']);
  if (opts.network?.joinNetns) spec.push(['join-netns', opts.network.joinNetns]);
  return spec;
}
