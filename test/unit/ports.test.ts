import { describe, expect, it } from 'vitest';
import {
  allocate,
  displayablePorts,
  networkSettingsPorts,
  parseExpose,
  parseLocalPortRange,
  parsePortSpecs,
  portLines,
  resolvePorts,
  wantedBindings,
} from '../../runtime/engine/networks/ports.js';

const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('-p as Docker parses it (nat.ParsePortSpecs)', () => {
  it('every form', () => {
    expect(parsePortSpecs(['8080:80']).bindings).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
    expect(parsePortSpecs(['80']).bindings).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '' }] });
    expect(parsePortSpecs(['127.0.0.1:8081:80']).bindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8081' }] });
    expect(parsePortSpecs(['127.0.0.1::80/udp']).bindings).toEqual({ '80/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(parsePortSpecs(['[::1]:8080:80']).bindings).toEqual({ '80/tcp': [{ HostIp: '::1', HostPort: '8080' }] });
    expect(parsePortSpecs(['53:53/UDP']).bindings).toEqual({ '53/udp': [{ HostIp: '', HostPort: '53' }] });
    expect(parsePortSpecs(['8000-8002:8000-8002']).bindings).toEqual({
      '8000/tcp': [{ HostIp: '', HostPort: '8000' }],
      '8001/tcp': [{ HostIp: '', HostPort: '8001' }],
      '8002/tcp': [{ HostIp: '', HostPort: '8002' }],
    });
    expect(parsePortSpecs(['9000-9010:80']).bindings).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '9000-9010' }] });
    const two = parsePortSpecs(['8080:80', '127.0.0.1:8081:80', '8080:80']);
    expect(two.bindings['80/tcp']).toHaveLength(2);
    expect(two.exposed).toEqual({ '80/tcp': {} });
  });
  it("refuses with Docker's words", () => {
    expect(err(() => parsePortSpecs(['70000:80']))).toBe('Invalid hostPort: 70000');
    expect(err(() => parsePortSpecs(['8080:70000']))).toBe('Invalid containerPort: 70000');
    expect(err(() => parsePortSpecs(['0']))).toBe('Invalid containerPort: 0');
    expect(err(() => parsePortSpecs(['abc']))).toBe('Invalid containerPort: abc');
    expect(err(() => parsePortSpecs(['8080:']))).toBe('No port specified: 8080:<empty>');
    expect(err(() => parsePortSpecs(['8000-8001:80-82']))).toBe('Invalid ranges specified for container and host Ports: 80-82 and 8000-8001');
    expect(err(() => parsePortSpecs(['80/foo']))).toBe('Invalid proto: foo');
    expect(err(() => parsePortSpecs(['300.1.1.1:80:80']))).toBe('Invalid ip address: 300.1.1.1');
    expect(err(() => parsePortSpecs(['82-80']))).toBe('Invalid containerPort: 82-80');
  });
});

describe('--expose and -P', () => {
  it('expands ranges and refuses ":"', () => {
    expect(parseExpose(['5432', '53/udp', '7000-7002'])).toEqual(['5432/tcp', '53/udp', '7000/tcp', '7001/tcp', '7002/tcp']);
    expect(err(() => parseExpose(['80:80']))).toBe('invalid port format for --expose: 80:80');
    expect(err(() => parseExpose(['x']))).toMatch(/^invalid range format for --expose: x, error: strconv.ParseUint: parsing "x": invalid syntax$/);
  });
  it('-P binds every exposed port without a binding', () => {
    const p = resolvePorts({ publish: ['8080:80'], expose: ['53/udp'], publishAll: true }, { '443/tcp': {} });
    expect(Object.keys(p.exposedPorts)).toEqual(['443/tcp', '53/udp', '80/tcp']);
    expect(p.portBindings).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
    expect(wantedBindings(p)).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '443/tcp': [{ HostIp: '', HostPort: '' }],
      '53/udp': [{ HostIp: '', HostPort: '' }],
    });
  });
});

describe('allocation', () => {
  it('takes the lowest free port of the ephemeral range, skipping taken ones', async () => {
    expect(parseLocalPortRange('32768\t60999\n')).toEqual([32768, 60999]);
    const taken = new Set([32768]);
    const got = await allocate({ '80/tcp': [{ HostIp: '', HostPort: '' }], '81/tcp': [{ HostIp: '', HostPort: '' }], '82/tcp': [{ HostIp: '', HostPort: '8080' }] }, [32768, 60999], async (_ip, p) => taken.has(p));
    expect(got).toEqual([
      { containerPort: 80, proto: 'tcp', hostIp: '0.0.0.0', hostPort: 32769 },
      { containerPort: 81, proto: 'tcp', hostIp: '0.0.0.0', hostPort: 32770 },
      { containerPort: 82, proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 },
    ]);
    await expect(allocate({ '80/tcp': [{ HostIp: '', HostPort: '9000-9001' }] }, [1, 2], async () => true)).rejects.toThrow(/all ports are allocated/);
  });
});

describe("what users see (Docker's formats)", () => {
  const published = [
    { containerPort: 80, proto: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 8080 },
    { containerPort: 9090, proto: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 32769 },
  ];
  it('inspect NetworkSettings.Ports and port', () => {
    const ports = networkSettingsPorts({ '80/tcp': {}, '9090/tcp': {}, '53/udp': {} }, published);
    expect(JSON.stringify(ports)).toBe('{"53/udp":null,"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}],"9090/tcp":[{"HostIp":"0.0.0.0","HostPort":"32769"}]}');
    expect(portLines(ports)).toEqual(['80/tcp -> 0.0.0.0:8080', '9090/tcp -> 0.0.0.0:32769']);
    expect(portLines(ports, '80')).toEqual(['0.0.0.0:8080']);
    expect(portLines(ports, '80/tcp')).toEqual(['0.0.0.0:8080']);
    expect(portLines(ports, '81')).toBeUndefined();
    expect(portLines(ports, '53/udp')).toBeUndefined();
  });
  it('ps PORTS column', () => {
    expect(displayablePorts({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] })).toBe('0.0.0.0:8080->80/tcp');
    expect(displayablePorts({ '53/udp': null, '5432/tcp': null })).toBe('53/udp, 5432/tcp');
    const range = { '8000/tcp': [{ HostIp: '0.0.0.0', HostPort: '8000' }], '8001/tcp': [{ HostIp: '0.0.0.0', HostPort: '8001' }], '8002/tcp': [{ HostIp: '0.0.0.0', HostPort: '8002' }] };
    expect(displayablePorts(range)).toBe('0.0.0.0:8000-8002->8000-8002/tcp');
    expect(displayablePorts({ '7000/tcp': null, '7001/tcp': null, '7003/tcp': null })).toBe('7000-7001/tcp, 7003/tcp');
    expect(displayablePorts({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8081' }], '9090/tcp': [{ HostIp: '0.0.0.0', HostPort: '32769' }] })).toBe('127.0.0.1:8081->80/tcp, 0.0.0.0:32769->9090/tcp');
    expect(displayablePorts({})).toBe('');
  });
});
