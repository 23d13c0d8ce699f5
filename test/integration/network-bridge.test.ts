import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  addAddress, addNetns, addVethPair, cidrsOverlap, deleteLink, deleteNetns, hostSubnets, linkExists, listGlassRules,
  moveToNetns, nthAddress, setLinkUp, configureInterface, type NetContext,
} from '../../runtime/kernel/net/index.js';
import { glass, isRoot, removeContainersAfterEach, useRoot, waitFor } from '../helpers.js';

/**
 * The default bridge network as a user meets it: a container gets eth0 with
 * an address, Docker's MAC and a default route (as `ip addr` / `ip route` and
 * inspect show), reaches a server on "another host" (a network namespace this
 * test made, behind a veth of its own; busybox's nc, as Debian's busybox
 * wget crashes on some servers) through the host's MASQUERADE,
 * --network none/host/container:NAME, --dns and --add-host in its files; and
 * once its containers are gone, the root's bridge, veths and iptables rules
 * are gone too.
 */
const SLOW_MS = 120_000;
const hex = randomBytes(3).toString('hex');
const NETNS = `glass-test-nb${hex}`;
const HOST_END = `vethnb${hex}`;
const ctx: NetContext = { trace: () => {} };
const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Short hash of a state root, as glass names its bridge (gl<6 hex>) and tags its rules (glass:<6 hex>). */
const rootHash = (root: string) => createHash('sha256').update(root).digest('hex').slice(0, 6);

describe.skipIf(!isRoot)('the default bridge network', () => {
  const root = useRoot();
  removeContainersAfterEach(root);
  const bridge = `gl${rootHash(root)}`;
  /** "Another host": a namespace reachable from the host over a /30 of its own, with a web server. */
  let far = { subnet: '', hostIp: '', ip: '' };
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    const used = await hostSubnets(ctx);
    for (let third = 0; third < 256 && !far.subnet; third++) {
      const s = `10.222.${third}.${(parseInt(hex.slice(0, 2), 16) % 64) * 4}/30`;
      if (!used.some((u) => cidrsOverlap(u, s))) far = { subnet: s, hostIp: nthAddress(s, 1), ip: nthAddress(s, 2) };
    }
    await addNetns(ctx, NETNS);
    await addVethPair(ctx, HOST_END, `${HOST_END}-p`);
    await moveToNetns(ctx, `${HOST_END}-p`, { name: NETNS });
    await addAddress(ctx, HOST_END, `${far.hostIp}/30`);
    await setLinkUp(ctx, HOST_END);
    await configureInterface(ctx, { ns: { name: NETNS }, dev: `${HOST_END}-p`, address: `${far.ip}/30` });
    server = spawn('ip', ['netns', 'exec', NETNS, process.execPath, '-e',
      `require('net').createServer((s) => s.end('far says hi to ' + s.remoteAddress + '\\n')).listen(8080, '0.0.0.0', () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok) => server!.stdout!.once('data', () => ok()));
  });

  afterAll(async () => {
    server?.kill('SIGKILL');
    await deleteNetns(ctx, NETNS).catch(() => {});
    if (linkExists(HOST_END)) await deleteLink(ctx, HOST_END, { missingOk: true }).catch(() => {});
  });

  it('eth0 with an address, Docker\'s MAC and a default route, as inspect says', { timeout: SLOW_MS }, async () => {
    const run = await glass(root, ['run', '-d', '--name', 'web', 'busybox', 'sleep', '600']);
    expect(run.exitCode, run.stderr).toBe(0);
    const [ip, gw, mac, mode] = (await glass(root, ['inspect', '--format', '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}} {{.HostConfig.NetworkMode}}', 'web'])).stdout.trim().split(' ');
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.2$/);
    expect(gw).toBe(ip!.replace(/\.2$/, '.1'));
    expect(mac).toBe(`02:42:${ip!.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join(':')}`);
    expect(mode).toBe('default');
    const addr = await glass(root, ['exec', 'web', 'ip', 'addr', 'show', 'eth0']);
    expect(addr.stdout).toContain(`link/ether ${mac} brd ff:ff:ff:ff:ff:ff`);
    expect(addr.stdout).toMatch(new RegExp(`inet ${ip!.replace(/\./g, '\\.')}/16 brd \\S+ scope global eth0`));
    const route = await glass(root, ['exec', 'web', 'ip', 'route']);
    expect(route.stdout).toMatch(new RegExp(`^default via ${gw!.replace(/\./g, '\\.')} dev eth0 *$`, 'm'));
    // On the host: the root's bridge holds the gateway, the container's veth is plugged into it.
    expect(sh(['ip', '-4', '-br', 'addr', 'show', bridge])).toContain(`${gw}/16`);
    const id = (await glass(root, ['inspect', '--format', '{{.Id}}', 'web'])).stdout.trim();
    expect(sh(['ip', '-br', 'link', 'show', 'master', bridge])).toContain(`veth${id.slice(0, 7)}`);
    // The root's rules, tagged with its hash: the subnet masqueraded out of anything but its bridge.
    const rules = await listGlassRules(ctx, { tag: rootHash(root) });
    expect(rules.map((x) => x.args.join(' '))).toContainEqual(`-s ${gw!.replace(/\.1$/, '.0')}/16 ! -o ${bridge} -m comment --comment glass:${rules[0]!.tag} -j MASQUERADE`);
    // And the host reaches the container.
    expect(sh(['busybox', 'ping', '-c', '1', '-W', '2', ip!])).toContain('1 packets received');
  });

  it('reaches a server on another "host" through the host\'s MASQUERADE (the server sees the host\'s address)', { timeout: SLOW_MS }, async () => {
    const r = await glass(root, ['run', '--rm', 'busybox', 'sh', '-c', `nc ${far.ip} 8080 </dev/null`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`far says hi to ${far.hostIp}\n`);
    expect(r.exitCode).toBe(0);
  });

  it('--network none: only lo; --network host: the host\'s interfaces', { timeout: SLOW_MS }, async () => {
    const none = await glass(root, ['run', '--rm', '--network', 'none', 'busybox', 'ls', '/sys/class/net']);
    expect(none.stdout).toBe('lo\n');
    const host = await glass(root, ['run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net']);
    expect(host.stdout.trim().split('\n')).toContain(HOST_END);
    const hostMode = await glass(root, ['run', '--rm', '--network', 'host', 'busybox', 'sh', '-c', `nc ${far.ip} 8080 </dev/null`]);
    expect(hostMode.stdout).toBe(`far says hi to ${far.hostIp}\n`);
  });

  it('--network container:NAME shares the other\'s eth0 and address', { timeout: SLOW_MS }, async () => {
    expect((await glass(root, ['run', '-d', '--name', 'first', 'busybox', 'sleep', '600'])).exitCode).toBe(0);
    const ip = (await glass(root, ['inspect', '--format', '{{.NetworkSettings.IPAddress}}', 'first'])).stdout.trim();
    const r = await glass(root, ['run', '--rm', '--network', 'container:first', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(r.stdout).toContain(`inet ${ip}/16`);
  });

  it('--dns and --add-host land in /etc/resolv.conf and /etc/hosts; the container\'s own IP and name are in /etc/hosts', { timeout: SLOW_MS }, async () => {
    const r = await glass(root, ['run', '--rm', '-h', 'box', '--dns', '192.0.2.53', '--add-host', 'db.example:192.0.2.7', 'busybox', 'sh', '-c', 'cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; ip -4 -o addr show eth0']);
    expect(r.exitCode, r.stderr).toBe(0);
    const [resolv, hosts, addr] = r.stdout.split('---\n');
    expect(resolv).toMatch(/^nameserver 192\.0\.2\.53$/m);
    expect(hosts).toMatch(/^192\.0\.2\.7\tdb\.example$/m);
    const ip = /inet (\S+)\//.exec(addr!)![1];
    expect(hosts).toMatch(new RegExp(`^${ip!.replace(/\./g, '\\.')}\\tbox$`, 'm'));
  });

  it('wrong flags fail at create with Docker\'s words, and make nothing', async () => {
    const ip = await glass(root, ['run', '--rm', '--ip', '172.30.0.9', 'busybox', 'true']);
    expect(ip.stderr).toContain('user specified IP address is supported on user defined networks only');
    expect(ip.exitCode).toBe(125);
    const net = await glass(root, ['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true']);
    expect(net.stderr).toContain('network nosuchnet not found');
    expect(net.exitCode).toBe(125);
  });

  it('once its containers are gone, nothing of the root\'s network is left on the host', { timeout: SLOW_MS }, async () => {
    const ids = (await glass(root, ['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (ids.length) expect((await glass(root, ['rm', '-f', ...ids])).exitCode).toBe(0);
    await waitFor(() => linkExists(bridge), (x) => !x, { what: `bridge ${bridge} to go`, timeoutMs: 10_000 });
    expect(readdirSync('/sys/class/net').filter((l) => ids.some((id) => l === `veth${id.slice(0, 7)}`))).toEqual([]);
    expect(await listGlassRules(ctx, { tag: rootHash(root) })).toEqual([]);
    // Leases are given back.
    const nets = existsSync(`${root}/networks`) ? readdirSync(`${root}/networks`) : [];
    for (const n of nets) {
      const f = `${root}/networks/${n}/leases.json`;
      if (existsSync(f)) expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({});
    }
  });
});
