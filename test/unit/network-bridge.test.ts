import { describe, expect, it } from 'vitest';
import { chooseSubnet, gatewayOf, macFromIp, nextFree, requestedIpProblem } from '../../runtime/engine/networks/ipam.js';
import { hostsFile, resolvConf } from '../../runtime/engine/networks/etc.js';
import { parseNetworkOptions } from '../../runtime/engine/networks/config.js';
import { defaultBridgeName, hostVethName, userBridgeName } from '../../runtime/engine/networks/names.js';

describe('default bridge: addresses', () => {
  it('takes the first /16 from 172.18 up that no host route or glass network overlaps', () => {
    expect(chooseSubnet(['default', '10.0.2.0/24'], [])).toBe('172.18.0.0/16');
    expect(chooseSubnet(['172.18.5.0/24', '172.16.0.0/13'], [])).toBe('172.24.0.0/16');
    expect(chooseSubnet([], ['172.18.0.0/16'])).toBe('172.19.0.0/16');
    expect(chooseSubnet(['172.16.0.0/12'], [])).toBe('10.89.0.0/16');
  });

  it('gives .1 to the gateway and containers the lowest free address from .2, with Docker\'s MAC', () => {
    expect(gatewayOf('172.18.0.0/16')).toBe('172.18.0.1');
    expect(nextFree('172.18.0.0/16', new Set(), '172.18.0.1')).toBe('172.18.0.2');
    expect(nextFree('172.18.0.0/16', new Set(['172.18.0.2']), '172.18.0.1')).toBe('172.18.0.3');
    expect(nextFree('10.1.1.0/30', new Set(['10.1.1.2']), '10.1.1.1')).toBeUndefined();
    expect(macFromIp('172.17.0.2')).toBe('02:42:ac:11:00:02');
  });

  it('refuses an --ip outside the subnet or taken, with Docker\'s words', () => {
    expect(requestedIpProblem('10.0.0.5', '172.18.0.0/16', '172.18.0.1', new Set())).toBe("Invalid address 10.0.0.5: It does not belong to any of this network's subnets");
    expect(requestedIpProblem('172.18.0.1', '172.18.0.0/16', '172.18.0.1', new Set())).toBe('Address already in use');
    expect(requestedIpProblem('172.18.0.7', '172.18.0.0/16', '172.18.0.1', new Set(['172.18.0.7']))).toBe('Address already in use');
    expect(requestedIpProblem('172.18.0.7', '172.18.0.0/16', '172.18.0.1', new Set())).toBeUndefined();
  });

  it('names host devices from the state root, within 15 characters', () => {
    expect(defaultBridgeName('/var/lib/glass')).toBe('glass0');
    expect(defaultBridgeName('/tmp/x')).toMatch(/^gl[0-9a-f]{6}$/);
    expect(userBridgeName('/tmp/x', 'abc')).toMatch(/^glb-[0-9a-f]{6}$/);
    expect(hostVethName('0123456789abcdef')).toBe('veth0123456');
  });
});

describe('default bridge: /etc files and flags', () => {
  it('writes the container\'s address and name, and --add-host lines, in /etc/hosts', () => {
    const text = hostsFile({ hostname: 'web', ip: '172.18.0.2', extraHosts: ['db:10.0.0.5', 'gw:host-gateway'], gateway: '172.18.0.1' });
    expect(text.split('\n').slice(-4)).toEqual(['10.0.0.5\tdb', '172.18.0.1\tgw', '172.18.0.2\tweb', '']);
    expect(hostsFile({ hostname: 'x' })).toContain('127.0.1.1\tx\n');
  });

  it('drops the host\'s loopback nameservers from resolv.conf (Google\'s when none is left); --dns replaces them', () => {
    const host = 'nameserver 127.0.0.53\noptions edns0\nsearch lan\n';
    expect(resolvConf(host, { mode: 'bridge' })).toBe('options edns0\nsearch lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    expect(resolvConf('nameserver 10.0.0.1\nnameserver 127.0.0.1\n', { mode: 'bridge' })).toBe('nameserver 10.0.0.1\n');
    expect(resolvConf(host, { mode: 'host' })).toBe('nameserver 127.0.0.53\noptions edns0\nsearch lan\n');
    expect(resolvConf(host, { mode: 'bridge', dns: ['1.1.1.1'], dnsSearch: ['a.b'] })).toBe('options edns0\nnameserver 1.1.1.1\nsearch a.b\n');
  });

  it('checks --network, --ip, --dns and --add-host with Docker\'s errors', () => {
    expect(parseNetworkOptions({}).mode).toBe('default');
    expect(() => parseNetworkOptions({ ip: '172.18.0.9' })).toThrow('user specified IP address is supported on user defined networks only');
    expect(() => parseNetworkOptions({ mode: 'mynet', ip: '1.2.3' })).toThrow('invalid IPv4 address: 1.2.3');
    expect(parseNetworkOptions({ mode: 'mynet', ip: '10.9.0.5' }).ip).toBe('10.9.0.5');
    expect(() => parseNetworkOptions({ dns: ['nope'] })).toThrow('invalid argument "nope" for "--dns" flag: nope is not an ip address');
    expect(() => parseNetworkOptions({ extraHosts: ['nope'] })).toThrow('bad format for add-host: "nope"');
    expect(() => parseNetworkOptions({ extraHosts: ['a:zz'] })).toThrow('invalid IP address in add-host: "zz"');
    expect(() => parseNetworkOptions({ mode: 'container:' })).toThrow('invalid container format');
  });
});
