import { describe, expect, it } from 'vitest';
import { glassJumpsIn, glassRulesIn, parseAddresses, parseConntrack, parseSave } from '../../runtime/kernel/net/index.js';
import type { NetworkHostView } from '../../runtime/engine/index.js';
import { conntrackTable, joinTopology, natRules, networkTopology, packetPath, type TopologyData } from '../../runtime/notebook/network.js';
import { tableHtml, tableText } from '../../runtime/notebook/table.js';

/**
 * The networking notebook's pictures and tables are pure functions of data:
 * here that data is what the kernel printed for two containers on one user
 * network (one publishing 127.0.0.1::80), copied from a real run; the
 * notebook test runs them on live data.
 */

// `ip -j -d addr show` on the host and in nb6-web's namespace (trimmed to the fields glass reads).
const HOST_ADDRS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifindex: 4, ifname: 'eth0', flags: ['BROADCAST', 'UP'], address: '52:54:00:12:34:56', addr_info: [{ family: 'inet', local: '192.0.2.2', prefixlen: 24 }] },
  { ifindex: 918, ifname: 'glb-db9007', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], address: '62:1c:aa:00:00:01', linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '172.18.0.1', prefixlen: 16 }] },
  { ifindex: 920, link_index: 919, link_netnsid: 0, ifname: 'veth8271058', master: 'glb-db9007', flags: ['UP', 'LOWER_UP'], address: '42:cf:7c:70:2a:ce', linkinfo: { info_kind: 'veth' }, addr_info: [] },
  { ifindex: 922, link_index: 921, link_netnsid: 1, ifname: 'vethef0bbfc', master: 'glb-db9007', flags: ['UP', 'LOWER_UP'], address: '1e:37:87:64:e7:76', linkinfo: { info_kind: 'veth' }, addr_info: [] },
]);
const inside = (ifindex: number, peer: number, ip: string, mac: string) =>
  JSON.stringify([
    { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    { ifindex, link_index: peer, ifname: 'eth0', flags: ['BROADCAST', 'UP', 'LOWER_UP'], address: mac, linkinfo: { info_kind: 'veth' }, addr_info: [{ family: 'inet', local: ip, prefixlen: 16 }] },
  ]);

const SAVE = `*filter
:FORWARD DROP [0:0]
:GLASS-FORWARD - [0:0]
-A FORWARD -j GLASS-FORWARD
-A FORWARD -j DOCKER-USER
-A GLASS-FORWARD -o glb-db9007 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "glass:729291:net-55128d6e96cf" -j ACCEPT
-A GLASS-FORWARD -d 172.18.0.3/32 ! -i glb-db9007 -o glb-db9007 -p tcp -m tcp --dport 80 -m comment --comment "glass:729291:ef0bbfcf1b6a:ports" -j ACCEPT
-A GLASS-FORWARD -d 10.9.0.2/32 -o gl999999 -m comment --comment "glass:999999:0123456789ab:ports" -j ACCEPT
COMMIT
*nat
:GLASS-DNAT - [0:0]
:GLASS-POSTROUTING - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j GLASS-DNAT
-A OUTPUT -m addrtype --dst-type LOCAL -j GLASS-DNAT
-A POSTROUTING -j GLASS-POSTROUTING
-A GLASS-DNAT -d 127.0.0.1/32 ! -i glb-db9007 -p tcp -m tcp --dport 32768 -m comment --comment "glass:729291:ef0bbfcf1b6a:ports" -j DNAT --to-destination 172.18.0.3:80
-A GLASS-POSTROUTING -s 172.18.0.0/16 ! -o glb-db9007 -m comment --comment "glass:729291:net-55128d6e96cf" -j MASQUERADE
-A GLASS-POSTROUTING -s 127.0.0.0/8 -o glb-db9007 -m comment --comment "glass:729291:ef0bbfcf1b6a:ports" -j MASQUERADE
COMMIT
`;
const CONNTRACK =
  'ipv4     2 tcp      6 117 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=57882 dport=32768 src=172.18.0.3 dst=172.18.0.1 sport=80 dport=57882 [ASSURED] mark=0 zone=0 use=2\n' +
  'ipv4     2 udp      17 25 src=10.0.0.5 dst=10.0.0.1 sport=5353 dport=53 [UNREPLIED] src=10.0.0.1 dst=10.0.0.5 sport=53 dport=5353 mark=0 use=1\n';

const WEB = 'ef0bbfcf1b6a' + 'a'.repeat(52);
const CLIENT = '8271058c' + 'b'.repeat(56);
const NET = '55128d6e96cf' + 'c'.repeat(52);
const inspectOf = (id: string, name: string, pid: number, ip: string, ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>) => ({
  Id: id,
  Name: `/${name}`,
  State: { Pid: pid },
  NetworkSettings: { Ports: ports, Networks: { nbt: { NetworkID: NET, IPAddress: ip, IPPrefixLen: 16, MacAddress: `02:42:ac:12:00:0${ip.at(-1)}`, Gateway: '172.18.0.1' } } },
});

function data(): TopologyData {
  const saved = parseSave(SAVE);
  const view: NetworkHostView = {
    host: parseAddresses(HOST_ADDRS),
    containers: [
      { id: CLIENT, name: 'client', pid: 15875, netnsInode: 4026532181, interfaces: parseAddresses(inside(919, 920, '172.18.0.2', '02:42:ac:12:00:02')) },
      { id: WEB, name: 'web', pid: 15915, netnsInode: 4026532257, interfaces: parseAddresses(inside(921, 922, '172.18.0.3', '02:42:ac:12:00:03')) },
    ],
    hostNetnsInode: 4026531833,
    rules: glassRulesIn(saved, { tag: '729291' }),
    jumps: glassJumpsIn(saved),
    routes: { '172.18.0.3': { dst: '172.18.0.3/32', dev: 'glb-db9007', prefsrc: '172.18.0.1' } },
    routeLocalnet: { 'glb-db9007': '1' },
    conntrack: parseConntrack(CONNTRACK),
    commands: ['ip -d addr show'],
  };
  return joinTopology(
    [inspectOf(CLIENT, 'client', 15875, '172.18.0.2', {}), inspectOf(WEB, 'web', 15915, '172.18.0.3', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '32768' }] })],
    [{ name: 'nbt', id: NET, bridge: 'glb-db9007', subnet: '172.18.0.0/16', gateway: '172.18.0.1' }],
    view,
  );
}

describe('what the kernel reports, parsed', () => {
  it("ip -d addr: a device's kind and a veth's peer index", () => {
    const veth = parseAddresses(HOST_ADDRS)[3]!;
    expect(veth).toMatchObject({ ifname: 'veth8271058', ifindex: 920, peerIfindex: 919, kind: 'veth', master: 'glb-db9007', ipv4: [] });
    expect(parseAddresses(HOST_ADDRS)[1]).toEqual({ ifname: 'eth0', ifindex: 4, flags: ['BROADCAST', 'UP'], mac: '52:54:00:12:34:56', ipv4: ['192.0.2.2/24'] });
  });

  it('iptables-save: the jumps into glass chains only (not DOCKER-USER), and a root\'s rules only', () => {
    const saved = parseSave(SAVE);
    expect(glassJumpsIn(saved).map((j) => `${j.table} ${j.chain}`)).toEqual(['filter FORWARD', 'nat PREROUTING', 'nat OUTPUT', 'nat POSTROUTING']);
    expect(glassRulesIn(saved, { tag: '729291' })).toHaveLength(5);
  });

  it('conntrack: the two tuples of each connection, the TCP state, no state for udp', () => {
    const [tcp, udp] = parseConntrack(CONNTRACK);
    expect(tcp).toMatchObject({ proto: 'tcp', timeout: 117, state: 'TIME_WAIT', original: { src: '127.0.0.1', dst: '127.0.0.1', sport: 57882, dport: 32768 }, reply: { src: '172.18.0.3', dst: '172.18.0.1', sport: 80, dport: 57882 } });
    expect(udp!.state).toBeUndefined();
    expect(udp!.reply).toEqual({ src: '10.0.0.1', dst: '10.0.0.5', sport: 53, dport: 5353 });
    expect(parseConntrack('garbage\nipv6 10 tcp 6 1 ESTABLISHED src=::1\n')).toEqual([]);
  });
});

describe('the topology, joined and drawn', () => {
  it('pairs each eth0 with its host veth end by the kernel\'s indexes', () => {
    const t = data();
    const web = t.containers.find((c) => c.name === 'web')!;
    expect(web.eth0?.ifindex).toBe(921);
    expect(web.hostEnd?.ifname).toBe('vethef0bbfc');
    expect(t.containers.find((c) => c.name === 'client')!.hostEnd?.ifname).toBe('veth8271058');
    expect(web.ports).toEqual([{ containerPort: '80/tcp', hostIp: '127.0.0.1', hostPort: '32768' }]);
    expect(t.networks[0]).toMatchObject({ bridge: 'glb-db9007', routeLocalnet: '1', iface: { ifindex: 918 } });
  });

  it('draws the host namespace, the bridge, both veth pairs, both container namespaces and the published port', () => {
    const p = networkTopology(data());
    expect(p.kind).toBe('picture');
    expect(p.svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/);
    expect(p.svg.trimEnd()).toMatch(/<\/svg>$/);
    for (const s of [
      "The host's network namespace (net:[4026531833])",
      'bridge glb-db9007 (if918) UP',
      'network nbt · gateway 172.18.0.1/16',
      'subnet 172.18.0.0/16, route_localnet=1',
      'veth8271058@if919 (if920) UP',
      'vethef0bbfc@if921 (if922) UP',
      'eth0@if920 (if919) UP',
      'eth0@if922 (if921) UP',
      'web: net:[4026532257], pid 15915',
      '127.0.0.1:32768 → web 172.18.0.3:80/tcp',
      'DNAT → 172.18.0.3:80',
    ]) expect(p.svg).toContain(s);
    expect((p.svg.match(/stroke-dasharray="5 3" marker-end="url\(#red\)"/g) ?? []).length).toBe(3); // one packet path, three hops
    expect(p.text).toContain('vethef0bbfc <-> web net:[4026532257] eth0 172.18.0.3/16 02:42:ac:12:00:03');
  });

  it('says so where the kernel reported nothing, and escapes names', () => {
    const t = data();
    t.containers[0]!.hostEnd = undefined;
    t.containers[0]!.name = 'a<b>';
    const p = networkTopology(t);
    expect(p.svg).toContain('host end of the veth: not found');
    expect(p.svg).toContain('a&lt;b&gt;');
    expect(p.svg).not.toContain('a<b>');
  });
});

describe('the rules and the walk', () => {
  it("lists the jumps, the network's rules and the container's port rules, without another root's", () => {
    const t = natRules(data(), 'web');
    const text = tableText(t, 200);
    expect(t.rows).toHaveLength(4 + 5);
    expect(text).toContain('-d 127.0.0.1/32 ! -i glb-db9007 -p tcp -m tcp --dport 32768 -j DNAT --to-destination 172.18.0.3:80');
    expect(t.rows.map((r) => JSON.stringify(r[2])).join('\n')).not.toContain('--comment'); // the note names it; the rules do not show it
    expect(text).not.toContain('999999');
    expect(tableHtml(t)).toContain("<strong style=\"color:#b00040\">web's ports (glass:729291:ef0bbfcf1b6a:ports)</strong>");
  });

  it('walks a packet from 127.0.0.1:32768 through OUTPUT, the DNAT, the route, the MASQUERADE, bridge, veth, eth0, and back', () => {
    const t = packetPath(data(), 'web');
    const text = tableText(t, 400);
    expect(t.rows.map((r) => r[1])).toEqual(['a program on the host', 'nat OUTPUT', 'nat GLASS-DNAT', 'routing', 'filter FORWARD', 'nat POSTROUTING → GLASS-POSTROUTING', 'bridge glb-db9007', 'veth vethef0bbfc', 'web: eth0', 'the reply']);
    expect(text).toContain('-A OUTPUT -m addrtype --dst-type LOCAL -j GLASS-DNAT');
    expect(text).toContain('-A GLASS-DNAT -d 127.0.0.1/32 ! -i glb-db9007 -p tcp -m tcp --dport 32768 -j DNAT --to-destination 172.18.0.3:80');
    expect(text).toContain('ip route get 172.18.0.3 → dev glb-db9007 src 172.18.0.1');
    expect(text).toContain('-A GLASS-POSTROUTING -s 127.0.0.0/8 -o glb-db9007 -j MASQUERADE');
    expect(text).toContain('vethef0bbfc@if921 ↔ eth0@if922');
    expect(text).toContain('172.18.0.3:80 → 172.18.0.1:<ephemeral>  ⇒  127.0.0.1:32768 → 127.0.0.1:<ephemeral>');
    expect(text).not.toContain('not found');
  });

  it('marks a rule the kernel does not have', () => {
    const d = data();
    d.rules = d.rules.filter((r) => r.chain !== 'GLASS-DNAT');
    expect(tableText(packetPath(d, 'web'), 400)).toContain('the DNAT rule: not found in iptables-save');
    expect(() => packetPath(d, 'client')).toThrow('glass: client publishes no port');
    expect(() => natRules(d, 'nope')).toThrow('nope is not in this topology');
  });

  it('shows the conntrack entry of a connection to the published port: the reply tuple from the container', () => {
    const t = conntrackTable(data(), 'web');
    expect(t.rows).toEqual([['tcp', 'TIME_WAIT', '127.0.0.1:57882 → 127.0.0.1:32768', { text: '172.18.0.3:80 → 172.18.0.1:57882', strong: true }, '117 s']]);
  });
});
