import { exec, ipBatch, type BatchCommand, type NetContext } from './run.js';
import { inNetns, nsWords, type NetnsRef } from './netns.js';
import { listAddresses, parseCidr, cidrsOverlap, formatCidr } from './addr.js';

/** Routes: read them to pick subnets that collide with nothing, and set a container's default route. */

export interface Route {
  /** "default", or a subnet "172.18.0.0/16" (a single host as "10.0.0.1/32"). */
  dst: string;
  dev?: string;
  gateway?: string;
  prefsrc?: string;
  protocol?: string;
  scope?: string;
  type?: string;
}

/** Parse `ip -j route` (iproute2's JSON: [{dst, gateway, dev, protocol, scope, prefsrc, flags}]). */
export function parseRoutes(json: string): Route[] {
  const rows = JSON.parse(json.trim() || '[]') as Array<Record<string, unknown>>;
  return rows.map((r) => {
    const dst = String(r.dst ?? 'default');
    const route: Route = { dst: dst === 'default' || dst.includes('/') ? dst : `${dst}/32` };
    for (const k of ['dev', 'gateway', 'prefsrc', 'protocol', 'scope', 'type'] as const) if (typeof r[k] === 'string') route[k] = r[k] as string;
    return route;
  });
}

/** The main routing table (`ip -j route`), on the host or in a namespace. */
export async function listRoutes(ctx: NetContext, ns?: NetnsRef): Promise<Route[]> {
  return parseRoutes((await exec(ctx, inNetns(ns, ['ip', '-j', 'route', 'show']))).stdout);
}

/** The route the kernel would pick for a packet to `ip` (`ip -j route get IP`): its device and source address. */
export async function routeTo(ctx: NetContext, ip: string, ns?: NetnsRef): Promise<Route> {
  const [r] = parseRoutes((await exec(ctx, inNetns(ns, ['ip', '-j', 'route', 'get', ip]))).stdout);
  return r ?? { dst: `${ip}/32` };
}

/**
 * The IPv4 subnets the host already uses: every route's destination but the
 * default, and the subnet of every address (an interface may be down and have
 * no route yet). A new glass network must overlap none of them.
 */
export async function hostSubnets(ctx: NetContext): Promise<string[]> {
  const [routes, addrs] = await Promise.all([listRoutes(ctx), listAddresses(ctx)]);
  const out = new Set<string>();
  for (const r of routes) if (r.dst !== 'default') out.add(formatCidr(parseCidr(r.dst)));
  for (const a of addrs) for (const c of a.ipv4) if (!c.startsWith('127.')) out.add(formatCidr(parseCidr(c)));
  return [...out];
}

/** The host subnets (from `hostSubnets`) that `cidr` overlaps; empty when it is free. */
export function overlapping(cidr: string, used: readonly string[]): string[] {
  return used.filter((u) => cidrsOverlap(cidr, u));
}

/** `ip route add default via GATEWAY` inside a namespace (a default route already there is fine). */
export function defaultRouteCommand(gateway: string, ns?: NetnsRef, dev?: string): BatchCommand {
  return {
    title: `Route everything else via ${gateway} ${nsWords(ns)}`,
    why: 'Packets for addresses outside the subnet go to the gateway, the bridge\'s address on the host, which forwards them on (and masquerades them to the outside world).',
    argv: ['ip', 'route', 'add', 'default', 'via', gateway, ...(dev ? ['dev', dev] : [])],
    okIf: /File exists/,
  };
}

export async function addDefaultRoute(ctx: NetContext, gateway: string, ns?: NetnsRef, dev?: string): Promise<void> {
  await ipBatch(ctx, inNetns(ns, []), [defaultRouteCommand(gateway, ns, dev)]);
}
