import { describe, expect, it } from 'vitest';
import { linkEnv, linkHostsLine, parseLink, withLinkEnv } from '../../runtime/engine/networks/links.js';
import { mergeEntries, peerNames, renderHosts } from '../../runtime/engine/networks/hosts.js';

describe('--link variables (Docker 20.10 transcript)', () => {
  it('one exposed port, as `--link web:web`', () => {
    expect(linkEnv({ name: '/sharp_swartz/web', ip: '172.17.0.2', exposedPorts: ['80/tcp'], env: ['PATH=/bin'] })).toEqual([
      'WEB_PORT=tcp://172.17.0.2:80',
      'WEB_PORT_80_TCP=tcp://172.17.0.2:80',
      'WEB_PORT_80_TCP_ADDR=172.17.0.2',
      'WEB_PORT_80_TCP_PORT=80',
      'WEB_PORT_80_TCP_PROTO=tcp',
      'WEB_NAME=/sharp_swartz/web',
    ]);
  });
  it('tcp and udp ports and the source env, as `--link db:db` (sorted like `env | sort`)', () => {
    const env = linkEnv({ name: '/exciting_cannon/db', ip: '172.17.0.3', exposedPorts: ['5432/tcp', '53/udp'], env: ['PATH=/usr/bin', 'SECRET=s3', 'OTHER=o', 'HOME=/x'] });
    expect(env[0]).toBe('DB_PORT=udp://172.17.0.3:53');
    expect([...env].sort()).toEqual([
      'DB_ENV_OTHER=o',
      'DB_ENV_SECRET=s3',
      'DB_NAME=/exciting_cannon/db',
      'DB_PORT=udp://172.17.0.3:53',
      'DB_PORT_53_UDP=udp://172.17.0.3:53',
      'DB_PORT_53_UDP_ADDR=172.17.0.3',
      'DB_PORT_53_UDP_PORT=53',
      'DB_PORT_53_UDP_PROTO=udp',
      'DB_PORT_5432_TCP=tcp://172.17.0.3:5432',
      'DB_PORT_5432_TCP_ADDR=172.17.0.3',
      'DB_PORT_5432_TCP_PORT=5432',
      'DB_PORT_5432_TCP_PROTO=tcp',
    ]);
  });
  it('a range of contiguous ports gets _START/_END, aliases with - get _', () => {
    const env = linkEnv({ name: '/r/my-db', ip: '10.0.0.2', exposedPorts: ['8002/tcp', '8000/tcp', '8001/tcp'], env: [] });
    expect(env).toContain('MY_DB_PORT_8000_TCP_START=tcp://10.0.0.2:8000');
    expect(env).toContain('MY_DB_PORT_8000_TCP_END=tcp://10.0.0.2:8002');
    expect(env).toContain('MY_DB_PORT_8000_TCP_PORT_END=8002');
    expect(env[0]).toBe('MY_DB_PORT=tcp://10.0.0.2:8000');
  });
  it('no exposed port: only the name', () => {
    expect(linkEnv({ name: '/a/b', ip: '1.2.3.4', exposedPorts: [], env: [] })).toEqual(['B_NAME=/a/b']);
  });
  it('links go after PATH and HOSTNAME, before the container env', () => {
    expect(withLinkEnv(['PATH=/bin', 'HOSTNAME=h', 'A=1'], ['X_NAME=/r/x'])).toEqual(['PATH=/bin', 'HOSTNAME=h', 'X_NAME=/r/x', 'A=1']);
    expect(withLinkEnv(['PATH=/bin', 'X_NAME=mine'], ['X_NAME=/r/x'])).toEqual(['PATH=/bin', 'X_NAME=mine']);
  });
  it('parses name[:alias]', () => {
    expect(parseLink('web:db')).toEqual({ source: 'web', alias: 'db' });
    expect(parseLink('web')).toEqual({ source: 'web', alias: 'web' });
    expect(parseLink('/web:/db')).toEqual({ source: 'web', alias: 'db' });
    expect(() => parseLink('a:b:c')).toThrow(/bad format for links: a:b:c/);
    expect(() => parseLink(':x')).toThrow(/bad format/);
  });
  it('hosts line: IP alias ID12 name', () => {
    expect(linkHostsLine('172.17.0.2', 'alias1', '770406c8b7f7aaaa', 'web')).toBe('172.17.0.2\talias1 770406c8b7f7 web');
    expect(linkHostsLine('172.17.0.2', 'web', '770406c8b7f7aaaa', 'web')).toBe('172.17.0.2\tweb 770406c8b7f7');
  });
});

describe('live /etc/hosts', () => {
  it('base lines, links, peers, then the container itself', () => {
    const text = renderHosts({
      links: [{ ip: '172.17.0.2', names: ['web', '770406c8b7f7'] }],
      peers: mergeEntries([
        { ip: '172.19.0.2', names: peerNames('peer-a', ['alpha'], 'mynet') },
        { ip: '172.19.0.2', names: peerNames('peer-a', [], 'mynet') },
      ]),
      self: [{ ip: '172.17.0.3', names: ['cd35d3c2e1a8'] }],
    });
    expect(text.split('\n').slice(6)).toEqual(['172.17.0.2\tweb 770406c8b7f7', '172.19.0.2\tpeer-a alpha peer-a.mynet', '172.17.0.3\tcd35d3c2e1a8', '']);
    expect(text.startsWith('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n')).toBe(true);
  });
});
