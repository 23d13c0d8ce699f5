import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { Step } from '../../runtime/kernel/step.js';
import {
  addRules, attachToBridge, cidrContains, cidrsOverlap, enableIpForward, enableRouteLocalnet, ensureBridge, glassRulesIn,
  hostSubnets, inNetns, intToIp, ipToInt, listGlassRules, macFromIp, nthAddress, overlapping, parseAddresses, parseCidr,
  parseProcNet, parseRoutes, parseSave, probePort, removeRulesTagged, ruleArgv, shellCommand, tokenize,
  type NetContext, type RunResult,
} from '../../runtime/kernel/net/index.js';

/**
 * runtime/kernel/net without root: a scripted runner records every command
 * and answers as the tools would, so the exact `ip` / `iptables` / `sysctl`
 * commands (and the Steps a learner sees) are checked here; the integration
 * test (test/integration/net-kernel.test.ts) runs them for real.
 */
function fake(answer: (argv: string[]) => Partial<RunResult> | undefined = () => undefined) {
  /** Every command as a learner would type it (a batch's lines each on their own). */
  const calls: string[] = [];
  /** The processes really started (a batch is one). */
  const processes: string[] = [];
  const steps: Step[] = [];
  const one = (argv: string[]): RunResult => {
    calls.push(shellCommand(argv));
    return { stdout: '', stderr: '', exitCode: 0, ...answer(argv) };
  };
  const ctx: NetContext = {
    trace: (s) => steps.push(s),
    run: async (argv, input) => {
      processes.push(shellCommand(argv));
      const lines = (input ?? '').split('\n').filter(Boolean);
      if (argv.includes('-batch')) {
        // ip -force -batch -: each line is `ip <line>` (in the same namespace); failures are reported by line number.
        const prefix = argv.slice(0, argv.indexOf('ip'));
        let stderr = '';
        lines.forEach((l, i) => {
          const r = one([...prefix, 'ip', ...l.split(' ')]);
          if (r.exitCode !== 0) stderr += `${r.stderr.trim()}\nCommand failed -:${i + 1}\n`;
        });
        return { stdout: '', stderr, exitCode: stderr ? 1 : 0 };
      }
      if (argv[0] === 'iptables-restore') {
        // One transaction: every line as the iptables command it stands for; any failure refuses the whole batch.
        let table = '';
        let failed = false;
        for (const l of lines) {
          if (l.startsWith('*')) table = l.slice(1);
          else if (l !== 'COMMIT') failed = one(['iptables', '-w', '-t', table, ...tokenize(l)]).exitCode !== 0 || failed;
        }
        return { stdout: '', stderr: failed ? 'iptables-restore: line 2 failed\n' : '', exitCode: failed ? 1 : 0 };
      }
      return one([...argv]);
    },
  };
  const done = () => steps.filter((s) => s.phase === 'done').map((s) => s.command);
  return { ctx, calls, processes, steps, done };
}

const ROUTES = JSON.stringify([
  { dst: 'default', gateway: '10.0.2.2', dev: 'eth0', protocol: 'dhcp', prefsrc: '10.0.2.15', metric: 100, flags: [] },
  { dst: '10.0.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.2.15', flags: [] },
  { dst: '172.18.0.0/16', dev: 'glass0', protocol: 'kernel', scope: 'link', prefsrc: '172.18.0.1', flags: ['linkdown'] },
  { dst: '192.168.5.7', dev: 'tun0', scope: 'link', flags: [] },
]);
const ADDRS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }, { family: 'inet6', local: '::1', prefixlen: 128 }] },
  { ifindex: 2, ifname: 'eth0', flags: ['BROADCAST', 'UP'], address: '52:54:00:12:34:56', addr_info: [{ family: 'inet', local: '10.0.2.15', prefixlen: 24 }] },
  { ifindex: 9, ifname: 'dummy1', flags: ['BROADCAST'], address: 'aa:bb:cc:dd:ee:ff', master: 'br9', addr_info: [{ family: 'inet', local: '10.77.3.4', prefixlen: 20 }] },
]);

describe('addresses and subnets', () => {
  it('does IPv4 arithmetic, overlap and Docker\'s MAC', () => {
    expect(ipToInt('172.18.0.5')).toBe(0xac120005);
    expect(intToIp(0xac120005)).toBe('172.18.0.5');
    expect(parseCidr('172.18.3.4/16')).toEqual({ base: 0xac120000, bits: 16 });
    expect(cidrsOverlap('172.18.0.0/16', '172.18.5.0/24')).toBe(true);
    expect(cidrsOverlap('172.18.0.0/16', '172.19.0.0/16')).toBe(false);
    expect(cidrsOverlap('0.0.0.0/0', '10.1.0.0/16')).toBe(true);
    expect(cidrContains('10.89.0.0/16', '10.89.255.254')).toBe(true);
    expect(nthAddress('172.18.0.0/16', 1)).toBe('172.18.0.1');
    expect(macFromIp('172.17.0.2')).toBe('02:42:ac:11:00:02');
    expect(() => parseCidr('172.18.0.0/33')).toThrow('invalid CIDR address: 172.18.0.0/33');
    expect(() => ipToInt('256.1.1.1')).toThrow('invalid IPv4 address');
  });

  it('parses `ip -j route` and `ip -j addr`, and lists the subnets a new network must avoid', async () => {
    expect(parseRoutes(ROUTES)).toEqual([
      { dst: 'default', gateway: '10.0.2.2', dev: 'eth0', protocol: 'dhcp', prefsrc: '10.0.2.15' },
      { dst: '10.0.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.2.15' },
      { dst: '172.18.0.0/16', dev: 'glass0', protocol: 'kernel', scope: 'link', prefsrc: '172.18.0.1' },
      { dst: '192.168.5.7/32', dev: 'tun0', scope: 'link' },
    ]);
    expect(parseAddresses(ADDRS)[2]).toEqual({ ifname: 'dummy1', ifindex: 9, flags: ['BROADCAST'], mac: 'aa:bb:cc:dd:ee:ff', master: 'br9', ipv4: ['10.77.3.4/20'] });
    const f = fake((argv) => ({ stdout: argv[2] === 'route' ? ROUTES : ADDRS }));
    const used = await hostSubnets(f.ctx);
    expect(f.calls.sort()).toEqual(['ip -j addr show', 'ip -j route show']);
    expect(used.sort()).toEqual(['10.0.2.0/24', '10.77.0.0/20', '172.18.0.0/16', '192.168.5.7/32']);
    expect(overlapping('172.18.0.0/16', used)).toEqual(['172.18.0.0/16']);
    expect(overlapping('172.19.0.0/16', used)).toEqual([]);
  });
});

describe('links', () => {
  it('makes a bridge (create, gateway address, up) and plugs a container in, one Step per command', async () => {
    const f = fake();
    await ensureBridge(f.ctx, 'gl0a1b2c', '172.18.0.1/16');
    await attachToBridge(f.ctx, { bridge: 'gl0a1b2c', hostEnd: 'veth1234567', peer: 'vp1234567', ns: { pid: 4242 }, address: '172.18.0.2/16', gateway: '172.18.0.1' });
    const ns = 'nsenter --net=/proc/4242/ns/net';
    expect(f.calls).toEqual([
      'ip link add name gl0a1b2c type bridge',
      'ip addr add 172.18.0.1/16 brd + dev gl0a1b2c',
      'ip link set gl0a1b2c up',
      'ip link add veth1234567 type veth peer name vp1234567',
      'ip link set veth1234567 master gl0a1b2c',
      'ip link set veth1234567 up',
      'ip link set vp1234567 netns 4242',
      `${ns} ip link set vp1234567 name eth0`,
      `${ns} ip link set eth0 address 02:42:ac:12:00:02`,
      `${ns} ip addr add 172.18.0.2/16 brd + dev eth0`,
      `${ns} ip link set eth0 up`,
      `${ns} ip link set lo up`,
      `${ns} ip route add default via 172.18.0.1 dev eth0`,
    ]);
    expect(f.done()).toEqual(f.calls); // every command is a Step a learner sees
    // ...and they ran as three processes: the bridge, the host end of the veth, the container's end.
    expect(f.processes).toEqual(['ip -force -batch -', 'ip -force -batch -', `${ns} ip -force -batch -`]);
    for (const s of f.steps) expect(s.title.length && s.why.length).toBeTruthy();
  });

  it('a bridge another process just made is fine (File exists); a failed plug-in deletes the half-made veth', async () => {
    const f = fake((argv) => (argv.join(' ').includes('type bridge') ? { exitCode: 2, stderr: 'RTNETLINK answers: File exists\n' } : argv.includes('netns') ? { exitCode: 1, stderr: 'RTNETLINK answers: No such process\n' } : undefined));
    await ensureBridge(f.ctx, 'gl0a1b2c', '172.18.0.1/16');
    await expect(attachToBridge(f.ctx, { bridge: 'gl0a1b2c', hostEnd: 'veth1234567', ns: { pid: 9 }, address: '172.18.0.2/16' })).rejects.toThrow(
      'ip link set veth1234567-tmp netns 9: RTNETLINK answers: No such process',
    );
    expect(f.calls.at(-1)).toBe('ip link delete veth1234567');
    const failed = f.steps.filter((s) => s.phase === 'failed');
    expect(failed.map((s) => [s.command, s.error])).toEqual([['ip link set veth1234567-tmp netns 9', 'ip link set veth1234567-tmp netns 9: RTNETLINK answers: No such process']]);
  });

  it('refuses an interface name over 15 characters before running anything', async () => {
    const f = fake();
    await expect(ensureBridge(f.ctx, 'a-very-long-bridge', '10.0.0.1/24')).rejects.toThrow('invalid interface name "a-very-long-bridge"');
    expect(f.calls).toEqual([]);
  });

  it('runs inside a named namespace through nsenter too', () => {
    expect(inNetns({ name: 'glass-test-x' }, ['ip', 'addr'])).toEqual(['nsenter', '--net=/run/netns/glass-test-x', 'ip', 'addr']);
    expect(inNetns(undefined, ['ip', 'addr'])).toEqual(['ip', 'addr']);
  });
});

describe('sysctl', () => {
  it('writes only what differs, as `sysctl -w`', async () => {
    const f = fake();
    expect(await enableIpForward(f.ctx, () => '1')).toBe(false);
    expect(await enableIpForward(f.ctx, () => '0')).toBe(true);
    expect(await enableRouteLocalnet(f.ctx, 'gl0a1b2c', () => '0')).toBe(true);
    expect(f.calls).toEqual(['sysctl -w net.ipv4.ip_forward=1', 'sysctl -w net.ipv4.conf.gl0a1b2c.route_localnet=1']);
  });
});

const EMPTY_SAVE = `# Generated by iptables-save v1.8.9 (nf_tables)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
COMMIT
`;

const GLASS_SAVE = `# Generated by iptables-save v1.8.9 (nf_tables)
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:GLASS-FORWARD - [0:0]
-A FORWARD -j GLASS-FORWARD
-A FORWARD -j DOCKER-USER
-A GLASS-FORWARD -o gl0a1b2c -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "glass:0a1b2c" -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:GLASS-DNAT - [0:0]
:GLASS-POSTROUTING - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j GLASS-DNAT
-A OUTPUT -m addrtype --dst-type LOCAL -j GLASS-DNAT
-A POSTROUTING -j GLASS-POSTROUTING
-A GLASS-DNAT -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -m comment --comment "glass:0a1b2c:4f1e2d3c4b5a" -j DNAT --to-destination 172.18.0.2:80
-A GLASS-POSTROUTING -s 172.18.0.0/16 ! -o gl0a1b2c -m comment --comment "glass:0a1b2c" -j MASQUERADE
-A GLASS-POSTROUTING -s 172.19.0.0/16 ! -o gl999999 -m comment --comment "glass:999999" -j MASQUERADE
COMMIT
`;

describe('iptables', () => {
  it('tokenises iptables-save lines (quoted comments, "!") and finds glass\'s rules by tag', () => {
    expect(tokenize('-A X -m comment --comment "glass:ab c\\"d" ! -o br0 -j ACCEPT')).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'glass:ab c"d', '!', '-o', 'br0', '-j', 'ACCEPT']);
    const saved = parseSave(GLASS_SAVE);
    expect(saved.chains.get('nat')).toEqual(new Set(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'GLASS-DNAT', 'GLASS-POSTROUTING']));
    expect(glassRulesIn(saved).map((r) => r.tag)).toEqual(['0a1b2c', '0a1b2c:4f1e2d3c4b5a', '0a1b2c', '999999']);
    expect(glassRulesIn(saved, { tag: '0a1b2c' }).map((r) => `${r.table} ${r.chain}`)).toEqual(['filter GLASS-FORWARD', 'nat GLASS-DNAT', 'nat GLASS-POSTROUTING']);
    expect(glassRulesIn(saved, { tag: '0a1b2c', exact: true })).toHaveLength(2);
    expect(glassRulesIn(saved, { tag: '0a1b2c:4f1e2d3c4b5a' })[0]!.args).toEqual(['-d', '127.0.0.1/32', '-p', 'tcp', '-m', 'tcp', '--dport', '8080', '-m', 'comment', '--comment', 'glass:0a1b2c:4f1e2d3c4b5a', '-j', 'DNAT', '--to-destination', '172.18.0.2:80']);
    expect(glassRulesIn(saved, { tag: '0a1b2' })).toEqual([]); // a tag is matched whole, not as a string prefix
  });

  it('on a host without glass\'s chains: makes them, the jumps (FORWARD\'s first), then the tagged rule', async () => {
    const f = fake((argv) => (argv[0] === 'iptables-save' ? { stdout: EMPTY_SAVE } : argv.includes('-C') ? { exitCode: 1, stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).\n' } : undefined));
    const masq = { table: 'nat' as const, chain: 'GLASS-POSTROUTING', args: ['-s', '172.18.0.0/16', '!', '-o', 'gl0a1b2c', '-j', 'MASQUERADE'], tag: '0a1b2c', title: 'Masquerade', why: 'why' };
    await addRules(f.ctx, [masq]);
    expect(f.done()).toEqual([
      'iptables -w -t nat -N GLASS-POSTROUTING',
      'iptables -w -t nat -N GLASS-DNAT',
      'iptables -w -t filter -N GLASS-FORWARD',
      'iptables -w -t nat -A POSTROUTING -j GLASS-POSTROUTING',
      'iptables -w -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j GLASS-DNAT',
      'iptables -w -t nat -A OUTPUT -m addrtype --dst-type LOCAL -j GLASS-DNAT',
      'iptables -w -t filter -I FORWARD 1 -j GLASS-FORWARD',
      "iptables -w -t nat -A GLASS-POSTROUTING -s 172.18.0.0/16 '!' -o gl0a1b2c -j MASQUERADE -m comment --comment glass:0a1b2c",
    ]);
    expect(ruleArgv('-I', { ...masq, position: 1 }).slice(4, 7)).toEqual(['-I', 'GLASS-POSTROUTING', '1']);
  });

  it('with the chains and jumps there and the rule too (as iptables-save spells it): adds nothing, one process', async () => {
    const f = fake((argv) => (argv[0] === 'iptables-save' ? { stdout: GLASS_SAVE } : undefined));
    await addRules(f.ctx, [
      { table: 'nat', chain: 'GLASS-POSTROUTING', args: ['-s', '172.18.0.0/16', '!', '-o', 'gl0a1b2c', '-j', 'MASQUERADE'], tag: '0a1b2c', title: 't', why: 'w' },
      { table: 'nat', chain: 'GLASS-DNAT', args: ['-d', '127.0.0.1', '-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '172.18.0.2:80'], tag: '0a1b2c:4f1e2d3c4b5a', title: 't', why: 'w' },
    ]);
    expect(f.processes).toEqual(['iptables-save']);
    expect(f.done()).toEqual([]);
  });

  it('adds what is missing in one iptables-restore; a refused batch is retried rule by rule, so the failing one is named', async () => {
    const f = fake((argv) => (argv[0] === 'iptables-save' ? { stdout: GLASS_SAVE } : undefined));
    await addRules(f.ctx, [{ table: 'nat', chain: 'GLASS-POSTROUTING', args: ['-s', '172.20.0.0/16', '!', '-o', 'gl0a1b2d', '-j', 'MASQUERADE'], tag: '0a1b2c', title: 't', why: 'w' }]);
    expect(f.processes).toEqual(['iptables-save', 'iptables-restore -w --noflush']);
    expect(f.done()).toEqual(["iptables -w -t nat -A GLASS-POSTROUTING -s 172.20.0.0/16 '!' -o gl0a1b2d -j MASQUERADE -m comment --comment glass:0a1b2c"]);
    const bad = fake((argv) => (argv[0] === 'iptables-save' ? { stdout: GLASS_SAVE } : argv.includes('NOPE') ? { exitCode: 2, stderr: "iptables v1.8.9 (nf_tables): Couldn't load target `NOPE'\n" } : undefined));
    await expect(addRules(bad.ctx, [
      { table: 'filter', chain: 'GLASS-FORWARD', args: ['-i', 'gl0a1b2c', '-j', 'ACCEPT'], tag: '0a1b2c', title: 'ok', why: 'w' },
      { table: 'filter', chain: 'GLASS-FORWARD', args: ['-i', 'gl0a1b2c', '-j', 'NOPE'], tag: '0a1b2c', title: 'bad', why: 'w' },
    ])).rejects.toThrow("Couldn't load target `NOPE'");
    expect(bad.steps.filter((s) => s.phase === 'failed').map((s) => s.title)).toEqual(['bad']);
  });

  it('removes a container\'s rules by tag, exactly as listed; the chains stay while another root has rules', async () => {
    let save = GLASS_SAVE;
    const f = fake((argv) => {
      if (argv[0] === 'iptables-save') return { stdout: save };
      if (argv.includes('-D')) save = save.split('\n').filter((l) => !(l.startsWith(`-A ${argv[5]} `) && tokenize(l).slice(2).join(' ') === argv.slice(6).join(' '))).join('\n');
      return undefined;
    });
    const gone = await removeRulesTagged(f.ctx, '0a1b2c');
    expect(gone).toHaveLength(3);
    expect(f.done()).toEqual([
      'iptables -w -t filter -D GLASS-FORWARD -o gl0a1b2c -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment glass:0a1b2c -j ACCEPT',
      'iptables -w -t nat -D GLASS-DNAT -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -m comment --comment glass:0a1b2c:4f1e2d3c4b5a -j DNAT --to-destination 172.18.0.2:80',
      "iptables -w -t nat -D GLASS-POSTROUTING -s 172.18.0.0/16 '!' -o gl0a1b2c -m comment --comment glass:0a1b2c -j MASQUERADE",
    ]);
    expect((await listGlassRules(f.ctx)).map((r) => r.tag)).toEqual(['999999']);
  });

  it('the last root\'s clean-up removes the jumps, then the chains', async () => {
    let save = GLASS_SAVE.split('\n').filter((l) => !l.includes('999999')).join('\n');
    const jumps = new Set(['nat POSTROUTING -j GLASS-POSTROUTING', 'nat PREROUTING -m addrtype --dst-type LOCAL -j GLASS-DNAT', 'nat OUTPUT -m addrtype --dst-type LOCAL -j GLASS-DNAT', 'filter FORWARD -j GLASS-FORWARD']);
    const f = fake((argv) => {
      if (argv[0] === 'iptables-save') return { stdout: save };
      const key = `${argv[3]} ${argv.slice(5).join(' ')}`;
      if (argv[4] === '-C') return jumps.has(key) ? undefined : { exitCode: 1, stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).' };
      if (argv[4] === '-D') {
        jumps.delete(key);
        save = save.split('\n').filter((l) => !(l.startsWith(`-A ${argv[5]} `) && tokenize(l).slice(2).join(' ') === argv.slice(6).join(' '))).join('\n');
      }
      return undefined;
    });
    await removeRulesTagged(f.ctx, '0a1b2c');
    expect(f.done().slice(3)).toEqual([
      'iptables -w -t nat -D POSTROUTING -j GLASS-POSTROUTING',
      'iptables -w -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j GLASS-DNAT',
      'iptables -w -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j GLASS-DNAT',
      'iptables -w -t filter -D FORWARD -j GLASS-FORWARD',
      'iptables -w -t nat -X GLASS-POSTROUTING',
      'iptables -w -t nat -X GLASS-DNAT',
      'iptables -w -t filter -X GLASS-FORWARD',
    ]);
  });
});

describe('host port probe', () => {
  it('parses /proc/net/tcp', () => {
    const text = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0
`;
    expect(parseProcNet(text)).toEqual([
      { localAddress: '127.0.0.1', localPort: 8080, state: '0A', inode: 123456 },
      { localAddress: '0.0.0.0', localPort: 22, state: '0A', inode: 2222 },
    ]);
  });

  it('tells a free port from one another program holds, and names the holder', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const busy = await probePort('tcp', '127.0.0.1', port);
      expect(busy).toMatchObject({ free: false, code: 'EADDRINUSE', holder: { pid: process.pid } });
      expect(await probePort('udp', '127.0.0.1', port)).toEqual({ free: true }); // another protocol, another port
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await probePort('tcp', '127.0.0.1', port)).toEqual({ free: true });
  });
});
