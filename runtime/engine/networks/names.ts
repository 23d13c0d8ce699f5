import { createHash } from 'node:crypto';
import { DEFAULT_ROOT } from '../state/paths.js';

/**
 * Names of the host objects glass makes for networks. Several state roots
 * (tests run many at once) share one host, so every name is derived from the
 * root: two roots never fight over a bridge, a veth or an iptables rule.
 * Linux allows interface names of at most 15 characters (IFNAMSIZ - 1).
 */

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** 6 hex digits of sha256(root): tags a root's devices and rules. */
export function rootHash(root: string): string {
  return hex(root).slice(0, 6);
}

/** The default bridge device: `glass0` for /var/lib/glass (like Docker's docker0), else `gl<6hex>`. */
export function defaultBridgeName(root: string): string {
  return root === DEFAULT_ROOT ? 'glass0' : `gl${rootHash(root)}`;
}

/** A user network's bridge device: `glb-<6hex>` of the root and the network's id. */
export function userBridgeName(root: string, networkId: string): string {
  return `glb-${hex(`${root}\0${networkId}`).slice(0, 6)}`;
}

/** The host side of a container's veth pair: `veth<7hex of the container id>`. */
export function hostVethName(containerId: string): string {
  return `veth${containerId.slice(0, 7)}`;
}

/** The container side while it is still on the host, before it is moved and renamed eth0. */
export function peerTempName(containerId: string): string {
  return `vp${containerId.slice(0, 7)}`;
}

/** The comment every iptables rule of a root (and a container) carries: `glass:<rootHash>[:<containerId>]`. */
export function ruleComment(root: string, containerId?: string): string {
  return containerId ? `glass:${rootHash(root)}:${containerId.slice(0, 12)}` : `glass:${rootHash(root)}`;
}
