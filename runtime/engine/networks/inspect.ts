import type { ContainerConfig } from '../containers/types.js';
import { modeOf, readAttachment } from './stage.js';
import { goMap } from '../go-json.js';

/** HostConfig.NetworkMode as Docker shows it: "default" for a plain run, else what was given (container:<id>). */
export function networkModeOf(c: ContainerConfig): string {
  return c.network?.mode ?? 'none';
}

/**
 * NetworkSettings in Docker 20.10's shape. The addresses are shown while the
 * container runs (read from what its network stage recorded); stopped, the
 * fields are there and empty, as in Docker. The top-level IPAddress/Gateway/
 * MacAddress are the default bridge's only (Docker's legacy fields).
 */
export function networkSettings(c: ContainerConfig, dir: string, running: boolean, pid: number, ports: unknown): Record<string, unknown> {
  const att = running ? readAttachment(dir) : undefined;
  const mode = modeOf(c);
  const netName = mode.startsWith('container:') ? undefined : mode;
  const legacy = att && att.networkName === 'bridge' ? att : undefined;
  const endpoint = {
    IPAMConfig: c.network?.ip ? { IPv4Address: c.network.ip } : null,
    Links: c.links?.length ? c.links.map((l) => `/${l.name}:/${c.name}/${l.alias}`) : null,
    Aliases: mode !== 'bridge' && att ? [...(c.networkAliases ?? []), c.id.slice(0, 12)] : null,
    NetworkID: att?.networkId ?? '',
    EndpointID: att?.endpointId ?? '',
    Gateway: att?.gateway ?? '',
    IPAddress: att?.ip ?? '',
    IPPrefixLen: att?.prefixLen ?? 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    MacAddress: att?.mac ?? '',
    DriverOpts: null,
  };
  return {
    Bridge: '',
    SandboxID: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: goMap<unknown>((ports ?? {}) as Record<string, unknown>),
    SandboxKey: running && pid ? `/proc/${pid}/ns/net` : '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: legacy?.endpointId ?? '',
    Gateway: legacy?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: legacy?.ip ?? '',
    IPPrefixLen: legacy?.prefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: legacy?.mac ?? '',
    Networks: netName ? { [netName]: endpoint } : {},
  };
}
