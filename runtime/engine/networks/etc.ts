import type { NetworkConfig } from '../containers/types.js';

/**
 * The contents of a container's /etc/hosts and /etc/resolv.conf, as Docker
 * writes them (libnetwork/etchosts and resolvconf). Pure: the stage writes them.
 */

const DEFAULT_HOSTS = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters'];

/**
 * The hosts file: Docker's defaults, then each --add-host as "IP\tHOST", then
 * the container's own address and hostname. Without an address (--network
 * none) the hostname maps to 127.0.1.1, so `hostname -i` still answers.
 * host-gateway becomes the bridge's address (gateway), as Docker's.
 */
export function hostsFile(opts: { hostname: string; ip?: string; extraHosts?: string[]; gateway?: string }): string {
  const lines = [...DEFAULT_HOSTS];
  for (const h of opts.extraHosts ?? []) {
    const colon = h.indexOf(':');
    const ip = h.slice(colon + 1);
    lines.push(`${ip === 'host-gateway' ? (opts.gateway ?? '127.0.0.1') : ip}\t${h.slice(0, colon)}`);
  }
  lines.push(`${opts.ip ?? '127.0.1.1'}\t${opts.hostname}`);
  return `${lines.join('\n')}\n`;
}

const isLoopbackNameserver = (line: string) => /^\s*nameserver\s+(127\.|::1\b|0\.0\.0\.0)/.test(line);

/**
 * resolv.conf from the host's: a loopback nameserver (127.0.0.53 of
 * systemd-resolved, a local dnsmasq) is the host's own, unreachable from the
 * container's network namespace, so it goes; with none left, Google's public
 * ones, as Docker. --dns, --dns-search and --dns-option replace the host's.
 * In the host's network namespace (--network host) the host's file is kept.
 */
export function resolvConf(host: string, net: NetworkConfig | undefined): string {
  const keepLoopback = net?.mode === 'host';
  let lines = host.split('\n').filter((l) => keepLoopback || !isLoopbackNameserver(l));
  const replace = (key: string, values: string[] | undefined, join: boolean) => {
    if (!values?.length) return;
    lines = lines.filter((l) => !new RegExp(`^\\s*${key}\\b`).test(l));
    lines.push(...(join ? [`${key} ${values.join(' ')}`] : values.map((v) => `${key} ${v}`)));
  };
  replace('nameserver', net?.dns, false);
  replace('search', net?.dnsSearch, true);
  replace('options', net?.dnsOptions, true);
  lines = lines.filter((l, i, all) => l.trim() !== '' || i < all.length - 1);
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) {
    lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  }
  return `${lines.filter((l) => l.trim() !== '').join('\n')}\n`;
}
