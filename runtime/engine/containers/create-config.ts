import { GlassError } from '../errors.js';
import type { ImageRunConfig } from '../images/types.js';
import { mergeEnv } from './env.js';
import { mergeLabels, userLabels } from './labels.js';
import { resolveLogConfig } from './log-config.js';
import { isValidName } from './names.js';
import { resolveSecurity } from './security.js';
import type { ContainerConfig, CreateOptions } from './types.js';
import { PortSpecError, resolvePorts } from '../networks/ports.js';

/**
 * Pure rules of `create`: how the image's config and the user's options make
 * a container's config (Docker's rules), checked without touching the host.
 */

/** The PATH a container gets when its image sets none (Docker's default). */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Refuse what Docker refuses before anything is made. */
export function validateCreate(opts: CreateOptions): void {
  if (opts.name !== undefined && !isValidName(opts.name)) {
    throw new GlassError('INVALID_NAME', `Invalid container name (${opts.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (at least 2 characters)`);
  }
  if (opts.workdir && !opts.workdir.startsWith('/')) {
    throw new GlassError('INVALID_ARGUMENT', `the working directory '${opts.workdir}' is invalid, it needs to be an absolute path`);
  }
  resolveLogConfig(opts.logConfig);
  userLabels(opts);
  resolveSecurity(opts.security);
  containerPorts(opts, undefined);
}

/** -p/-P/--expose with the image's EXPOSE; undefined when the container has no port at all. */
function containerPorts(opts: CreateOptions, imageExposed: Record<string, object> | undefined) {
  let ports;
  try {
    ports = resolvePorts(opts.ports ?? {}, imageExposed);
  } catch (e) {
    if (e instanceof PortSpecError) throw new GlassError('INVALID_ARGUMENT', e.message);
    throw e;
  }
  return Object.keys(ports.exposedPorts).length || ports.publishAll ? ports : undefined;
}

export interface ConfigInput {
  id: string;
  name: string;
  created: string;
  image: { id: string; layerDirs: string[]; config: ImageRunConfig };
  opts: CreateOptions;
  /** -e and --env-file values, already resolved, in order. */
  userEnv: string[];
}

export function buildConfig({ id, name, created, image, opts, userEnv }: ConfigInput): ContainerConfig {
  const ic = image.config;
  // Docker's rule: --entrypoint replaces the image's entrypoint and drops its Cmd.
  const entrypointOverridden = opts.entrypoint !== undefined;
  const entrypoint = entrypointOverridden ? (opts.entrypoint ? [opts.entrypoint] : null) : (ic.Entrypoint ?? null);
  const cmd = opts.command?.length ? opts.command : entrypointOverridden ? null : (ic.Cmd ?? null);
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0) throw new GlassError('INVALID_ARGUMENT', 'No command specified: give a command after the image name');
  const hostname = opts.hostname ?? id.slice(0, 12);
  // Daemon-provided variables come first; the image's and the user's replace or follow them.
  const base = [DEFAULT_PATH, `HOSTNAME=${hostname}`, ...(opts.tty ? ['TERM=xterm'] : [])];
  return {
    id,
    name,
    created,
    image: opts.image,
    imageId: image.id,
    layerDirs: image.layerDirs,
    path: argv[0]!,
    args: argv.slice(1),
    hostname,
    env: mergeEnv(mergeEnv(base, ic.Env ?? []), userEnv),
    cmd,
    entrypoint,
    workingDir: opts.workdir ?? ic.WorkingDir ?? '',
    user: opts.user ?? ic.User ?? '',
    tty: !!opts.tty,
    openStdin: !!opts.interactive,
    autoRemove: !!opts.autoRemove,
    logConfig: resolveLogConfig(opts.logConfig),
    labels: mergeLabels(ic.Labels, userLabels(opts)),
    ...(ic.StopSignal ? { stopSignal: ic.StopSignal } : {}),
    ...(ic.Healthcheck ? { healthcheck: ic.Healthcheck } : {}),
    security: resolveSecurity(opts.security),
    ...(containerPorts(opts, ic.ExposedPorts) ? { ports: containerPorts(opts, ic.ExposedPorts) } : {}),
  };
}
