/**
 * IP address management: which subnet a network takes, and which address
 * each container on it gets. Pure functions here (unit-tested without root);
 * the store keeps the leases under a lock.
 */

export interface Cidr {
  /** The network address as a 32-bit number. */
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "172.18.0.0/16" → {base, prefix}; the host bits are cleared. "default" is 0.0.0.0/0. */
export function parseCidr(s: string): Cidr | undefined {
  if (s === 'default') return { base: 0, prefix: 0 };
  const [ip, p = '32'] = s.split('/');
  const n = ipToInt(ip!);
  const prefix = Number(p);
  if (n === undefined || !/^\d{1,2}$/.test(p) || prefix > 32) return undefined;
  return { base: (n & mask(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/**
 * The candidates Docker's default pools offer, in order: 172.18.0.0/16 …
 * 172.31.0.0/16 (172.17 is docker0's on a host with Docker), then 10.89.0.0/16 …
 */
export function candidateSubnets(): string[] {
  const out: string[] = [];
  for (let b = 18; b <= 31; b++) out.push(`172.${b}.0.0/16`);
  for (let b = 89; b <= 255; b++) out.push(`10.${b}.0.0/16`);
  return out;
}

/**
 * The first candidate that overlaps none of the host's routes (except the
 * default route, which covers everything) and no network glass already has.
 */
export function chooseSubnet(hostRoutes: readonly string[], taken: readonly string[]): string | undefined {
  const busy = [...hostRoutes.filter((r) => r !== 'default' && r !== '0.0.0.0/0'), ...taken].map(parseCidr).filter((c): c is Cidr => !!c && c.prefix > 0);
  return candidateSubnets().find((s) => !busy.some((b) => overlaps(parseCidr(s)!, b)));
}

/** The gateway of a subnet: its first host address (.1), which the bridge holds. */
export function gatewayOf(subnet: string): string {
  return intToIp(parseCidr(subnet)!.base + 1);
}

/**
 * Docker's MAC for a container address: 02:42 (a locally administered
 * prefix) then the four bytes of the IPv4 address: 172.17.0.2 → 02:42:ac:11:00:02.
 */
export function macFromIp(ip: string): string {
  const n = ipToInt(ip)!;
  return ['02', '42', ...[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/**
 * The lowest free host address of the subnet from .2 up (the gateway has .1;
 * the network and broadcast addresses are never given out).
 */
export function nextFree(subnet: string, used: ReadonlySet<string>, gateway: string): string | undefined {
  const c = parseCidr(subnet)!;
  const size = 2 ** (32 - c.prefix);
  for (let i = 1; i < size - 1; i++) {
    const ip = intToIp(c.base + i);
    if (ip !== gateway && !used.has(ip)) return ip;
  }
  return undefined;
}

/** Why `ip` cannot be given on this subnet (Docker's daemon errors), or undefined if it can. */
export function requestedIpProblem(ip: string, subnet: string, gateway: string, used: ReadonlySet<string>): string | undefined {
  const n = ipToInt(ip);
  const c = parseCidr(subnet)!;
  if (n === undefined || !contains(c, n)) return `Invalid address ${ip}: It does not belong to any of this network's subnets`;
  const size = 2 ** (32 - c.prefix);
  if (ip === gateway || used.has(ip) || n === c.base || n === c.base + size - 1) return 'Address already in use';
  return undefined;
}

// ---- leases (under the root's network lock) ---------------------------------

import { randomBytes } from 'node:crypto';
import { GlassError } from '../errors.js';
import { subnetOf, type Lease, type NetworkRecord, type NetworkStore } from './store.js';

/**
 * Give a container an address on a network: the one it already holds, the
 * requested one (--ip) if free and inside the subnet, else the lowest free.
 */
export async function allocate(store: NetworkStore, net: NetworkRecord, container: { id: string; name: string }, requested?: string): Promise<Lease & { prefixLen: number; gateway: string; subnet: string }> {
  return store.locked(async () => {
    const { subnet, gateway } = subnetOf(net);
    const prefixLen = parseCidr(subnet)!.prefix;
    const leases = await store.leases(net.Id);
    const mine = leases[container.id];
    if (mine && (!requested || mine.ip === requested)) return { ...mine, prefixLen, gateway, subnet };
    const used = new Set(Object.entries(leases).filter(([id]) => id !== container.id).map(([, l]) => l.ip));
    let ip: string | undefined;
    if (requested) {
      const problem = requestedIpProblem(requested, subnet, gateway, used);
      if (problem) throw new GlassError('INVALID_ARGUMENT', problem, 125);
      ip = requested;
    } else {
      ip = nextFree(subnet, used, gateway);
      if (!ip) throw new GlassError('INVALID_ARGUMENT', `no available IPv4 addresses on this network's address pools: ${net.Name} (${net.Id.slice(0, 12)})`, 125);
    }
    const lease: Lease = { ip, mac: macFromIp(ip), name: container.name, endpointId: randomBytes(32).toString('hex'), ...(requested ? { requested: true } : {}) };
    await store.writeLeases(net.Id, { ...leases, [container.id]: lease });
    return { ...lease, prefixLen, gateway, subnet };
  });
}

/** Give a container's address back. Returns whether it held one. */
export async function release(store: NetworkStore, networkId: string, containerId: string): Promise<boolean> {
  return store.locked(async () => {
    const leases = await store.leases(networkId);
    if (!leases[containerId]) return false;
    delete leases[containerId];
    await store.writeLeases(networkId, leases);
    return true;
  });
}
