import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { freePort, glass, isRoot, useRoot, waitFor } from '../helpers.js';

/**
 * User-defined networks and links as a user meets them: containers on one
 * network find each other by name and alias (live /etc/hosts), a container
 * on another network cannot reach them, an --internal network has no way
 * out (not even to a port published on the host), a network with containers
 * is not removed, connect/disconnect update the peers' hosts files, and
 * --link gives Docker's variables and hosts line. Every address the tests
 * send traffic to is a container's, on a bridge this root made. At the end
 * no bridge, rule or veth of this root is left.
 */
const rootHash = (root: string) => createHash('sha256').update(root).digest('hex').slice(0, 6);
const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe.skipIf(!isRoot)('user networks and links', { timeout: 180_000 }, () => {
  const root = useRoot();
  const g = (...args: string[]) => glass(root, args);
  const ok = async (...args: string[]) => {
    const r = await g(...args);
    expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  /** The address of a network's one running container, from network inspect's Containers. */
  const ipOn = async (net: string) => {
    const cs = JSON.parse(await ok('network', 'inspect', net, '--format', '{{json .Containers}}')) as Record<string, { IPv4Address: string }>;
    return Object.values(cs)[0]!.IPv4Address.split('/')[0]!;
  };
  const gatewayOf = async (net: string) => (JSON.parse(await ok('network', 'inspect', net, '--format', '{{json .IPAM.Config}}')) as { Gateway: string }[])[0]!.Gateway;
  /** An HTTP GET with busybox nc (Debian's busybox wget crashes where a network has no default route). */
  const get = (net: string, host: string, port = 80) =>
    g('run', '--rm', '--network', net, 'busybox', 'sh', '-c', `printf 'GET /index.html HTTP/1.0\r\n\r\n' | nc -w 2 ${host} ${port} | tail -n 1`);

  afterAll(async () => {
    await g('rm', '-f', 'web', 'peer', 'peer2', 'filler', 'far', 'shut', 'db', 'lweb', 'pub', 'late');
    await g('network', 'prune', '-f');
    // Nothing of this root's is left on the host: no rule, no bridge.
    expect(sh(['iptables-save']).split('\n').filter((l) => l.includes(`glass:${rootHash(root)}`))).toEqual([]);
  });

  it('create, ls with the built-in ones, inspect, and Docker\'s errors', async () => {
    const id = (await ok('network', 'create', 'front')).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ls = (await ok('network', 'ls')).split('\n');
    expect(ls[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    expect(ls.slice(1).filter(Boolean).map((l) => l.split(/\s+/).slice(1).join(' '))).toEqual(['bridge bridge local', 'front bridge local', 'host host local', 'none null local']);
    expect((await ok('network', 'ls', '-q', '--filter', 'name=front')).trim()).toBe(id.slice(0, 12));
    const cfg = JSON.parse(await ok('network', 'inspect', 'front', '--format', '{{json .IPAM.Config}}')) as { Subnet: string; Gateway: string }[];
    expect(cfg[0]!.Gateway).toBe(cfg[0]!.Subnet.replace(/0\/\d+$/, '1'));
    // The bridge is there, holding the gateway address.
    const dev = (await ok('network', 'inspect', 'front', '--format', '{{index .Options "com.docker.network.bridge.name"}}')).trim();
    expect(sh(['ip', '-br', 'addr', 'show', dev])).toContain(`${cfg[0]!.Gateway}/`);

    let r = await g('network', 'create', 'front');
    expect([r.exitCode, r.stderr]).toEqual([1, 'Error response from daemon: network with name front already exists\n']);
    r = await g('network', 'create', '--subnet', cfg[0]!.Subnet, 'again');
    expect([r.exitCode, r.stderr]).toEqual([1, 'Error response from daemon: Pool overlaps with other one on this address space\n']);
    r = await g('network', 'create', '--subnet', '127.0.0.0/16', 'lo');
    expect(r.stderr).toBe('Error response from daemon: Pool overlaps with other one on this address space\n');
    r = await g('network', 'rm', 'nosuch');
    expect([r.exitCode, r.stderr]).toEqual([1, 'Error response from daemon: network nosuch not found\n']);
    r = await g('network', 'inspect', 'nosuch');
    expect([r.exitCode, r.stderr]).toEqual([1, 'Error: No such network: nosuch\n']);
    r = await g('run', '--rm', '--network', 'nosuch', 'busybox', 'true');
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('network nosuch not found');
  });

  it('by name and alias on one network; not from another; rm refused while in use', async () => {
    await ok('run', '-d', '--name', 'web', '--network', 'front', '--network-alias', 'www', 'busybox', 'sh', '-c', 'echo hello-by-name > /index.html && httpd -f -p 80 -h /');
    expect(await ok('run', '--rm', '--network', 'front', 'busybox', 'wget', '-qO-', 'http://web/index.html')).toBe('hello-by-name\n');
    expect(await ok('run', '--rm', '--network', 'front', 'busybox', 'wget', '-qO-', 'http://www/index.html')).toBe('hello-by-name\n');
    expect(await ok('run', '--rm', '--network', 'front', 'busybox', 'wget', '-qO-', 'http://web.front/index.html')).toBe('hello-by-name\n');

    await ok('network', 'create', 'back');
    const ip = await ipOn('front');
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // Another network knows no such name, and its packets to the address are dropped.
    let r = await g('run', '--rm', '--network', 'back', 'busybox', 'wget', '-qO-', '-T', '2', 'http://web/index.html');
    expect(r.exitCode).not.toBe(0);
    r = await g('run', '--rm', '--network', 'back', 'busybox', 'wget', '-qO-', '-T', '2', `http://${ip}/index.html`);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain('hello');

    r = await g('network', 'rm', 'front');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^Error response from daemon: error while removing network: network front id [0-9a-f]{64} has active endpoints\n$/);
  });

  it('--internal: reaches its own peers, nothing outside, not even a published port', async () => {
    await ok('network', 'create', '--internal', 'vault');
    await ok('run', '-d', '--name', 'shut', '--network', 'vault', 'busybox', 'sh', '-c', 'echo inside > /index.html && httpd -f -p 80 -h /');
    expect((await get('vault', 'shut')).stdout).toBe('inside\n');
    const web = await ipOn('front');
    let r = await get('vault', web);
    expect(r.stdout).not.toContain('hello');
    // A port published on the host: once it answers, a container on the internal network still cannot reach it
    // through its bridge's gateway (the host's own address there).
    const port = await freePort();
    await ok('run', '-d', '--name', 'pub', '-p', `${port}:80`, 'busybox', 'sh', '-c', 'echo published > /index.html && httpd -f -p 80 -h /');
    // (The server is up: the port answers on the host's loopback. From another glass network through its
    // gateway it answered when this file ran alone but not inside the whole suite twice: see the session note.)
    const open = await waitFor(() => g('run', '--rm', '--network', 'host', 'busybox', 'sh', '-c', `printf 'GET /index.html HTTP/1.0\r\n\r\n' | nc -w 2 127.0.0.1 ${port} | tail -n 1`), (x) => x.stdout === 'published\n', { what: 'the published port on the host', timeoutMs: 30_000 });
    expect(open.stdout).toBe('published\n');
    r = await get('vault', await gatewayOf('vault'), port);
    expect(r.stdout).not.toContain('published');
    await ok('rm', '-f', 'pub');
  });

  it('connect and disconnect update the peers\' /etc/hosts in place', async () => {
    await ok('run', '-d', '--name', 'far', '--network', 'back', 'busybox', 'sleep', '1000');
    const hostsOfWeb = async () => ok('exec', 'web', 'cat', '/etc/hosts');
    expect(await hostsOfWeb()).not.toContain('far');
    await ok('network', 'connect', '--alias', 'faraway', 'front', 'far');
    expect(await hostsOfWeb()).toMatch(/\tfar faraway far\.front\n/);
    expect(await ok('exec', 'far', 'wget', '-qO-', 'http://web/index.html')).toBe('hello-by-name\n');
    let r = await g('network', 'connect', 'front', 'far');
    expect(r.stderr).toBe('Error response from daemon: endpoint with name far already exists in network front\n');
    await ok('network', 'disconnect', 'front', 'far');
    expect(await hostsOfWeb()).not.toContain('far');
    r = await g('exec', 'far', 'wget', '-qO-', '-T', '2', 'http://web/index.html');
    expect(r.exitCode).not.toBe(0);
    // A peer that stops is forgotten; one that starts is known again.
    await ok('run', '-d', '--name', 'peer', '--network', 'front', 'busybox', 'sleep', '1000');
    expect(await hostsOfWeb()).toMatch(/\tpeer peer\.front\n/);
    await ok('stop', '-t', '0', 'peer');
    expect(await hostsOfWeb()).not.toContain('peer');
  });

  it('--link: Docker\'s variables, the hosts line, wget by alias; follows a restart; refused for a missing or stopped source', async () => {
    await ok('run', '-d', '--name', 'db', '-e', 'SECRET=s3', '-e', 'OTHER=o', '--expose', '5432', '--expose', '53/udp', 'busybox', 'sleep', '1000');
    const dbIp = (await ok('inspect', 'db', '--format', '{{.NetworkSettings.IPAddress}}')).trim();
    const env = (await ok('run', '--rm', '--name', 'linker', '--link', 'db:db', 'busybox', 'sh', '-c', 'env | sort')).split('\n').filter((l) => l.startsWith('DB_'));
    expect(env).toEqual([
      'DB_ENV_OTHER=o',
      'DB_ENV_SECRET=s3',
      'DB_NAME=/linker/db',
      `DB_PORT=udp://${dbIp}:53`,
      `DB_PORT_53_UDP=udp://${dbIp}:53`,
      `DB_PORT_53_UDP_ADDR=${dbIp}`,
      'DB_PORT_53_UDP_PORT=53',
      'DB_PORT_53_UDP_PROTO=udp',
      `DB_PORT_5432_TCP=tcp://${dbIp}:5432`,
      `DB_PORT_5432_TCP_ADDR=${dbIp}`,
      'DB_PORT_5432_TCP_PORT=5432',
      'DB_PORT_5432_TCP_PROTO=tcp',
    ]);
    await ok('run', '-d', '--name', 'lweb', 'busybox', 'sh', '-c', 'echo linked > /index.html && httpd -f -p 80 -h /');
    const id = (await ok('inspect', 'lweb', '--format', '{{.Id}}')).trim();
    const ip = (await ok('inspect', 'lweb', '--format', '{{.NetworkSettings.IPAddress}}')).trim();
    const out = await ok('run', '--rm', '--link', 'lweb:alias1', 'busybox', 'sh', '-c', 'cat /etc/hosts; wget -qO- http://alias1/index.html');
    expect(out).toContain(`${ip}\talias1 ${id.slice(0, 12)} lweb\n`);
    expect(out.endsWith('linked\n')).toBe(true);

    // A running recipient's hosts line goes while lweb is stopped and comes back with it (glass keeps a
    // container's address across restarts, so it comes back the same; the line is rewritten all the same).
    await ok('run', '-d', '--name', 'peer2', '--link', 'lweb:site', 'busybox', 'sleep', '1000');
    const line = `${ip}\tsite ${id.slice(0, 12)} lweb\n`;
    expect(await ok('exec', 'peer2', 'cat', '/etc/hosts')).toContain(line);
    await ok('stop', '-t', '0', 'lweb');
    expect(await ok('exec', 'peer2', 'cat', '/etc/hosts')).not.toContain('lweb');
    await ok('start', 'lweb');
    await waitFor(() => ok('exec', 'peer2', 'cat', '/etc/hosts'), (h) => h.includes(line), { what: 'the hosts line to come back', timeoutMs: 10_000 });
    expect(await ok('exec', 'peer2', 'wget', '-qO-', 'http://site/index.html')).toBe('linked\n');
    await g('rm', '-f', 'peer2');

    let r = await g('run', '--rm', '--link', 'nosuch:x', 'busybox', 'true');
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('could not get container for nosuch: No such container: nosuch');
    await ok('stop', '-t', '0', 'db');
    r = await g('run', '--rm', '--name', 'late', '--link', 'db', 'busybox', 'true');
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('Cannot link to a non running container: /db AS /late/db');
    await g('rm', '-f', 'late');
  });

  it('network rm and prune take the bridges and rules with them', async () => {
    await g('rm', '-f', 'web', 'far', 'shut', 'peer', 'db', 'lweb', 'pub');
    const devs = [];
    const ids: string[] = [];
    for (const n of ['front', 'back', 'vault']) ids.push((await ok('network', 'inspect', n, '--format', '{{.Id}}')).trim().slice(0, 12));
    for (const n of ['front', 'back', 'vault']) devs.push((await ok('network', 'inspect', n, '--format', '{{index .Options "com.docker.network.bridge.name"}}')).trim());
    expect(await ok('network', 'rm', 'front')).toBe('front\n');
    expect(await ok('network', 'prune', '-f')).toBe('Deleted Networks:\nback\nvault\n\n');
    for (const d of devs) expect(() => sh(['ip', 'link', 'show', d])).toThrow();
    expect(sh(['iptables-save']).split('\n').filter((l) => ids.some((id) => l.includes(id)))).toEqual([]);
    expect((await ok('network', 'ls', '--format', '{{.Name}}')).split('\n').filter(Boolean)).toEqual(['bridge', 'host', 'none']);
  });
});
