import { addRules, linkExists, type GlassRule, type NetContext } from '../../kernel/net/index.js';
import { ensureNetworkOnHost, networkTag } from './bridge.js';
import { bridgeDevice, type NetworkRecord } from './store.js';

/**
 * What keeps glass networks apart, on top of a bridge's own rules (bridge.ts):
 * - traffic from this bridge to another glass bridge (every glass bridge's
 *   name starts with "gl") is dropped: containers on different networks
 *   cannot reach each other. Traffic that stays on the bridge is accepted just
 *   above (with br_netfilter loaded, as Docker loads it, even bridged frames
 *   pass FORWARD).
 * - an --internal network: nothing leaves the bridge, nothing enters it from
 *   elsewhere, and the host itself (its services, a port published on it) is
 *   out of reach; it gets no MASQUERADE (bridge.ts) and no default route.
 * The rules carry the network's tag, so removing the network removes them.
 * Each is inserted at position 1, so they sit above the bridge's ACCEPTs; the
 * list is in reverse order of how they end up.
 */
export function isolationRules(root: string, net: NetworkRecord): Array<GlassRule & { title: string; why: string }> {
  const dev = bridgeDevice(net);
  const tag = networkTag(root, net);
  const rules: Array<GlassRule & { title: string; why: string }> = [];
  if (net.Internal) {
    rules.push(
      {
        table: 'filter', chain: 'INPUT', tag, position: 1,
        args: ['-i', dev, '-j', 'DROP'],
        title: `Drop what ${dev} sends to the host itself`,
        why: `${net.Name} is --internal: its containers must not reach the host either (its services, or a port published on it).`,
      },
      {
        table: 'filter', chain: 'GLASS-FORWARD', tag, position: 1,
        args: ['-o', dev, '!', '-i', dev, '-j', 'DROP'],
        title: `Drop what comes to ${dev} from elsewhere`,
        why: `${net.Name} is --internal: nothing from outside its bridge reaches its containers.`,
      },
      {
        table: 'filter', chain: 'GLASS-FORWARD', tag, position: 1,
        args: ['-i', dev, '!', '-o', dev, '-j', 'DROP'],
        title: `Drop what leaves ${dev} for anywhere else`,
        why: `${net.Name} is --internal: its containers reach one another and nothing else.`,
      },
    );
  } else {
    rules.push({
      table: 'filter', chain: 'GLASS-FORWARD', tag, position: 1,
      args: ['-i', dev, '-o', 'gl+', '-m', 'conntrack', '!', '--ctstate', 'DNAT', '-j', 'DROP'],
      title: `Drop traffic from ${dev} to the other glass bridges`,
      why: `Networks are isolated from each other: a container on ${net.Name} may not reach one on another glass network (gl+ matches every glass bridge; its own bridge is accepted just above). A port published on the host stays reachable: that traffic was DNAT'ed, as from anywhere else.`,
    });
  }
  rules.push({
    table: 'filter', chain: 'GLASS-FORWARD', tag, position: 1,
    args: ['-i', dev, '-o', dev, '-m', 'physdev', '--physdev-is-bridged', '-j', 'ACCEPT'],
    title: `Accept frames bridged between containers on ${dev}`,
    why: `Containers on the same network talk freely. With br_netfilter loaded (Docker loads it: /proc/sys/net/bridge/bridge-nf-call-iptables is 1), even frames switched inside one bridge pass FORWARD, so ${net.Name}'s own traffic is accepted before the drops below.`,
  });
  return rules;
}

/** The network's bridge and rules (bridge.ts) and its isolation rules, where missing. Under the root's network lock. */
export async function ensureIsolatedNetwork(ctx: NetContext, root: string, net: NetworkRecord): Promise<void> {
  // A new bridge: one iptables batch for all of the network's rules (bridge.ts's and these).
  if (!linkExists(bridgeDevice(net))) return ensureNetworkOnHost(ctx, root, net, isolationRules(root, net));
  await addRules(ctx, isolationRules(root, net));
}
