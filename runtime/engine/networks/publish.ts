import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tracer } from '../../kernel/step.js';
import { addRules, enableRouteLocalnet, listGlassRules, probePort, removeRulesTagged, withHostLock, type GlassRule, type NetContext } from '../../kernel/net/index.js';
import { GlassError } from '../errors.js';
import { rootHash } from './names.js';
import { readAttachment } from './stage.js';
import type { StageContext, StartStage } from '../containers/pipeline.js';
import { allocate, networkSettingsPorts, parseLocalPortRange, PortSpecError, portKey, wantedBindings, type ContainerPorts, type Proto, type PublishedPort } from './ports.js';

/**
 * Published ports on the host: iptables DNAT, no proxy process.
 *
 * For each published port glass adds, tagged with the container:
 *   nat GLASS-DNAT      ! -i <bridge> -p tcp --dport 8080 -j DNAT --to-destination 172.x.0.2:80
 *                       (jumped from PREROUTING: traffic from other hosts and namespaces; and from
 *                        OUTPUT: programs on the host itself, 127.0.0.1 included)
 *   filter GLASS-FORWARD -d 172.x.0.2/32 ! -i <bridge> -o <bridge> -p tcp --dport 80 -j ACCEPT
 *   nat GLASS-POSTROUTING -s 127.0.0.0/8 -o <bridge> -j MASQUERADE  (+ route_localnet on the bridge)
 *
 * Docker runs a docker-proxy process per port by default (its userland
 * proxy) and DNAT for everything else; with --userland-proxy=false it does
 * what glass does here. The ports a container got are kept in
 * <dir>/ports.json while it runs (inspect, port, ps read them).
 */

export interface PublishContext {
  trace: Tracer;
  /** The state root (its hash tags the rules). */
  root: string;
  containerId: string;
  /** Shown in Docker's error: "... on endpoint NAME". */
  containerName: string;
  /** The container's state directory (ports.json). */
  dir: string;
  /** The container's address on its bridge. */
  containerIp: string;
  /** The bridge device the container's veth is on. */
  bridge: string;
  ports: ContainerPorts | undefined;
  /** Tests: run iptables through a fake. */
  run?: NetContext['run'];
}

const PORTS_FILE = 'ports.json';

/** The tag of a container's port rules: under the container's own tag, so removing the container's rules takes them too. */
export function portsTag(root: string, containerId: string): string {
  return `${rootHash(root)}:${containerId.slice(0, 12)}:ports`;
}

/** The ports a running container published (ports.json), [] when none or not running. */
export function readPublished(dir: string): PublishedPort[] {
  try {
    return JSON.parse(readFileSync(join(dir, PORTS_FILE), 'utf8')) as PublishedPort[];
  } catch {
    return [];
  }
}

/** Host ports glass's DNAT rules hold on this host (any state root): "proto/port" → the host address ("" = every). */
async function glassHeldPorts(ctx: NetContext): Promise<Array<{ proto: string; port: number; ip: string }>> {
  const out: Array<{ proto: string; port: number; ip: string }> = [];
  for (const r of await listGlassRules(ctx)) {
    if (r.table !== 'nat' || r.chain !== 'GLASS-DNAT') continue;
    const a = r.args;
    const at = (flag: string) => {
      const i = a.indexOf(flag);
      return i >= 0 ? a[i + 1] : undefined;
    };
    const dport = at('--dport');
    if (!dport) continue;
    out.push({ proto: at('-p') ?? 'tcp', port: Number(dport), ip: (at('-d') ?? '').replace(/\/32$/, '') });
  }
  return out;
}

const overlapsIp = (a: string, b: string) => a === '' || b === '' || a === '0.0.0.0' || b === '0.0.0.0' || a === b;

/** The rules for one published port. */
export function portRules(p: PublishedPort, containerIp: string, bridge: string, tag: string): Array<GlassRule & { title: string; why: string }> {
  const dest = p.hostIp !== '0.0.0.0' ? ['-d', `${p.hostIp}/32`] : [];
  const where = `${p.hostIp}:${p.hostPort}/${p.proto}`;
  return [
    {
      table: 'nat',
      chain: 'GLASS-DNAT',
      args: [...dest, '!', '-i', bridge, '-p', p.proto, '-m', p.proto, '--dport', String(p.hostPort), '-j', 'DNAT', '--to-destination', `${containerIp}:${p.containerPort}`],
      tag,
      title: `Publish ${where} → ${containerIp}:${p.containerPort}`,
      why:
        `A packet for port ${p.hostPort} of ${p.hostIp === '0.0.0.0' ? 'any of this host\'s addresses' : p.hostIp} gets its destination rewritten to the container (DNAT), before routing decides where it goes. ` +
        'The rule is in GLASS-DNAT, jumped to from PREROUTING (packets from other hosts and namespaces) and OUTPUT (programs on this host, 127.0.0.1 included). ' +
        `"! -i ${bridge}" leaves alone what comes from the containers' own bridge. Docker adds the same rule; it also starts a docker-proxy process per port unless --userland-proxy=false: glass needs none.`,
    },
    {
      table: 'filter',
      chain: 'GLASS-FORWARD',
      args: ['-d', `${containerIp}/32`, '!', '-i', bridge, '-o', bridge, '-p', p.proto, '-m', p.proto, '--dport', String(p.containerPort), '-j', 'ACCEPT'],
      tag,
      title: `Let forwarded traffic reach ${containerIp}:${p.containerPort}/${p.proto}`,
      why: 'After the DNAT the packet is routed through the host to the bridge, so it crosses FORWARD; this accepts exactly the published flow, whatever the FORWARD policy (Docker sets it to DROP).',
    },
  ];
}

function loopbackRule(bridge: string, tag: string): GlassRule & { title: string; why: string } {
  return {
    table: 'nat',
    chain: 'GLASS-POSTROUTING',
    args: ['-s', '127.0.0.0/8', '-o', bridge, '-j', 'MASQUERADE'],
    tag,
    title: `Masquerade loopback traffic going to ${bridge}`,
    why: 'A connection to 127.0.0.1:PORT on the host, DNAT\'ed to the container, still has 127.0.0.1 as its source: the container would answer itself. MASQUERADE gives it the bridge\'s address as source, so the reply comes back to the host.',
  };
}

function daemonError(ctx: PublishContext, what: string): GlassError {
  return new GlassError('INVALID_ARGUMENT', `driver failed programming external connectivity on endpoint ${ctx.containerName} (${ctx.containerId.slice(0, 12)}): ${what}`);
}

/**
 * Allocate the container's host ports and add their rules (start, after the
 * container has its address). Refuses a host port that any glass container
 * (of any root) has published, or that another program holds, naming it.
 * Returns what was published; nothing is left when it throws.
 */
export async function publishPorts(ctx: PublishContext): Promise<PublishedPort[]> {
  const wanted = ctx.ports ? wantedBindings(ctx.ports) : {};
  if (!Object.keys(wanted).length) return [];
  const net: NetContext = { trace: ctx.trace, run: ctx.run };
  const tag = portsTag(ctx.root, ctx.containerId);
  let published: PublishedPort[] = [];
  try {
    await withHostLock('ports', async () => {
      const held = await glassHeldPorts(net);
      const glassHolds = (ip: string, port: number, proto: string) => held.some((h) => h.port === port && h.proto === proto && overlapsIp(h.ip, ip));
      let range: [number, number] = [32768, 60999];
      try {
        range = parseLocalPortRange(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
      } catch { /* Linux's default */ }
      try {
        published = await allocate(wanted, range, async (ip, port, proto) => glassHolds(ip, port, proto) || (proto !== 'sctp' && !(await probePort(proto, ip, port)).free));
      } catch (e) {
        if (e instanceof PortSpecError) throw daemonError(ctx, e.message);
        throw e;
      }
      // Explicit ports: refuse with Docker's words, naming the holder when it is another program.
      for (const p of published) {
        if (glassHolds(p.hostIp, p.hostPort, p.proto)) throw daemonError(ctx, `Bind for ${p.hostIp}:${p.hostPort} failed: port is already allocated`);
        if (p.proto === 'sctp') continue;
        const probe = await probePort(p.proto, p.hostIp, p.hostPort);
        if (!probe.free) {
          const who = probe.holder ? ` (held by ${probe.holder.command || 'a process'}, pid ${probe.holder.pid})` : '';
          const word = probe.code === 'EADDRINUSE' ? 'address already in use' : probe.code === 'EACCES' ? 'permission denied' : probe.code === 'EADDRNOTAVAIL' ? 'cannot assign requested address' : probe.message;
          throw daemonError(ctx, `Error starting userland proxy: listen ${p.proto}4 ${p.hostIp}:${p.hostPort}: bind: ${word}${who}`);
        }
      }
      const rules = published.flatMap((p) => portRules(p, ctx.containerIp, ctx.bridge, tag));
      if (published.some((p) => p.hostIp === '0.0.0.0' || p.hostIp.startsWith('127.'))) {
        await enableRouteLocalnet(net, ctx.bridge);
        rules.push(loopbackRule(ctx.bridge, tag));
      }
      await addRules(net, rules);
      writeFileSync(join(ctx.dir, PORTS_FILE), JSON.stringify(published));
    });
  } catch (e) {
    await unpublishPorts({ trace: ctx.trace, root: ctx.root, containerId: ctx.containerId, dir: ctx.dir, run: ctx.run }).catch(() => {});
    throw e;
  }
  return published;
}

/** Remove a container's port rules and ports.json (stop, rm, a failed start, reconcile); fine when there are none. */
export async function unpublishPorts(ctx: { trace: Tracer; root: string; containerId: string; dir: string; run?: NetContext['run'] }): Promise<void> {
  const file = join(ctx.dir, PORTS_FILE);
  const net: NetContext = { trace: ctx.trace, run: ctx.run };
  await removeRulesTagged(net, portsTag(ctx.root, ctx.containerId), { exact: true, why: 'The container no longer runs: its published ports go (Docker keeps DNAT rules only while a container runs).' });
  if (existsSync(file)) rmSync(file, { force: true });
}

export type { Proto };
export { portKey };

/** NetworkSettings.Ports: every exposed port of a running container, its host bindings or null; {} when not running (Docker). */
export function inspectPorts(c: { ports?: ContainerPorts }, dir: string, running: boolean): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  if (!running || !c.ports) return {};
  return networkSettingsPorts(c.ports.exposedPorts, readPublished(dir));
}

/**
 * The `ports` start stage, after `network` (whose atPid wrote <dir>/network.json
 * with the container's address and bridge): publish the ports before "go", so
 * the first connection already reaches the container. Undo (a failed start)
 * removes them. A container with no network (none, host, container:) publishes
 * nothing, as Docker discards -p there.
 */
export function portsStage(d: { root: string; config: { id: string; name: string; ports?: ContainerPorts }; dir: string }): StartStage {
  return {
    name: 'ports',
    async atPid(ctx: StageContext) {
      const att = readAttachment(d.dir);
      if (!att || !d.config.ports) return;
      await publishPorts({ trace: ctx.trace, root: d.root, containerId: d.config.id, containerName: d.config.name, dir: d.dir, containerIp: att.ip, bridge: att.bridge, ports: d.config.ports });
    },
    async undo(ctx: StageContext) {
      await unpublishIfAny({ trace: ctx.trace, root: d.root, containerId: d.config.id, dir: d.dir, ports: d.config.ports });
    },
  };
}

/** Stop, exit, rm, reconcile: remove the container's port rules if it has ports (a no-op, without iptables, otherwise). */
export async function unpublishIfAny(ctx: { trace: Tracer; root: string; containerId: string; dir: string; ports?: ContainerPorts }): Promise<void> {
  if (!ctx.ports && !existsSync(join(ctx.dir, PORTS_FILE))) return;
  await unpublishPorts(ctx);
}
