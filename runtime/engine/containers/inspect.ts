import { join } from 'node:path';
import type { ContainerInfo } from './types.js';
import { containerFiles } from './shim-spec.js';
import { lowerdirsTopFirst } from '../images/types.js';
import { shownState } from './status.js';
import { containerLogConfig } from './log-config.js';
import { hostConfigResources } from './limits.js';
import { securityInspect } from './security.js';
import { inspectMounts } from '../volumes/mounts.js';
import { inspectPorts } from '../networks/publish.js';
import { networkModeOf, networkSettings } from '../networks/inspect.js';
import { goMap } from '../go-json.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * The container as `docker inspect` shows it, so scripts and habits carry
 * over. Fields glass has no equivalent for yet are left out rather than faked.
 */
export function containerInspect(info: ContainerInfo, dir: string): Record<string, unknown> {
  const c = info.config;
  const f = containerFiles(dir, c.id);
  // A frozen cgroup (pause) is still a running container, shown as Docker shows it.
  const paused = info.running && !!info.paused;
  const status = paused ? 'paused' : shownState(info.status);
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: {
      Status: status,
      Running: info.running,
      Paused: paused,
      Restarting: false,
      OOMKilled: !!info.oomKilled,
      Dead: status === 'dead',
      Pid: info.running ? info.pid : 0,
      ExitCode: info.exitCode,
      Error: info.problem ?? info.state.error ?? '',
      StartedAt: info.startedAt ?? ZERO_TIME,
      FinishedAt: info.finishedAt ?? ZERO_TIME,
    },
    Image: c.imageId,
    ResolvConfPath: f.resolvConf,
    HostnamePath: f.hostname,
    HostsPath: f.hosts,
    LogPath: f.log,
    Name: `/${c.name}`,
    RestartCount: info.state.restartCount,
    Driver: 'overlay',
    Platform: 'linux',
    HostConfig: {
      AutoRemove: c.autoRemove,
      LogConfig: { Type: containerLogConfig(c).type, Config: containerLogConfig(c).config },
      NetworkMode: networkModeOf(c),
      Dns: c.network?.dns ?? [],
      DnsOptions: c.network?.dnsOptions ?? [],
      DnsSearch: c.network?.dnsSearch ?? [],
      ExtraHosts: c.network?.extraHosts ?? null,
      // Docker's form: "/source:/recipient/alias".
      Links: c.links?.length ? c.links.map((l) => `/${l.name}:/${c.name}/${l.alias}`) : null,
      ...hostConfigResources(c.resources),
      ...securityInspect(c.security),
      Binds: c.mountFlags?.binds ?? null,
      ...(c.mountFlags?.mounts ? { Mounts: c.mountFlags.mounts } : {}),
      ...(c.mountFlags?.tmpfs ? { Tmpfs: c.mountFlags.tmpfs } : {}),
      VolumesFrom: c.mountFlags?.volumesFrom ?? null,
      PortBindings: goMap(c.ports?.portBindings ?? {}),
      PublishAllPorts: !!c.ports?.publishAll,
    },
    GraphDriver: {
      Name: 'overlay',
      Data: {
        LowerDir: lowerdirsTopFirst(c.layerDirs).join(':'),
        UpperDir: f.upper,
        WorkDir: f.work,
        MergedDir: f.merged,
      },
    },
    Mounts: inspectMounts(c.mounts),
    Config: {
      Hostname: c.hostname,
      User: c.user,
      AttachStdin: c.openStdin,
      Tty: c.tty,
      OpenStdin: c.openStdin,
      StdinOnce: false,
      Env: c.env,
      Cmd: c.cmd,
      ...(c.healthcheck ? { Healthcheck: c.healthcheck } : {}),
      Image: c.image,
      ...(c.ports && Object.keys(c.ports.exposedPorts).length ? { ExposedPorts: goMap(c.ports.exposedPorts) } : {}),
      Volumes: c.mountFlags?.volumes ? goMap(Object.fromEntries(c.mountFlags.volumes.map((v) => [v, {}]))) : null,
      WorkingDir: c.workingDir,
      Entrypoint: c.entrypoint,
      Labels: goMap(c.labels ?? {}),
      ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
    },
    NetworkSettings: networkSettings(c, dir, info.running, info.pid, inspectPorts(c, dir, info.running)),
    GlassStateDir: dir,
    GlassShimPid: info.running ? info.state.shimPid : 0,
    GlassCgroupName: `glass-${c.id}`,
    GlassSpecPath: join(dir, 'shim.spec'),
  };
}
