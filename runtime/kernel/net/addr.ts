import { KernelError } from '../errors.js';
import { exec, ipBatch, type BatchCommand, type NetContext } from './run.js';
import { inNetns, nsWords, type NetnsRef } from './netns.js';

/**
 * IPv4 addresses: the arithmetic (subnets, overlap, the MAC Docker derives
 * from an IP) and the host's addresses (`ip -j addr`). Only IPv4: glass's
 * networks are IPv4, as Docker's are by default.
 */

export interface Cidr {
  /** The network address, as a 32-bit unsigned number. */
  base: number;
  /** Prefix length, 0..32. */
  bits: number;
}

/** "172.18.0.5" → 0xac120005; throws on anything that is not a dotted quad. */
export function ipToInt(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new KernelError('INVALID_ARGUMENT', `invalid IPv4 address: ${ip}`);
  return m.slice(1).reduce((n, o) => n * 256 + Number(o), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

function maskOf(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** "172.18.0.0/16" (or "172.18.0.1/16", or a bare address = /32) → its network; throws on a malformed one. */
export function parseCidr(s: string): Cidr {
  const [ip, len, extra] = s.split('/');
  const bits = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (extra !== undefined || !(bits >= 0 && bits <= 32)) throw new KernelError('INVALID_ARGUMENT', `invalid CIDR address: ${s}`);
  return { base: (ipToInt(ip!) & maskOf(bits)) >>> 0, bits };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.bits}`;
}

/** Do two subnets share any address? (One contains the other, for prefixes.) */
export function cidrsOverlap(a: Cidr | string, b: Cidr | string): boolean {
  const x = typeof a === 'string' ? parseCidr(a) : a;
  const y = typeof b === 'string' ? parseCidr(b) : b;
  const bits = Math.min(x.bits, y.bits);
  return ((x.base & maskOf(bits)) >>> 0) === ((y.base & maskOf(bits)) >>> 0);
}

/** Is the address inside the subnet? */
export function cidrContains(c: Cidr | string, ip: string): boolean {
  const x = typeof c === 'string' ? parseCidr(c) : c;
  return ((ipToInt(ip) & maskOf(x.bits)) >>> 0) === x.base;
}

/** The n-th address of a subnet (1 = the gateway Docker picks, 2 = the first container). */
export function nthAddress(c: Cidr | string, n: number): string {
  const x = typeof c === 'string' ? parseCidr(c) : c;
  return intToIp((x.base + n) >>> 0);
}

/** Docker's MAC for a container address: 02:42 then the four bytes of the IPv4 address (libnetwork's genMAC). */
export function macFromIp(ip: string): string {
  const n = ipToInt(ip);
  return ['02', '42', ...[24, 16, 8, 0].map((s) => ((n >>> s) & 255).toString(16).padStart(2, '0'))].join(':');
}

export interface InterfaceAddresses {
  ifname: string;
  ifindex: number;
  /** UP, LOWER_UP, ... */
  flags: string[];
  mac?: string;
  /** IPv4 addresses with their prefix: "172.18.0.1/16". */
  ipv4: string[];
  /** The bridge or bond it is enslaved to. */
  master?: string;
  /** What kind of device (`ip -d`: linkinfo.info_kind): "bridge", "veth"...; absent for lo and physical ones. */
  kind?: string;
  /** A veth's other end: its ifindex (link_index), in the namespace the other end lives in ("eth0@if12"). */
  peerIfindex?: number;
}

/** Parse `ip -j addr` (iproute2's JSON: [{ifindex, ifname, flags, address, addr_info: [{family, local, prefixlen}]}]). */
export function parseAddresses(json: string): InterfaceAddresses[] {
  const rows = JSON.parse(json.trim() || '[]') as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    ifname: String(r.ifname),
    ifindex: Number(r.ifindex),
    flags: Array.isArray(r.flags) ? (r.flags as string[]) : [],
    ...(typeof r.address === 'string' ? { mac: r.address } : {}),
    ...(typeof r.master === 'string' ? { master: r.master } : {}),
    ...(typeof (r.linkinfo as { info_kind?: unknown } | undefined)?.info_kind === 'string' ? { kind: (r.linkinfo as { info_kind: string }).info_kind } : {}),
    ...(typeof r.link_index === 'number' ? { peerIfindex: r.link_index } : {}),
    ipv4: ((r.addr_info as Array<Record<string, unknown>> | undefined) ?? [])
      .filter((a) => a.family === 'inet')
      .map((a) => `${a.local}/${a.prefixlen}`),
  }));
}

/**
 * The interfaces and their addresses (`ip -j addr`), on the host or in a
 * namespace; with details (`ip -d`), each one's kind and a veth's peer.
 */
export async function listAddresses(ctx: NetContext, ns?: NetnsRef, opts: { details?: boolean } = {}): Promise<InterfaceAddresses[]> {
  return parseAddresses((await exec(ctx, inNetns(ns, ['ip', '-j', ...(opts.details ? ['-d'] : []), 'addr', 'show']))).stdout);
}

/**
 * `ip addr add 172.18.0.1/16 brd + dev glass0` (an address already there is
 * fine). `brd +` sets the subnet's broadcast address (172.18.255.255), as
 * Docker's interfaces have; without it `ip addr` inside shows none.
 */
export function addAddressCommand(dev: string, cidr: string, ns?: NetnsRef): BatchCommand {
  return {
    title: `Give ${dev} the address ${cidr} ${nsWords(ns)}`,
    why: ns
      ? 'The container\'s interface needs an address on the bridge\'s subnet so the bridge and the other containers can reach it; the prefix length also gives it the route to that subnet.'
      : 'The bridge\'s address is the gateway of its subnet: containers send everything that is not on their subnet to it, and the host reaches the containers through it.',
    argv: ['ip', 'addr', 'add', cidr, ...(parseCidr(cidr).bits < 31 ? ['brd', '+'] : []), 'dev', dev],
    okIf: /File exists|Address already assigned/,
  };
}

export async function addAddress(ctx: NetContext, dev: string, cidr: string, ns?: NetnsRef): Promise<void> {
  await ipBatch(ctx, inNetns(ns, []), [addAddressCommand(dev, cidr, ns)]);
}
