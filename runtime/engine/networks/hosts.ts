import { closeSync, constants, openSync, writeSync, ftruncateSync } from 'node:fs';

/**
 * A container's /etc/hosts, as glass writes it on the host (<container dir>/hosts)
 * and bind-mounts it in.
 *
 * Name resolution on user networks is this file, kept live: Docker answers
 * names with a DNS server embedded in the daemon (nameserver 127.0.0.11,
 * reached through iptables rules in each container's namespace). glass has no
 * daemon to host one, and a file you can `cat` shows a learner exactly which
 * names a container knows. So when a peer on one of its networks starts,
 * stops, connects or disconnects, glass rewrites each attached container's
 * hosts file IN PLACE (same inode: the bind mount points at the inode, so a
 * new file renamed over it would never be seen inside). What this gives up:
 * a process that caches an address keeps it, and the file's order is glass's.
 */

export const BASE_HOSTS = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters'];

export interface HostsEntry {
  ip: string;
  names: string[];
}

export interface HostsInput {
  /** --add-host lines. */
  extra?: HostsEntry[];
  /** Links on the default bridge (linkHostsLine order). */
  links?: HostsEntry[];
  /** Running peers on the container's user networks. */
  peers?: HostsEntry[];
  /** The container's own address(es) and hostname, last as Docker writes it. */
  self: HostsEntry[];
}

export function renderHosts(h: HostsInput): string {
  const line = (e: HostsEntry) => `${e.ip}\t${e.names.join(' ')}`;
  return [...BASE_HOSTS, ...(h.extra ?? []).map(line), ...(h.links ?? []).map(line), ...(h.peers ?? []).map(line), ...h.self.map(line), ''].join('\n');
}

/**
 * Names of one peer on a user network, as a container on that network may
 * use them: its name, its --network-alias'es, and `name.network`.
 */
export function peerNames(name: string, aliases: readonly string[], network: string): string[] {
  const out = [name, ...aliases, `${name}.${network}`];
  return out.filter((n, i) => n && out.indexOf(n) === i);
}

/** Merge entries of one address (a peer on two shared networks) into one line. */
export function mergeEntries(entries: HostsEntry[]): HostsEntry[] {
  const by = new Map<string, string[]>();
  for (const e of entries) {
    const names = by.get(e.ip) ?? [];
    for (const n of e.names) if (!names.includes(n)) names.push(n);
    by.set(e.ip, names);
  }
  return [...by].map(([ip, names]) => ({ ip, names }));
}

/** Rewrite a file without replacing its inode (the container's bind mount of it stays valid). */
export function rewriteInPlace(path: string, text: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.from(text);
    ftruncateSync(fd, 0);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, off);
  } finally {
    closeSync(fd);
  }
}
