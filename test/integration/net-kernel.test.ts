import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { Step } from '../../runtime/kernel/step.js';
import {
  addNetns, addRules, attachToBridge, cidrsOverlap, deleteLink, deleteNetns, enableIpForward, enableRouteLocalnet, ensureBridge,
  hostSubnets, linkExists, listAddresses, listGlassRules, listNetns, listRoutes, macFromIp, nthAddress, probePort, removeRulesTagged,
  type NetContext,
} from '../../runtime/kernel/net/index.js';
import { isRoot, waitFor } from '../helpers.js';

/**
 * runtime/kernel/net against the real kernel and iptables: a bridge on the
 * host, a veth into a network namespace the test made (standing in for a
 * container), ping both ways, a DNAT from the host's 127.0.0.1 to a server
 * inside (the published-port path: OUTPUT jump, route_localnet,
 * MASQUERADE), then every tagged rule, the veth, the bridge and the
 * namespace removed: nothing left.
 */
const hex = randomBytes(3).toString('hex');
const BRIDGE = `gltest${hex}`;
const NETNS = `glass-test-nk${hex}`;
const VETH = `vethk${hex}`;
/** A tag of a root no real glass uses: its rules are this test's alone. */
const TAG = `t${hex.slice(0, 5)}`;
const steps: Step[] = [];
const ctx: NetContext = { trace: (s) => steps.push(s) };

const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ping = (ip: string, netns?: string) => {
  try {
    sh([...(netns ? ['ip', 'netns', 'exec', netns] : []), 'busybox', 'ping', '-c', '1', '-W', '2', ip]);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!isRoot)('kernel/net on the real kernel', () => {
  let subnet = '';
  let server: ReturnType<typeof spawn> | undefined;

  afterAll(async () => {
    server?.kill('SIGKILL');
    await removeRulesTagged(ctx, TAG).catch(() => {});
    await deleteNetns(ctx, NETNS).catch(() => {});
    if (linkExists(BRIDGE)) await deleteLink(ctx, BRIDGE, { missingOk: true }).catch(() => {});
  });

  it('picks a subnet no host route or address uses', async () => {
    const used = await hostSubnets(ctx);
    expect(used.length).toBeGreaterThan(0);
    for (let third = 200; third < 250 && !subnet; third++) {
      const candidate = `10.${third}.${parseInt(hex.slice(0, 2), 16)}.0/24`;
      if (!used.some((u) => cidrsOverlap(u, candidate))) subnet = candidate;
    }
    expect(subnet).not.toBe('');
  });

  it('a bridge, a veth into a test namespace; ping across both ways', { timeout: 180_000 }, async () => {
    const gw = nthAddress(subnet, 1);
    const ip = nthAddress(subnet, 2);
    await ensureBridge(ctx, BRIDGE, `${gw}/24`);
    await ensureBridge(ctx, BRIDGE, `${gw}/24`); // idempotent
    await addNetns(ctx, NETNS);
    expect(listNetns()).toContain(NETNS);
    await attachToBridge(ctx, { bridge: BRIDGE, hostEnd: VETH, ns: { name: NETNS }, address: `${ip}/24`, gateway: gw });

    const inside = await listAddresses(ctx, { name: NETNS });
    expect(inside.find((a) => a.ifname === 'eth0')).toMatchObject({ ipv4: [`${ip}/24`], mac: macFromIp(ip), flags: expect.arrayContaining(['UP']) });
    expect(inside.find((a) => a.ifname === 'lo')?.flags).toContain('UP');
    expect(sh(['ip', 'netns', 'exec', NETNS, 'ip', '-4', 'addr', 'show', 'eth0'])).toContain(`inet ${ip}/24 brd ${nthAddress(subnet, 255)} scope global eth0`); // as Docker's: with its broadcast address
    expect((await listRoutes(ctx, { name: NETNS })).find((r) => r.dst === 'default')).toMatchObject({ gateway: gw, dev: 'eth0' });
    expect((await listAddresses(ctx)).find((a) => a.ifname === VETH)?.master).toBe(BRIDGE);

    expect(await waitFor(() => ping(ip), Boolean, { what: `the host to ping ${ip}`, timeoutMs: 15_000 })).toBe(true);
    expect(ping(gw, NETNS)).toBe(true);

    // Every command was an explained Step, none failed.
    expect(steps.filter((s) => s.phase === 'failed')).toEqual([]);
    expect(steps.filter((s) => s.phase === 'done').map((s) => s.command)).toContain(`ip link add ${VETH} type veth peer name ${VETH}-tmp`);
  });

  it('tagged rules: 127.0.0.1:<port> on the host reaches a server in the namespace (DNAT in OUTPUT, route_localnet, MASQUERADE); removed by tag', { timeout: 180_000 }, async () => {
    const ip = nthAddress(subnet, 2);
    // A free host port, as the probe sees it.
    let port = 0;
    for (let p = 20000 + parseInt(hex.slice(0, 3), 16) % 20000; !port; p++) if ((await probePort('tcp', '127.0.0.1', p)).free) port = p;
    // The "container's" server: says hello and closes.
    server = spawn('ip', ['netns', 'exec', NETNS, process.execPath, '-e',
      `require('net').createServer((s) => s.end('hello from the netns\\n')).listen(8080, '0.0.0.0', () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok) => server!.stdout!.once('data', () => ok()));

    await enableIpForward(ctx);
    await enableRouteLocalnet(ctx, BRIDGE);
    await addRules(ctx, [
      { table: 'nat', chain: 'GLASS-POSTROUTING', args: ['-s', subnet, '!', '-o', BRIDGE, '-j', 'MASQUERADE'], tag: TAG, title: 'Masquerade the subnet', why: 'test' },
      { table: 'nat', chain: 'GLASS-POSTROUTING', args: ['-s', '127.0.0.0/8', '-o', BRIDGE, '-j', 'MASQUERADE'], tag: TAG, title: 'Masquerade loopback to the bridge', why: 'test' },
      { table: 'nat', chain: 'GLASS-DNAT', args: ['-d', '127.0.0.1/32', '-p', 'tcp', '--dport', String(port), '-j', 'DNAT', '--to-destination', `${ip}:8080`], tag: `${TAG}:c0ffee`, title: 'Publish', why: 'test' },
      { table: 'filter', chain: 'GLASS-FORWARD', args: ['-o', BRIDGE, '-j', 'ACCEPT'], tag: TAG, title: 'Accept', why: 'test' },
    ]);
    // Twice is still once.
    await addRules(ctx, [{ table: 'filter', chain: 'GLASS-FORWARD', args: ['-o', BRIDGE, '-j', 'ACCEPT'], tag: TAG, title: 'Accept', why: 'test' }]);
    expect((await listGlassRules(ctx, { tag: TAG })).map((r) => `${r.table} ${r.chain} ${r.tag}`).sort()).toEqual([
      'filter GLASS-FORWARD ' + TAG,
      'nat GLASS-DNAT ' + TAG + ':c0ffee',
      'nat GLASS-POSTROUTING ' + TAG,
      'nat GLASS-POSTROUTING ' + TAG,
    ]);
    const save = sh(['iptables-save']);
    expect(save).toMatch(/^-A OUTPUT -m addrtype --dst-type LOCAL -j GLASS-DNAT$/m);
    expect(save).toMatch(/^-A FORWARD -j GLASS-FORWARD$/m);

    const got = await new Promise<string>((ok, fail) => {
      const c = connect(port, '127.0.0.1');
      let data = '';
      c.on('data', (d) => (data += d));
      c.on('end', () => ok(data));
      c.on('error', fail);
      c.setTimeout(5000, () => fail(new Error('timed out')));
    });
    expect(got).toBe('hello from the netns\n');

    // One container's rules go alone, then the root's.
    expect((await removeRulesTagged(ctx, `${TAG}:c0ffee`)).map((r) => r.chain)).toEqual(['GLASS-DNAT']);
    expect(await listGlassRules(ctx, { tag: TAG })).toHaveLength(3);
    expect(await removeRulesTagged(ctx, TAG)).toHaveLength(3);
    expect(await listGlassRules(ctx, { tag: TAG })).toEqual([]);
    // The shared chains go with the last glass rule on the host (another test file may still have some).
    if ((await listGlassRules(ctx)).length === 0) expect(sh(['iptables-save'])).not.toMatch(/GLASS-/);
  });

  it('leaves nothing: the namespace takes the veth; the bridge goes', async () => {
    server?.kill('SIGKILL');
    await deleteNetns(ctx, NETNS);
    await waitFor(() => linkExists(VETH), (x) => !x, { what: `${VETH} to go with the namespace`, timeoutMs: 10_000 });
    await deleteLink(ctx, BRIDGE);
    await deleteNetns(ctx, NETNS); // gone already: fine
    expect(linkExists(BRIDGE)).toBe(false);
    expect(listNetns()).not.toContain(NETNS);
    expect(existsSync(`/sys/class/net/${VETH}`)).toBe(false);
  });
});
