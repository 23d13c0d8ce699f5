import { GlassError } from '../errors.js';
import type { CreateOptions, NetworkConfig } from '../containers/types.js';
import { ipToInt } from './ipam.js';

/**
 * --network, --ip, --dns, --dns-search, --dns-option and --add-host, checked
 * at create with Docker's words (exit 125), before anything is made. Which
 * container `container:NAME` means, and whether a user network exists, the
 * service checks with its stores (resolveNetworkMode).
 */

const bad = (msg: string) => new GlassError('INVALID_ARGUMENT', msg, 125);

const isIPv4 = (s: string) => ipToInt(s) !== undefined;
/** Enough of Go's net.ParseIP for IPv6: hex groups and colons, at most one "::". */
const isIPv6 = (s: string) => /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':') && (s.match(/::/g)?.length ?? 0) <= 1;

export function parseNetworkOptions(n: CreateOptions['network'] = {}): NetworkConfig {
  // Docker keeps "default" when no --network was given (HostConfig.NetworkMode), and treats it as bridge.
  const mode = n.mode === undefined || n.mode === '' ? 'default' : n.mode;
  if (mode.startsWith('container:') && mode.length === 'container:'.length) throw bad('Invalid network mode: invalid container format container:<name|id>');
  const cfg: NetworkConfig = { mode };
  if (n.ip !== undefined && n.ip !== '') {
    if (!isIPv4(n.ip)) throw bad(`invalid IPv4 address: ${n.ip}`);
    if (mode === 'default' || mode === 'bridge' || mode === 'none' || mode === 'host' || mode.startsWith('container:')) {
      throw bad('user specified IP address is supported on user defined networks only');
    }
    cfg.ip = n.ip;
  }
  for (const d of n.dns ?? []) if (!isIPv4(d) && !isIPv6(d)) throw bad(`invalid argument "${d}" for "--dns" flag: ${d} is not an ip address`);
  for (const h of n.extraHosts ?? []) {
    // Docker's ValidateExtraHost: HOST:IP, the IP may itself hold colons (IPv6), or the word host-gateway.
    const colon = h.indexOf(':');
    if (colon <= 0) throw bad(`invalid argument "${h}" for "--add-host" flag: bad format for add-host: "${h}"`);
    const ip = h.slice(colon + 1);
    if (ip !== 'host-gateway' && !isIPv4(ip) && !isIPv6(ip)) throw bad(`invalid argument "${h}" for "--add-host" flag: invalid IP address in add-host: "${ip}"`);
  }
  // Docker: a container sharing another's network stack takes its DNS and hosts settings too.
  if (mode.startsWith('container:') && (n.dns?.length || n.extraHosts?.length || n.dnsSearch?.length || n.dnsOptions?.length)) {
    throw bad('conflicting options: dns and the network mode');
  }
  if (n.dns?.length) cfg.dns = [...n.dns];
  if (n.dnsSearch?.length) cfg.dnsSearch = [...n.dnsSearch];
  if (n.dnsOptions?.length) cfg.dnsOptions = [...n.dnsOptions];
  if (n.extraHosts?.length) cfg.extraHosts = [...n.extraHosts];
  return cfg;
}

/** Modes that are not a network of the store. */
export function isBuiltinMode(mode: string): boolean {
  return mode === 'default' || mode === 'bridge' || mode === 'none' || mode === 'host' || mode.startsWith('container:');
}
