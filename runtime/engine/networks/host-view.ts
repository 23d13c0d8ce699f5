import { namespaceInode, namespaceLink } from '../../kernel/proc-view.js';
import { cidrContains, listAddresses, readConntrack, readGlassRuleset, readSysctl, routeTo, type ConntrackEntry, type InterfaceAddresses, type ListedRule, type NetContext, type Route, type SavedTables } from '../../kernel/net/index.js';
import { rootHash } from './names.js';

/**
 * What the host's kernel reports of one state root's networking, read-only
 * (no Step: nothing changes): the interfaces of the host and of each running
 * container's network namespace (`ip -d addr`), glass's iptables rules of the
 * root and the jumps into glass's chains (`iptables-save`), the route to each
 * container address (`ip route get`), route_localnet on each bridge, and the
 * conntrack entries that touch the root's subnets. Notebooks draw it.
 */
export interface NetworkHostView {
  /** The host's network namespace: every interface (`ip -j -d addr show`). */
  host: InterfaceAddresses[];
  /** Each running container asked for, in its own network namespace. */
  containers: Array<{ id: string; name: string; pid: number; netnsInode: number | undefined; interfaces: InterfaceAddresses[] }>;
  /** The host's network namespace inode: glass's own (/proc/self/ns/net), where it made the bridges. */
  hostNetnsInode: number | undefined;
  /** The root's rules, tagged glass:<rootHash>…, as iptables-save lists them. */
  rules: ListedRule[];
  /** Built-in chains' jumps into GLASS-… (shared by every root on the host). */
  jumps: SavedTables['rules'];
  /** `ip route get <address>` for each container address: the device the host sends its packets to. */
  routes: Record<string, Route>;
  /** net.ipv4.conf.<bridge>.route_localnet per bridge: "1" lets 127.0.0.1-sourced packets leave by it. */
  routeLocalnet: Record<string, string | undefined>;
  /** Conntrack entries with an address in one of `subnets` (/proc/net/nf_conntrack). */
  conntrack: ConntrackEntry[];
  /** The commands a learner would type to see the same. */
  commands: string[];
}

export async function readNetworkHostView(
  ctx: NetContext,
  root: string,
  want: { containers: Array<{ id: string; name: string; pid: number; ips: string[] }>; bridges: string[]; subnets: string[] },
): Promise<NetworkHostView> {
  const [host, ruleset] = await Promise.all([listAddresses(ctx, undefined, { details: true }), readGlassRuleset(ctx, { tag: rootHash(root) })]);
  const containers: NetworkHostView['containers'] = [];
  const routes: Record<string, Route> = {};
  for (const c of want.containers) {
    const interfaces = await listAddresses(ctx, { pid: c.pid }, { details: true }).catch(() => []);
    containers.push({ id: c.id, name: c.name, pid: c.pid, netnsInode: namespaceInode(namespaceLink(c.pid, 'net')), interfaces });
    for (const ip of c.ips) routes[ip] = await routeTo(ctx, ip);
  }
  const inSubnets = (ip: string) => want.subnets.some((s) => /^\d+\.\d+\.\d+\.\d+$/.test(ip) && cidrContains(s, ip));
  const conntrack = readConntrack().filter((e) => [e.original.src, e.original.dst, e.reply.src, e.reply.dst].some(inSubnets));
  const first = want.containers[0];
  return {
    host,
    containers,
    hostNetnsInode: namespaceInode(namespaceLink(process.pid, 'net')), // glass's own: the namespace it made the bridges in
    rules: ruleset.rules,
    jumps: ruleset.jumps,
    routes,
    routeLocalnet: Object.fromEntries(want.bridges.map((b) => [b, readSysctl(`net.ipv4.conf.${b}.route_localnet`)])),
    conntrack,
    commands: [
      'ip -d addr show',
      ...(first ? [`nsenter --net=/proc/${first.pid}/ns/net ip -d addr show`] : []),
      `iptables-save | grep -e 'glass:${rootHash(root)}' -e '-j GLASS-'`,
      ...Object.keys(routes).slice(0, 1).map((ip) => `ip route get ${ip}`),
      'conntrack -L   # or: cat /proc/net/nf_conntrack',
    ],
  };
}
