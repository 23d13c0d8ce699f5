import { addRules, deleteLink, ensureBridge, enableIpForward, linkExists, removeRulesTagged, type GlassRule, type NetContext } from '../../kernel/net/index.js';
import { rootHash } from './names.js';
import { bridgeDevice, subnetOf, type NetworkRecord } from './store.js';

/**
 * The host side of a bridge network: the bridge device holding the gateway
 * address, forwarding on, and the network's iptables rules (MASQUERADE out,
 * FORWARD accepts). Made when its first container starts, removed with its
 * last one (so a test run, or a learner's session, leaves the host as it was).
 */

/** The tag of a network's own rules: `<rootHash>:net-<12 hex of its id>` (under the root's tag). */
export function networkTag(root: string, net: NetworkRecord): string {
  return `${rootHash(root)}:net-${net.Id.slice(0, 12)}`;
}

/** The rules of one bridge network (in glass's chains; see kernel/net/iptables.ts). */
export function bridgeRules(root: string, net: NetworkRecord): Array<GlassRule & { title: string; why: string }> {
  const dev = bridgeDevice(net);
  const { subnet } = subnetOf(net);
  const tag = networkTag(root, net);
  const rules: Array<GlassRule & { title: string; why: string }> = [
    {
      table: 'filter', chain: 'GLASS-FORWARD', tag,
      args: ['-o', dev, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
      title: `Let replies back in to ${dev}`,
      why: 'Connections the containers opened get their answers: conntrack knows these packets belong to a connection already allowed.',
    },
    {
      table: 'filter', chain: 'GLASS-FORWARD', tag,
      args: ['-i', dev, '-o', dev, '-j', 'ACCEPT'],
      title: `Let containers on ${dev} talk to each other`,
      why: 'Traffic between two containers of the same network crosses the bridge (and, with br_netfilter loaded, FORWARD): allowed, as Docker\'s icc=true.',
    },
  ];
  if (!net.Internal) {
    rules.push(
      {
        table: 'filter', chain: 'GLASS-FORWARD', tag,
        args: ['-i', dev, '!', '-o', dev, '-j', 'ACCEPT'],
        title: `Let containers on ${dev} out`,
        why: 'Packets from the containers to anywhere else are forwarded by the host (even where another program set FORWARD\'s policy to DROP, as Docker does).',
      },
      {
        table: 'nat', chain: 'GLASS-POSTROUTING', tag,
        args: ['-s', subnet, '!', '-o', dev, '-j', 'MASQUERADE'],
        title: `Masquerade ${subnet} leaving the host`,
        why: `The containers' addresses (${subnet}) exist only on this host. MASQUERADE rewrites the source of their outgoing packets to the address of the interface they leave by, so replies come back to the host, and conntrack passes them on to the right container.`,
      },
    );
  }
  return rules;
}

/**
 * Make the network's bridge and rules if its device is missing (the first
 * container, or after a reboot); cheap when it is already there. Call under
 * the root's network lock.
 */
export async function ensureNetworkOnHost(ctx: NetContext, root: string, net: NetworkRecord, moreRules: Array<GlassRule & { title: string; why: string }> = []): Promise<void> {
  const dev = bridgeDevice(net);
  if (linkExists(dev)) return;
  const { subnet, gateway } = subnetOf(net);
  await ensureBridge(ctx, dev, `${gateway}/${subnet.split('/')[1]}`);
  await enableIpForward(ctx);
  await addRules(ctx, [...bridgeRules(root, net), ...moreRules]);
}

/** Remove the network's bridge and its rules (the last container went, or `network rm`). Call under the root's network lock. */
export async function removeNetworkFromHost(ctx: NetContext, root: string, net: NetworkRecord): Promise<void> {
  const dev = bridgeDevice(net);
  await removeRulesTagged(ctx, networkTag(root, net), { exact: true, why: `No container uses network ${net.Name} any more: its rules go with its bridge.` });
  if (linkExists(dev)) await deleteLink(ctx, dev, { missingOk: true, why: `No container uses network ${net.Name} any more: its bridge goes, so nothing of it is left on the host.` });
}
