import { existsSync } from 'node:fs';
import { KernelError } from '../errors.js';
import { exec, ipBatch, type BatchCommand, type NetContext } from './run.js';
import { inNetns, nsWords, type NetnsRef } from './netns.js';
import { addAddressCommand, macFromIp } from './addr.js';
import { defaultRouteCommand } from './route.js';

/**
 * Network interfaces ("links"): the bridge on the host that a network's
 * containers hang off, and the veth pair (a virtual cable) from the bridge
 * into each container's network namespace.
 */

/** Linux's limit on an interface name (IFNAMSIZ 16, with the NUL). */
export const MAX_IFNAME = 15;

export function checkIfName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new KernelError('INVALID_ARGUMENT', `invalid interface name "${name}": 1 to ${MAX_IFNAME} letters, digits, '_', '.' or '-'`);
}

/** `nsenter --net=…` for a namespace, nothing for the host: what goes before `ip` (netns.ts's inNetns). */
export const nsPrefix = (ns?: NetnsRef): string[] => inNetns(ns, []);

/** Run `ip` commands of one namespace as one batch (run.ts ipBatch): each still its own Step. */
export const ipSteps = (ctx: NetContext, ns: NetnsRef | undefined, cmds: BatchCommand[]): Promise<void> => ipBatch(ctx, nsPrefix(ns), cmds);

/** Does an interface of this name exist in the host's namespace? (/sys/class/net lists them.) */
export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** `ip link add name glass0 type bridge` (one already there is fine: two roots' processes may race). */
export function addBridgeCommand(name: string): BatchCommand {
  checkIfName(name);
  return {
    title: `Create bridge ${name}`,
    why: 'A bridge is a virtual switch in the host\'s kernel. Each container\'s veth is plugged into it, so containers on this network reach each other, and the bridge\'s own address is their gateway to the host.',
    argv: ['ip', 'link', 'add', 'name', name, 'type', 'bridge'],
    okIf: /File exists/,
  };
}

export async function addBridge(ctx: NetContext, name: string): Promise<void> {
  await ipSteps(ctx, undefined, [addBridgeCommand(name)]);
}

/**
 * A bridge, made and ready: created, given its gateway address, up. Each is
 * its own Step; all are idempotent, so a second root or a retry is harmless.
 */
export async function ensureBridge(ctx: NetContext, name: string, gatewayCidr: string): Promise<void> {
  await ipSteps(ctx, undefined, [addBridgeCommand(name), addAddressCommand(name, gatewayCidr), linkUpCommand(name)]);
}

/** `ip link set DEV up`, on the host or in a namespace. */
export function linkUpCommand(dev: string, ns?: NetnsRef): BatchCommand {
  return {
    title: `Bring ${dev} up ${nsWords(ns)}`,
    why: dev === 'lo' ? 'A new network namespace\'s loopback is down: nothing inside could reach 127.0.0.1 until it is up.' : 'An interface carries no packets until it is administratively up.',
    argv: ['ip', 'link', 'set', dev, 'up'],
  };
}

export async function setLinkUp(ctx: NetContext, dev: string, ns?: NetnsRef): Promise<void> {
  await ipSteps(ctx, ns, [linkUpCommand(dev, ns)]);
}

/** `ip link delete DEV`; with missingOk, one already gone is fine (a veth goes with its namespace). */
export async function deleteLink(ctx: NetContext, dev: string, opts: { missingOk?: boolean; why?: string } = {}): Promise<void> {
  await ipSteps(ctx, undefined, [
    {
      title: `Delete interface ${dev}`,
      why: opts.why ?? 'Deleting one end of a veth pair deletes the other; deleting a bridge unplugs whatever was attached to it.',
      argv: ['ip', 'link', 'delete', dev],
      ...(opts.missingOk ? { okIf: /Cannot find device|does not exist/ } : {}),
    },
  ]);
}

/** `ip link add HOST type veth peer name PEER`: a virtual cable, both ends on the host for now. */
export function vethPairCommand(hostEnd: string, peer: string): BatchCommand {
  checkIfName(hostEnd);
  checkIfName(peer);
  return {
    title: `Create veth pair ${hostEnd} <-> ${peer}`,
    why: 'A veth pair is a virtual Ethernet cable: what goes in one end comes out of the other. One end stays on the host, plugged into the bridge; the other moves into the container and becomes its eth0.',
    argv: ['ip', 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', peer],
  };
}

export async function addVethPair(ctx: NetContext, hostEnd: string, peer: string): Promise<void> {
  await ipSteps(ctx, undefined, [vethPairCommand(hostEnd, peer)]);
}

/** `ip link set DEV master BRIDGE`: plug an interface into a bridge. */
export function masterCommand(dev: string, bridge: string): BatchCommand {
  return {
    title: `Plug ${dev} into bridge ${bridge}`,
    why: 'Enslaved to the bridge, the veth\'s host end becomes one of the switch\'s ports: frames from the container reach the bridge and everything else on it.',
    argv: ['ip', 'link', 'set', dev, 'master', bridge],
  };
}

export async function setMaster(ctx: NetContext, dev: string, bridge: string): Promise<void> {
  await ipSteps(ctx, undefined, [masterCommand(dev, bridge)]);
}

/** `ip link set DEV netns PID` (or a named namespace): move an interface into another network namespace. */
export function moveToNetnsCommand(dev: string, ns: NetnsRef): BatchCommand {
  const target = 'pid' in ns ? String(ns.pid) : 'name' in ns ? ns.name : undefined;
  if (target === undefined) throw new KernelError('INVALID_ARGUMENT', 'moveToNetns needs a pid or a named namespace');
  return {
    title: `Move ${dev} into ${'pid' in ns ? `the network namespace of pid ${ns.pid}` : `network namespace ${target}`}`,
    why: 'An interface belongs to exactly one network namespace. Moved in, it disappears from the host\'s `ip link` and is the container\'s own.',
    argv: ['ip', 'link', 'set', dev, 'netns', target],
  };
}

export async function moveToNetns(ctx: NetContext, dev: string, ns: NetnsRef): Promise<void> {
  await ipSteps(ctx, undefined, [moveToNetnsCommand(dev, ns)]);
}

/** `ip link set DEV name NEW` (the interface must be down: a moved veth end is). */
export function renameCommand(dev: string, name: string, ns?: NetnsRef): BatchCommand {
  checkIfName(name);
  return {
    title: `Rename ${dev} to ${name} ${nsWords(ns)}`,
    why: 'The peer was created under a temporary name (names must be unique on the host while both ends are there); inside its own namespace it can take the usual name.',
    argv: ['ip', 'link', 'set', dev, 'name', name],
  };
}

export async function renameLink(ctx: NetContext, dev: string, name: string, ns?: NetnsRef): Promise<void> {
  await ipSteps(ctx, ns, [renameCommand(dev, name, ns)]);
}

/** `ip link set DEV address MAC`. */
export function macCommand(dev: string, mac: string, ns?: NetnsRef): BatchCommand {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new KernelError('INVALID_ARGUMENT', `invalid MAC address: ${mac}`);
  return {
    title: `Set ${dev}'s MAC address to ${mac} ${nsWords(ns)}`,
    why: 'As Docker, the MAC is 02:42 followed by the IPv4 address\'s four bytes: locally administered (the 02), unique on the bridge because the IP is, and stable across restarts.',
    argv: ['ip', 'link', 'set', dev, 'address', mac],
  };
}

export async function setMac(ctx: NetContext, dev: string, mac: string, ns?: NetnsRef): Promise<void> {
  await ipSteps(ctx, ns, [macCommand(dev, mac, ns)]);
}

export interface ContainerInterface {
  /** The container's (or test namespace's) network namespace. */
  ns: NetnsRef;
  /** The moved veth end's current (temporary) name. */
  dev: string;
  /** Its name inside (default eth0). */
  name?: string;
  /** "172.18.0.2/16". */
  address: string;
  /** Default route via this (the bridge's address); none when undefined (--internal, or a test's peer). */
  gateway?: string;
  /** Default: Docker's 02:42:<ip bytes>. */
  mac?: string;
}

/**
 * Configure the moved end inside its namespace, one Step each: rename to
 * eth0, MAC, address, up, lo up, default route.
 */
export async function configureInterface(ctx: NetContext, c: ContainerInterface): Promise<void> {
  const name = c.name ?? 'eth0';
  const ip = c.address.split('/')[0]!;
  await ipSteps(ctx, c.ns, [
    ...(c.dev !== name ? [renameCommand(c.dev, name, c.ns)] : []),
    macCommand(name, c.mac ?? macFromIp(ip), c.ns),
    addAddressCommand(name, c.address, c.ns),
    linkUpCommand(name, c.ns),
    linkUpCommand('lo', c.ns),
    ...(c.gateway ? [defaultRouteCommand(c.gateway, c.ns, name)] : []),
  ]);
}

/**
 * Plug a namespace into a bridge: veth pair, host end on the bridge and up,
 * peer moved in and configured. On failure the host end is deleted (taking
 * the peer with it), so nothing is left half-made; the error is rethrown.
 */
export async function attachToBridge(
  ctx: NetContext,
  a: { bridge: string; hostEnd: string; peer?: string } & Omit<ContainerInterface, 'dev'>,
): Promise<void> {
  const peer = a.peer ?? `${a.hostEnd.slice(0, 11)}-tmp`;
  try {
    await ipSteps(ctx, undefined, [vethPairCommand(a.hostEnd, peer), masterCommand(a.hostEnd, a.bridge), linkUpCommand(a.hostEnd), moveToNetnsCommand(peer, a.ns)]);
    await configureInterface(ctx, { ...a, dev: peer });
  } catch (e) {
    await deleteLink(ctx, a.hostEnd, { missingOk: true, why: 'The container\'s network could not be set up: the half-made veth pair goes (deleting the host end deletes the peer too).' }).catch(() => {});
    throw e;
  }
}

/** Names of the host's interfaces (ip -j link), for checks. */
export async function listLinks(ctx: NetContext, ns?: NetnsRef): Promise<string[]> {
  const rows = JSON.parse((await exec(ctx, inNetns(ns, ['ip', '-j', 'link', 'show']))).stdout.trim() || '[]') as Array<{ ifname: string }>;
  return rows.map((r) => r.ifname);
}
