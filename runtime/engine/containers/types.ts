import type { HealthConfig } from '../images/types.js';
import type { SecurityConfig, SecurityOptions } from './security.js';
import type { ResourceOptions, Resources } from './limits.js';
import type { ContainerMount, MountFlags, MountOptions } from '../volumes/mounts.js';
import type { ContainerPorts, PortOptions } from '../networks/ports.js';

/**
 * What core keeps about a container. config.json is written once at create;
 * state.json by core on start/stop; exit.json by the shim when the init ends.
 */
export interface ContainerConfig {
  id: string;
  name: string;
  created: string;
  /** The image reference as the user typed it ("busybox"). */
  image: string;
  /** "sha256:<hex>" of the image config. */
  imageId: string;
  /** Overlay lowerdirs, bottom layer first. */
  layerDirs: string[];
  /** The resolved command: entrypoint + cmd. path is argv[0]. */
  path: string;
  args: string[];
  hostname: string;
  env: string[];
  cmd: string[] | null;
  entrypoint: string[] | null;
  workingDir: string;
  user: string;
  tty: boolean;
  openStdin: boolean;
  autoRemove: boolean;
  /** --log-driver and --log-opt, defaults merged in (log-config.ts); absent in containers made before glass had them. */
  logConfig?: LogConfig;
  /** Config.StopSignal: the image's STOPSIGNAL, the signal `stop` sends first; absent = SIGTERM. */
  stopSignal?: string;
  /** Config.Healthcheck: the image's HEALTHCHECK, as inspect shows it (glass does not run health checks yet). */
  healthcheck?: HealthConfig;
  /** Config.Labels: the image's Labels with the user's over them, sorted by key (labels.ts); absent in containers made before glass had them. */
  labels?: Record<string, string>;
  /** Memory, CPU and pids limits, checked at create (limits.ts); absent: no limits. */
  resources?: Resources;
  /** Capabilities, seccomp, --privileged, --read-only, --group-add (security.ts); absent: Docker's defaults. */
  security?: SecurityConfig;
  /** Volumes, binds and tmpfs mounts, resolved at create (volumes/mounts.ts), parents first; absent: none. */
  mounts?: ContainerMount[];
  /** The mount flags as given, for inspect's HostConfig.Binds, Mounts, Tmpfs, VolumesFrom and Config.Volumes. */
  mountFlags?: MountFlags;
  /** --network, --ip, --dns, --add-host (networks/config.ts); absent in containers made before glass had networks: none. */
  network?: NetworkConfig;
  /** --link: the source container's id and name when linked, and the alias (networks/links.ts). */
  links?: { id: string; name: string; alias: string }[];
  /** --network-alias: more names on its user network. */
  networkAliases?: string[];
  /** -p, -P, --expose and the image's EXPOSE, resolved at create (networks/ports.ts); absent: none. */
  ports?: ContainerPorts;
}

/** How a container is networked (HostConfig.NetworkMode and its options). */
export interface NetworkConfig {
  /** "bridge", "none", "host", "container:<id>" (resolved at create), or a user network's name. */
  mode: string;
  /** --ip: the address asked for. */
  ip?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --add-host HOST:IP lines, as given. */
  extraHosts?: string[];
}

/** Docker's HostConfig.LogConfig: the driver and its options, as strings ("max-size": "10m"). */
export interface LogConfig {
  type: string;
  config: Record<string, string>;
}

/**
 * dead: the shim is gone without an exit record (the engine reconciles it);
 * broken: one of its files cannot be read — listed so it can be removed.
 */
export type ContainerStatus = 'created' | 'running' | 'exited' | 'dead' | 'broken';

export interface ContainerRunState {
  status: 'created' | 'started';
  shimPid?: number;
  /** Start time of the shim process, to tell it from a later process with the same pid. */
  shimStartTime?: number;
  pid?: number;
  startedAt?: string;
  /** Set when the last start failed before exec (e.g. command not found). */
  error?: string;
  exitCode?: number;
  finishedAt?: string;
  restartCount: number;
}

export interface ExitRecord {
  exitCode: number;
  signal: number;
  finishedAt: string;
  /** Set by the engine when the shim died without recording the exit: the code is not known. */
  unknown?: boolean;
  reason?: string;
  /** Read from the kernel: the shim has not been able to write exit.json yet (a full disk) and keeps trying. */
  pending?: boolean;
  /** The shim read the cgroup's OOM-kill counter before removing it: the kernel's OOM killer killed a process of the container. */
  oomKilled?: boolean;
}

/** shim.json: written by the shim itself right after clone(), so a killed CLI cannot lose a running container. */
export interface ShimRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: with the pid, identifies the shim for its whole life. */
  startTime: number;
  initPid: number;
}

/** A container as read from disk, with its status worked out. */
export interface ContainerInfo {
  config: ContainerConfig;
  state: ContainerRunState;
  status: ContainerStatus;
  /** The live or last shim, as it recorded itself. */
  shim?: ShimRecord;
  /** Why it is broken, or why its exit code is unknown. */
  problem?: string;
  running: boolean;
  pid: number;
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  /** The last run ended with an OOM kill in its cgroup (exit.json). */
  oomKilled?: boolean;
  /** Running, with its cgroup frozen (glass pause); read from the cgroup by the engine. */
  paused?: boolean;
}

export interface CreateOptions {
  image: string;
  /** Command after the image; empty → the image's Cmd. */
  command?: string[];
  name?: string;
  hostname?: string;
  env?: string[];
  /** Contents of --env-file files: [path, text]. */
  envFiles?: { path: string; text: string }[];
  workdir?: string;
  user?: string;
  /** --entrypoint: "" clears the image's entrypoint. */
  entrypoint?: string;
  tty?: boolean;
  interactive?: boolean;
  autoRemove?: boolean;
  /** --log-driver (only "json-file") and --log-opt key=value pairs; glass's defaults fill in the rest. */
  logConfig?: { type?: string; config?: Record<string, string> };
  /** Labels: Docker's Config.Labels map, or -l values (KEY=VALUE, or KEY for an empty value). They win over labelFiles and the image's. */
  labels?: Record<string, string> | string[];
  /** Contents of --label-file files, read by the client (readLabelFile): [path, text]. */
  labelFiles?: { path: string; text: string }[];
  /** -m, --memory-swap, --cpus, --pids-limit...: numbers or the strings a user types ("32m"), checked at create (limits.ts). */
  resources?: ResourceOptions;
  /** --cap-add, --cap-drop, --security-opt, --privileged, --read-only, --group-add (security.ts). */
  security?: SecurityOptions;
  /** -v, --mount, --tmpfs, --volumes-from (volumes/spec.ts; a relative -v source like ./dir made absolute by the client). */
  storage?: MountOptions;
  /** --network (default "bridge"), --ip, --dns, --dns-search, --dns-option, --add-host. */
  /** -p/--publish specs, --expose values, -P (networks/ports.ts, Docker's nat.ParsePortSpecs rules). */
  ports?: PortOptions;
  network?: { mode?: string; ip?: string; dns?: string[]; dnsSearch?: string[]; dnsOptions?: string[]; extraHosts?: string[] };
  /** --link NAME[:ALIAS] values and --network-alias names (networks/links.ts). */
  links?: string[];
  networkAliases?: string[];
  /**
   * Build containers only (`glass build` on `FROM scratch`): no image at all,
   * an empty root filesystem; `image` is then "scratch". Docker's classic
   * builder works on such an empty layer for the first COPY of a scratch stage.
   */
  scratch?: boolean;
  /**
   * Build containers only: false leaves the image's VOLUMEs unmounted, so
   * what COPY, ADD and WORKDIR write under them lands in the layer (Docker's
   * classic builder writes those steps straight into the rootfs; only RUN's
   * writes under a VOLUME are lost, to its anonymous volume).
   */
  imageVolumes?: boolean;
}
