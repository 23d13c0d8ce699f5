import { existsSync } from 'node:fs';
import { KernelError } from '../errors.js';
import { exec, execStep, type NetContext } from './run.js';
import { inNetns, nsWords, type NetnsRef } from './netns.js';
import { addAddress, macFromIp } from './addr.js';
import { addDefaultRoute } from './route.js';

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

/** Does an interface of this name exist in the host's namespace? (/sys/class/net lists them.) */
export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** `ip link add name glass0 type bridge` (one already there is fine: two roots' processes may race). */
export async function addBridge(ctx: NetContext, name: string): Promise<void> {
  checkIfName(name);
  await execStep(
    ctx,
    {
      title: `Create bridge ${name}`,
      why: 'A bridge is a virtual switch in the host\'s kernel. Each container\'s veth is plugged into it, so containers on this network reach each other, and the bridge\'s own address is their gateway to the host.',
    },
    ['ip', 'link', 'add', 'name', name, 'type', 'bridge'],
    { okIf: /File exists/ },
  );
}

/**
 * A bridge, made and ready: created, given its gateway address, up. Each is
 * its own Step; all are idempotent, so a second root or a retry is harmless.
 */
export async function ensureBridge(ctx: NetContext, name: string, gatewayCidr: string): Promise<void> {
  await addBridge(ctx, name);
  await addAddress(ctx, name, gatewayCidr);
  await setLinkUp(ctx, name);
}

/** `ip link set DEV up`, on the host or in a namespace. */
export async function setLinkUp(ctx: NetContext, dev: string, ns?: NetnsRef): Promise<void> {
  await execStep(
    ctx,
    { title: `Bring ${dev} up ${nsWords(ns)}`, why: dev === 'lo' ? 'A new network namespace\'s loopback is down: nothing inside could reach 127.0.0.1 until it is up.' : 'An interface carries no packets until it is administratively up.' },
    inNetns(ns, ['ip', 'link', 'set', dev, 'up']),
  );
}

/** `ip link delete DEV`; with missingOk, one already gone is fine (a veth goes with its namespace). */
export async function deleteLink(ctx: NetContext, dev: string, opts: { missingOk?: boolean; why?: string } = {}): Promise<void> {
  await execStep(
    ctx,
    { title: `Delete interface ${dev}`, why: opts.why ?? 'Deleting one end of a veth pair deletes the other; deleting a bridge unplugs whatever was attached to it.' },
    ['ip', 'link', 'delete', dev],
    opts.missingOk ? { okIf: /Cannot find device|does not exist/ } : {},
  );
}

/** `ip link add HOST type veth peer name PEER`: a virtual cable, both ends on the host for now. */
export async function addVethPair(ctx: NetContext, hostEnd: string, peer: string): Promise<void> {
  checkIfName(hostEnd);
  checkIfName(peer);
  await execStep(
    ctx,
    {
      title: `Create veth pair ${hostEnd} <-> ${peer}`,
      why: 'A veth pair is a virtual Ethernet cable: what goes in one end comes out of the other. One end stays on the host, plugged into the bridge; the other moves into the container and becomes its eth0.',
    },
    ['ip', 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', peer],
  );
}

/** `ip link set DEV master BRIDGE`: plug an interface into a bridge. */
export async function setMaster(ctx: NetContext, dev: string, bridge: string): Promise<void> {
  await execStep(
    ctx,
    { title: `Plug ${dev} into bridge ${bridge}`, why: 'Enslaved to the bridge, the veth\'s host end becomes one of the switch\'s ports: frames from the container reach the bridge and everything else on it.' },
    ['ip', 'link', 'set', dev, 'master', bridge],
  );
}

/** `ip link set DEV netns PID` (or a named namespace): move an interface into another network namespace. */
export async function moveToNetns(ctx: NetContext, dev: string, ns: NetnsRef): Promise<void> {
  const target = 'pid' in ns ? String(ns.pid) : 'name' in ns ? ns.name : undefined;
  if (target === undefined) throw new KernelError('INVALID_ARGUMENT', 'moveToNetns needs a pid or a named namespace');
  await execStep(
    ctx,
    { title: `Move ${dev} into ${'pid' in ns ? `the network namespace of pid ${ns.pid}` : `network namespace ${target}`}`, why: 'An interface belongs to exactly one network namespace. Moved in, it disappears from the host\'s `ip link` and is the container\'s own.' },
    ['ip', 'link', 'set', dev, 'netns', target],
  );
}

/** `ip link set DEV name NEW` (the interface must be down: a moved veth end is). */
export async function renameLink(ctx: NetContext, dev: string, name: string, ns?: NetnsRef): Promise<void> {
  checkIfName(name);
  await execStep(
    ctx,
    { title: `Rename ${dev} to ${name} ${nsWords(ns)}`, why: 'The peer was created under a temporary name (names must be unique on the host while both ends are there); inside its own namespace it can take the usual name.' },
    inNetns(ns, ['ip', 'link', 'set', dev, 'name', name]),
  );
}

/** `ip link set DEV address MAC`. */
export async function setMac(ctx: NetContext, dev: string, mac: string, ns?: NetnsRef): Promise<void> {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new KernelError('INVALID_ARGUMENT', `invalid MAC address: ${mac}`);
  await execStep(
    ctx,
    { title: `Set ${dev}'s MAC address to ${mac} ${nsWords(ns)}`, why: 'As Docker, the MAC is 02:42 followed by the IPv4 address\'s four bytes: locally administered (the 02), unique on the bridge because the IP is, and stable across restarts.' },
    inNetns(ns, ['ip', 'link', 'set', dev, 'address', mac]),
  );
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
  if (c.dev !== name) await renameLink(ctx, c.dev, name, c.ns);
  await setMac(ctx, name, c.mac ?? macFromIp(ip), c.ns);
  await addAddress(ctx, name, c.address, c.ns);
  await setLinkUp(ctx, name, c.ns);
  await setLinkUp(ctx, 'lo', c.ns);
  if (c.gateway) await addDefaultRoute(ctx, c.gateway, c.ns, name);
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
  await addVethPair(ctx, a.hostEnd, peer);
  try {
    await setMaster(ctx, a.hostEnd, a.bridge);
    await setLinkUp(ctx, a.hostEnd);
    await moveToNetns(ctx, peer, a.ns);
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
