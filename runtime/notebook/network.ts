/**
 * Container networking as the kernel reports it: the topology (bridges,
 * veth pairs, network namespaces, addresses, published ports) as a picture,
 * glass's iptables rules for a container as a table, and one packet's walk
 * through them. `topology()` gathers the data (the engine's inspect and its
 * read-only host view: `ip -d addr`, `iptables-save`, `ip route get`,
 * conntrack); everything else is a pure function of that data.
 */
import type { ConntrackEntry, InterfaceAddresses, ListedRule, NetworkHostView, Route } from '../engine/index.js';
import { oneLineErrors } from './errors.js';
import { session } from './session.js';
import { escapeHtml as esc, picture, table, type Cell, type Picture, type Table } from './table.js';

export interface TopologyNetwork {
  name: string;
  id: string;
  /** The bridge device on the host (glb-…, gl…, glass0). */
  bridge: string;
  subnet: string;
  gateway: string;
  /** The bridge as `ip -d addr` lists it; undefined when the kernel has none. */
  iface?: InterfaceAddresses;
  /** net.ipv4.conf.<bridge>.route_localnet. */
  routeLocalnet?: string;
}

export interface TopologyPort {
  /** "80/tcp". */
  containerPort: string;
  hostIp: string;
  hostPort: string;
}

export interface TopologyContainer {
  name: string;
  id: string;
  pid: number;
  netnsInode?: number;
  /** From inspect's NetworkSettings.Networks (the first network). */
  network: string;
  networkId: string;
  ip: string;
  prefixLen: number;
  mac: string;
  gateway: string;
  ports: TopologyPort[];
  /** The container's end of its veth pair, inside its namespace (the interface holding `ip`). */
  eth0?: InterfaceAddresses;
  /** The host's end: the veth on the host whose peer is eth0 (and eth0's peer is it). */
  hostEnd?: InterfaceAddresses;
  lo?: InterfaceAddresses;
}

/** Everything the pictures and tables draw: plain data, so they are pure functions of it. */
export interface TopologyData {
  hostNetnsInode?: number;
  /** The host's loopback (published ports bound to 127.0.0.1 live here). */
  lo?: InterfaceAddresses;
  networks: TopologyNetwork[];
  containers: TopologyContainer[];
  rules: ListedRule[];
  jumps: NetworkHostView['jumps'];
  routes: Record<string, Route>;
  conntrack: ConntrackEntry[];
  commands: string[];
}

interface InspectView {
  Id: string;
  Name: string;
  State: { Pid: number };
  NetworkSettings: {
    Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
    Networks: Record<string, { NetworkID: string; IPAddress: string; IPPrefixLen: number; MacAddress: string; Gateway: string }>;
  };
}

/** Join the engine's view of each container (inspect) with what the kernel reports (the host view). */
export function joinTopology(inspects: InspectView[], networks: Array<Omit<TopologyNetwork, 'iface' | 'routeLocalnet'>>, view: NetworkHostView): TopologyData {
  const containers: TopologyContainer[] = inspects.map((i) => {
    const [network, ep] = Object.entries(i.NetworkSettings.Networks)[0] ?? ['', undefined];
    const inside = view.containers.find((c) => c.id === i.Id)?.interfaces ?? [];
    const eth0 = inside.find((f) => ep && f.ipv4.some((a) => a.split('/')[0] === ep.IPAddress));
    const hostEnd = eth0 && view.host.find((h) => h.kind === 'veth' && h.ifindex === eth0.peerIfindex && h.peerIfindex === eth0.ifindex);
    const ports = Object.entries(i.NetworkSettings.Ports ?? {}).flatMap(([containerPort, bs]) => (bs ?? []).map((b) => ({ containerPort, hostIp: b.HostIp, hostPort: b.HostPort })));
    return {
      name: i.Name.replace(/^\//, ''),
      id: i.Id,
      pid: i.State.Pid,
      netnsInode: view.containers.find((c) => c.id === i.Id)?.netnsInode,
      network,
      networkId: ep?.NetworkID ?? '',
      ip: ep?.IPAddress ?? '',
      prefixLen: ep?.IPPrefixLen ?? 0,
      mac: ep?.MacAddress ?? '',
      gateway: ep?.Gateway ?? '',
      ports,
      ...(eth0 ? { eth0 } : {}),
      ...(hostEnd ? { hostEnd } : {}),
      ...(inside.find((f) => f.ifname === 'lo') ? { lo: inside.find((f) => f.ifname === 'lo') } : {}),
    };
  });
  const used = networks.filter((n) => containers.some((c) => c.network === n.name));
  return {
    hostNetnsInode: view.hostNetnsInode,
    lo: view.host.find((h) => h.ifname === 'lo'),
    networks: used.map((n) => ({ ...n, iface: view.host.find((h) => h.ifname === n.bridge), routeLocalnet: view.routeLocalnet[n.bridge] })),
    containers,
    rules: view.rules,
    jumps: view.jumps,
    routes: view.routes,
    conntrack: view.conntrack,
    commands: view.commands,
  };
}

/** The running containers `refs` and their networks, from the engine and the host's kernel, now. */
export async function topology(refs: string[]): Promise<TopologyData> {
  const s = await session();
  return oneLineErrors(s.root, async () => {
    const inspects: InspectView[] = [];
    for (const r of refs) inspects.push((await s.engine.containers.inspect(r)) as unknown as InspectView);
    const names = [...new Set(inspects.flatMap((i) => Object.keys(i.NetworkSettings.Networks)))];
    const networks: Array<Omit<TopologyNetwork, 'iface' | 'routeLocalnet'>> = [];
    for (const n of names) {
      const v = await s.engine.networks.inspect(n);
      const cfg = v.IPAM.Config[0];
      networks.push({ name: v.Name, id: v.Id, bridge: v.Options['com.docker.network.bridge.name'] ?? '', subnet: cfg?.Subnet ?? '', gateway: cfg?.Gateway ?? '' });
    }
    return joinTopology(inspects, networks, await s.engine.networks.hostView({ containers: refs }));
  });
}

// ---- the picture -------------------------------------------------------------------------

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
const MONO = 'font-family="DejaVu Sans Mono, Menlo, monospace"';
const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
const up = (f?: InterfaceAddresses) => (f ? (f.flags.includes('UP') ? 'UP' : 'DOWN') : 'not found');
const v4 = (f?: InterfaceAddresses) => (f?.ipv4.length ? f.ipv4.join(' ') : 'no IPv4 address');

function box(x: number, y: number, w: number, h: number, fill: string, stroke: string, lines: Array<{ text: string; mono?: boolean; bold?: boolean; color?: string }>, dash = false): string {
  const out = [`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="1.5"${dash ? ' stroke-dasharray="6 3"' : ''}/>`];
  lines.forEach((l, i) => {
    out.push(`<text x="${x + 8}" y="${y + 16 + i * 15}" ${l.mono ? MONO : FONT} font-size="${l.bold ? 12.5 : 11}"${l.bold ? ' font-weight="bold"' : ''} fill="${l.color ?? '#222'}">${esc(clip(l.text, Math.floor((w - 12) / 6.6)))}</text>`);
  });
  return out.join('');
}

/**
 * The topology as a picture: the host's network namespace with its loopback,
 * the published ports, one bridge per network and the host ends of the veth
 * pairs plugged into it; below, each container's own network namespace with
 * its eth0 (the other end) and lo. Every name, index and address is the
 * kernel's (`ip -d addr` on the host and inside); a missing one says so. The
 * red line is the path of a packet to a published port.
 */
export function networkTopology(t: TopologyData): Picture {
  const colW = 270;
  const gap = 24;
  const pad = 24;
  const cols = t.networks.flatMap((n) => t.containers.filter((c) => c.network === n.name));
  const colX = (i: number) => pad + 14 + i * (colW + gap);
  const width = Math.max(760, pad * 2 + 28 + cols.length * (colW + gap) - gap);
  const hostTop = 44;
  const portsY = hostTop + 34;
  const allPorts = cols.flatMap((c) => c.ports.map((p) => ({ c, p })));
  const portsH = 24 + Math.max(1, allPorts.length) * 15;
  const bridgeY = portsY + portsH + 36;
  const vethY = bridgeY + 88;
  const hostBottom = vethY + 72;
  const nsY = hostBottom + 40;
  const nsH = 164;
  const height = nsY + nsH + 40;
  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${pad}" y="26" ${FONT} font-size="16" font-weight="bold" fill="#222">Network topology, as the kernel reports it</text>`);
  // The host's namespace.
  parts.push(`<rect x="${pad - 10}" y="${hostTop}" width="${width - 2 * pad + 20}" height="${hostBottom - hostTop}" rx="10" fill="#f4f6fb" stroke="#4a5a85" stroke-width="2"/>`);
  parts.push(`<text x="${pad}" y="${hostTop + 20}" ${FONT} font-size="13" font-weight="bold" fill="#26315a">The host's network namespace${t.hostNetnsInode ? ` (net:[${t.hostNetnsInode}])` : ''}</text>`);
  parts.push(box(pad + 4, portsY, 200, 40, '#ffffff', '#4a5a85', [{ text: `lo (if${t.lo?.ifindex ?? '?'}) ${up(t.lo)}`, mono: true, bold: true }, { text: v4(t.lo), mono: true }]));
  const portLines = allPorts.length
    ? allPorts.map(({ c, p }) => ({ text: `${p.hostIp}:${p.hostPort} → ${c.name} ${c.ip}:${p.containerPort}`, mono: true, color: '#b00040' }))
    : [{ text: '(no published ports)', color: '#777' }];
  parts.push(box(pad + 220, portsY, width - 2 * pad - 220 - 8, portsH, '#fff3f3', '#b00040', [{ text: 'Published ports: iptables nat GLASS-DNAT rewrites the destination', bold: true, color: '#b00040' }, ...portLines]));
  // One bridge per network, spanning its containers' columns.
  let i = 0;
  for (const n of t.networks) {
    const members = cols.filter((c) => c.network === n.name);
    const x = colX(i);
    const w = members.length * (colW + gap) - gap;
    parts.push(box(x, bridgeY, w, 52, '#eef7ee', '#2f7d32', [
      { text: `bridge ${n.bridge} (if${n.iface?.ifindex ?? '?'}) ${up(n.iface)}`, mono: true, bold: true, color: '#1e5a22' },
      { text: `network ${n.name} · gateway ${v4(n.iface)}`, mono: true },
      { text: `subnet ${n.subnet}, route_localnet=${n.routeLocalnet ?? '?'}`, mono: true, color: '#555' },
    ]));
    i += members.length;
  }
  cols.forEach((c, j) => {
    const x = colX(j);
    const mid = x + 40;
    const h = c.hostEnd;
    parts.push(`<line x1="${mid}" y1="${bridgeY + 52}" x2="${mid}" y2="${vethY}" stroke="#2f7d32" stroke-width="2"/>`);
    parts.push(`<text x="${mid + 6}" y="${bridgeY + 72}" ${FONT} font-size="10.5" fill="#2f7d32">plugged in (master ${esc(h?.master ?? '?')})</text>`);
    parts.push(box(x, vethY, colW, 40, '#ffffff', '#2f7d32', h
      ? [{ text: `${h.ifname}@if${h.peerIfindex ?? '?'} (if${h.ifindex}) ${up(h)}`, mono: true, bold: true }, { text: `veth, host end · ${h.mac ?? ''}`, mono: true, color: '#555' }]
      : [{ text: 'host end of the veth: not found', bold: true, color: '#b00040' }]));
    // The container's namespace: the other end of the cable.
    parts.push(`<line x1="${mid}" y1="${vethY + 40}" x2="${mid}" y2="${nsY + 34}" stroke="#c28a00" stroke-width="3"/>`);
    parts.push(`<text x="${mid + 6}" y="${hostBottom + 24}" ${FONT} font-size="10.5" fill="#7a5600">veth pair: one virtual cable</text>`);
    parts.push(`<rect x="${x - 6}" y="${nsY}" width="${colW + 12}" height="${nsH}" rx="8" fill="#fff8e6" stroke="#c28a00" stroke-width="2" stroke-dasharray="6 3"/>`);
    parts.push(`<text x="${x + 2}" y="${nsY + 20}" ${FONT} font-size="12" font-weight="bold" fill="#7a5600">${esc(clip(`${c.name}: net:[${c.netnsInode ?? '?'}], pid ${c.pid}`, 40))}</text>`);
    const e = c.eth0;
    const published = c.ports.map((p) => ({ text: `← ${p.hostIp}:${p.hostPort} published to :${p.containerPort}`, mono: true, color: '#b00040' }));
    parts.push(box(x, nsY + 34, colW, 70, '#ffffff', '#c28a00', e
      ? [{ text: `${e.ifname}@if${e.peerIfindex ?? '?'} (if${e.ifindex}) ${up(e)}`, mono: true, bold: true }, { text: `${v4(e)} via ${c.gateway}`, mono: true }, { text: e.mac ?? '', mono: true, color: '#555' }, ...published.slice(0, 1)]
      : [{ text: `eth0 with ${c.ip || 'an address'}: not found`, bold: true, color: '#b00040' }]));
    parts.push(box(x, nsY + 112, colW, 40, '#ffffff', '#c28a00', [{ text: `lo (if${c.lo?.ifindex ?? '?'}) ${up(c.lo)}`, mono: true, bold: true }, { text: v4(c.lo), mono: true }]));
    // A packet to a published port: from the host's ports, through the bridge and the cable, to eth0.
    if (c.ports.length) {
      const rx = x + colW - 30;
      for (const [from, to] of [[portsY + portsH, bridgeY], [bridgeY + 52, vethY], [vethY + 40, nsY + 34]] as const) {
        parts.push(`<path d="M ${rx} ${from} V ${to}" fill="none" stroke="#b00040" stroke-width="2" stroke-dasharray="5 3" marker-end="url(#red)"/>`);
      }
      parts.push(`<text x="${rx - 10}" y="${bridgeY - 8}" ${FONT} font-size="10.5" fill="#b00040" text-anchor="end">DNAT → ${esc(c.ip)}:${esc(c.ports[0]!.containerPort.split('/')[0]!)}</text>`);
    }
  });
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<defs><marker id="red" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#b00040"/></marker></defs>`,
    ...parts,
    `<text x="${pad}" y="${height - 14}" ${MONO} font-size="10.5" fill="#555">${esc(clip(t.commands.slice(0, 3).join('   ·   '), 150))}</text>`,
    `</svg>`,
  ].join('\n');
  const text = [
    `host net:[${t.hostNetnsInode ?? '?'}]: lo ${v4(t.lo)}`,
    ...allPorts.map(({ c, p }) => `  published ${p.hostIp}:${p.hostPort} -> ${c.name} ${c.ip}:${p.containerPort}`),
    ...t.networks.flatMap((n) => [
      `  bridge ${n.bridge} (network ${n.name}) ${v4(n.iface)} ${up(n.iface)}`,
      ...cols.filter((c) => c.network === n.name).map((c) => `    ${c.hostEnd?.ifname ?? '(veth not found)'} <-> ${c.name} net:[${c.netnsInode ?? '?'}] ${c.eth0?.ifname ?? 'eth0 not found'} ${v4(c.eth0)} ${c.eth0?.mac ?? ''}`),
    ]),
  ].join('\n');
  return picture({ title: `Network topology: ${t.networks.map((n) => n.name).join(', ')}`, svg, text });
}

// ---- the rules and a packet's walk -------------------------------------------------------

const withoutComment = (args: readonly string[]) => {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-m' && args[i + 1] === 'comment') i += 1;
    else if (args[i] === '--comment') i += 1;
    else out.push(args[i]!);
  }
  return out.join(' ');
};
const flag = (args: readonly string[], f: string) => {
  const i = args.indexOf(f);
  return i >= 0 ? args[i + 1] : undefined;
};

function container(t: TopologyData, ref: string): TopologyContainer {
  const c = t.containers.find((x) => x.name === ref || x.id.startsWith(ref));
  if (!c) throw new Error(`glass: ${ref} is not in this topology (pass it to glass.topology([...]))`);
  return c;
}

/** The rules that concern one container: its own (tag …:<id12>…) and its network's (…:net-<id12>). */
function rulesOf(t: TopologyData, c: TopologyContainer): Array<ListedRule & { whose: string }> {
  return t.rules
    .map((r) => ({ ...r, whose: r.tag.includes(`:${c.id.slice(0, 12)}`) ? `${c.name}'s ports` : r.tag.endsWith(`:net-${c.networkId.slice(0, 12)}`) ? `network ${c.network}` : '' }))
    .filter((r) => r.whose);
}

/** Glass's iptables rules for a container, as iptables-save lists them: the jumps into glass's chains, its network's rules, its ports'. */
export function natRules(t: TopologyData, ref: string): Table {
  const c = container(t, ref);
  const rows: Cell[][] = [
    ...t.jumps.map((j): Cell[] => [j.table, j.chain, { text: withoutComment(j.args), code: true }, 'every glass root (the way in)']),
    ...rulesOf(t, c).map((r): Cell[] => [r.table, r.chain, { text: withoutComment(r.args), code: true }, { text: `${r.whose} (glass:${r.tag})`, strong: r.whose.endsWith('ports') }]),
  ];
  return table({
    title: `iptables rules for ${c.name} (${c.ip} on ${c.network})`,
    columns: ['table', 'chain', 'rule', 'whose'],
    rows,
    note: `From iptables-save: every rule glass adds carries -m comment --comment glass:<root>[:<container>] (hidden here) so it can be found and removed as a whole. Marked: this container's published ports.`,
  });
}

/**
 * One packet's walk, from a program on the host to a published port of `ref`
 * and back, step by step, each step with the rule, route or interface the
 * kernel reported for it. `hostPort`: which binding (default the first).
 */
export function packetPath(t: TopologyData, ref: string, hostPort?: string): Table {
  const c = container(t, ref);
  const p = c.ports.find((x) => !hostPort || x.hostPort === hostPort);
  if (!p) throw new Error(`glass: ${c.name} publishes no port${hostPort ? ` ${hostPort}` : ''}`);
  const [port, proto] = p.containerPort.split('/') as [string, string];
  const net = t.networks.find((n) => n.name === c.network);
  const hostIp = p.hostIp === '0.0.0.0' ? '127.0.0.1' : p.hostIp;
  const outputJump = t.jumps.find((j) => j.table === 'nat' && j.chain === 'OUTPUT' && j.args.includes('GLASS-DNAT'));
  const dnat = t.rules.find((r) => r.chain === 'GLASS-DNAT' && flag(r.args, '--dport') === p.hostPort && flag(r.args, '--to-destination') === `${c.ip}:${port}`);
  const postJump = t.jumps.find((j) => j.table === 'nat' && j.chain === 'POSTROUTING');
  const masq = t.rules.find((r) => r.chain === 'GLASS-POSTROUTING' && flag(r.args, '-s') === '127.0.0.0/8' && flag(r.args, '-o') === net?.bridge);
  const route = t.routes[c.ip];
  const forward = t.rules.find((r) => r.chain === 'GLASS-FORWARD' && flag(r.args, '-d') === `${c.ip}/32` && flag(r.args, '--dport') === port);
  const missing = (what: string): Cell => ({ text: `${what}: not found in iptables-save`, strong: true });
  const rule = (r: { chain: string; args: string[] } | undefined, what: string): Cell => (r ? { text: `-A ${r.chain} ${withoutComment(r.args)}`, code: true } : missing(what));
  const src = `${hostIp}:<ephemeral>`;
  const gw = net?.gateway ?? c.gateway;
  const rows: Cell[][] = [
    ['1', 'a program on the host', `${src} → ${hostIp}:${p.hostPort}`, `connects to the published port (glass listens on nothing: no process holds ${p.hostPort})`, { text: `curl http://${hostIp}:${p.hostPort}/`, code: true }],
    ['2', 'nat OUTPUT', `${src} → ${hostIp}:${p.hostPort}`, 'locally made packets pass OUTPUT (not PREROUTING); the destination is a local address, so it jumps to GLASS-DNAT', rule(outputJump, 'the OUTPUT jump')],
    ['3', 'nat GLASS-DNAT', { text: `${src} → ${c.ip}:${port}`, strong: true }, `DNAT rewrites the destination to the container; conntrack records the connection with both tuples (the first packet decides, every later one follows)`, rule(dnat, 'the DNAT rule')],
    ['4', 'routing', `${src} → ${c.ip}:${port}`, `rerouted after the NAT: ${c.ip} is on the bridge's subnet${net?.routeLocalnet === '1' ? ', and route_localnet=1 on the bridge lets a 127.x source leave by it' : ''}`, route ? { text: `ip route get ${c.ip} → dev ${route.dev ?? '?'} src ${route.prefsrc ?? '?'}`, code: true } : missing('the route')],
    ['5', 'filter FORWARD', `${src} → ${c.ip}:${port}`, `not crossed: FORWARD is for packets routed through the host; this one was made on it. From another host or namespace the packet would pass PREROUTING (same DNAT) and then this rule`, rule(forward, 'the FORWARD accept')],
    ['6', 'nat POSTROUTING → GLASS-POSTROUTING', { text: `${gw}:<ephemeral> → ${c.ip}:${port}`, strong: true }, `MASQUERADE: a 127.0.0.1 source would make the container answer itself; the bridge's address (${gw}) replaces it`, { text: `${postJump ? `-A ${postJump.chain} ${withoutComment(postJump.args)}; ` : ''}${masq ? `-A ${masq.chain} ${withoutComment(masq.args)}` : 'the loopback MASQUERADE: not found'}`, code: true }],
    ['7', `bridge ${net?.bridge ?? '?'}`, `${gw}:<ephemeral> → ${c.ip}:${port}`, `the switch sends the frame to the port that learned ${c.mac}`, { text: `${net?.bridge ?? '?'} (if${net?.iface?.ifindex ?? '?'}) ${v4(net?.iface)}`, code: true }],
    ['8', `veth ${c.hostEnd?.ifname ?? '?'}`, `${gw}:<ephemeral> → ${c.ip}:${port}`, 'into the host end of the cable, out of the other end in the container\'s namespace', { text: `${c.hostEnd?.ifname ?? '?'}@if${c.hostEnd?.peerIfindex ?? '?'} ↔ ${c.eth0?.ifname ?? '?'}@if${c.eth0?.peerIfindex ?? '?'}`, code: true }],
    ['9', `${c.name}: eth0`, `${gw}:<ephemeral> → ${c.ip}:${port}`, `arrives in net:[${c.netnsInode ?? '?'}]; the server on :${port}/${proto} accepts a connection from ${gw}`, { text: `${c.eth0?.ifname ?? '?'} ${v4(c.eth0)} ${c.eth0?.mac ?? ''}`, code: true }],
    ['10', 'the reply', { text: `${c.ip}:${port} → ${gw}:<ephemeral>  ⇒  ${hostIp}:${p.hostPort} → ${src}`, strong: true }, `goes back by the default route to ${gw}; conntrack matches it to the connection's reply tuple and undoes both NATs, so the program sees an answer from ${hostIp}:${p.hostPort}`, { text: 'conntrack -L (see the entry after a fetch)', code: true }],
  ];
  return table({
    title: `A packet to ${hostIp}:${p.hostPort}/${proto}, step by step, to ${c.name} ${c.ip}:${port} and back`,
    columns: ['#', 'where', 'the packet (source → destination)', 'what the kernel does', 'what it follows (from the kernel)'],
    rows,
    note: 'Rules from iptables-save (comments hidden), the route from ip route get, interfaces from ip -d addr on the host and in the container\'s namespace. Marked: where an address changes.',
  });
}

/** The conntrack entries of connections to a published port: the original tuple and the reply tuple NAT works from. */
export function conntrackTable(t: TopologyData, ref: string, hostPort?: string): Table {
  const c = container(t, ref);
  const p = c.ports.find((x) => !hostPort || x.hostPort === hostPort);
  const entries = t.conntrack.filter((e) => String(e.original.dport) === p?.hostPort && e.reply.src === c.ip);
  const tuple = (x: ConntrackEntry['original']) => `${x.src}:${x.sport ?? ''} → ${x.dst}:${x.dport ?? ''}`;
  return table({
    title: `conntrack: connections to ${p ? `${p.hostIp}:${p.hostPort}` : c.name}, as the kernel tracks them`,
    columns: ['proto', 'state', 'original (what the program sent)', 'reply (what the container sends back)', 'expires in'],
    codeColumns: [2, 3],
    rows: entries.map((e) => [e.proto, e.state ?? '', tuple(e.original), { text: tuple(e.reply), strong: true }, `${e.timeout} s`]),
    note: `cat /proc/net/nf_conntrack (or conntrack -L). The reply tuple is not the original reversed: its source is ${c.ip}, its destination the bridge's address. A reply matching it gets source ${p ? `${p.hostIp === '0.0.0.0' ? '127.0.0.1' : p.hostIp}:${p.hostPort}` : 'the published address'} and the program's own address back.`,
  });
}
