import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { get } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFarHost, type FarHost } from '../far-host.js';
import { freePort, glass, isRoot, logsOf, useRoot, waitFor } from '../helpers.js';

/**
 * Published ports against real containers, iptables and the kernel: a busybox
 * httpd on -p PORT:80 answers an HTTP GET to 127.0.0.1:PORT on the host and a
 * client in a network namespace the test made (through the host's address on
 * that veth: the PREROUTING DNAT path); UDP likewise (a static echo server
 * bind-mounted in: the image's busybox nc has no -u); -P and `port`; a host
 * port already published, or held by another program, refused with Docker's
 * words; the rules gone after stop and rm. All traffic stays on loopback or
 * inside the test's namespace.
 */
const SLOW_MS = 150_000;

const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
let far: FarHost | undefined;
const inNs = (argv: string[]) => far!.run(argv);

/** The iptables-save lines tagged with a container. */
const rulesOf = (id: string) => sh(['iptables-save']).split('\n').filter((l) => l.includes(`:${id.slice(0, 12)}:ports`));

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Run glass; it must succeed (the failure message shows its stderr). */
let ok: (args: string[]) => Promise<string>;

const UDP_ECHO_C = fileURLToPath(new URL('./udp-echo.c', import.meta.url));

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello from glass httpd > /www/index.html && exec httpd -f -p 80 -h /www'];

describe.skipIf(!isRoot)('published ports', () => {
  const root = useRoot();
  ok = async (args) => {
    const r = await glass(root, args);
    expect(r.exitCode, `glass ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  /** The UDP server and client, built into the test's root (removed with it). */
  const UDP_ECHO = join(root, 'udp-echo');
  /** The host's address on the test namespace's veth, and the namespace's own. */
  let hostIp = '';
  let nsIp = '';

  beforeAll(() => {
    sh(['gcc', '-static', '-O2', '-o', UDP_ECHO, UDP_ECHO_C]);
    far = makeFarHost('np');
    hostIp = far.hostIp;
    nsIp = far.nsIp;
  });

  afterAll(() => far?.remove());

  it('-p PORT:80: an HTTP GET on 127.0.0.1 and from another namespace reaches busybox httpd; ps, port, inspect as Docker; rules go on stop and rm', { timeout: SLOW_MS }, async () => {
    const port = await freePort();
    const run = await glass(root, ['run', '-d', '-p', `${port}:80`, '--name', 'web', 'busybox', ...HTTPD]);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const id = run.stdout.trim();

    const page = await waitFor(() => httpGet(`http://127.0.0.1:${port}/index.html`).catch((e: Error) => ({ status: 0, body: e.message })), (r) => r.status === 200, { what: 'httpd through the published port', timeoutMs: 20_000 });
    expect(page.body).toBe('hello from glass httpd\n');
    expect((await httpGet(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
    // From the test's namespace, to the host's address on its veth: PREROUTING's DNAT, then FORWARD.
    expect(inNs(['curl', '-sS', '-m', '5', `http://${hostIp}:${port}/index.html`])).toBe('hello from glass httpd\n');

    expect((await glass(root, ['port', 'web'])).stdout).toBe(`80/tcp -> 0.0.0.0:${port}\n`);
    expect((await glass(root, ['port', 'web', '80'])).stdout).toBe(`0.0.0.0:${port}\n`);
    expect((await glass(root, ['port', 'web', '80/tcp'])).stdout).toBe(`0.0.0.0:${port}\n`);
    const none = await glass(root, ['port', 'web', '81']);
    expect(none).toMatchObject({ exitCode: 1, stdout: '', stderr: "Error: No public port '81/tcp' published for web\n" });
    expect((await glass(root, ['ps', '--format', '{{.Names}} {{.Ports}}'])).stdout).toBe(`web 0.0.0.0:${port}->80/tcp\n`);
    expect((await glass(root, ['inspect', 'web', '--format', '{{json .NetworkSettings.Ports}}'])).stdout.trim()).toBe(`{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"${port}"}]}`);
    expect((await glass(root, ['inspect', 'web', '--format', '{{json .HostConfig.PortBindings}}'])).stdout.trim()).toBe(`{"80/tcp":[{"HostIp":"","HostPort":"${port}"}]}`);
    expect((await glass(root, ['inspect', 'web', '--format', '{{json .Config.ExposedPorts}}'])).stdout.trim()).toBe('{"80/tcp":{}}');
    expect(rulesOf(id).length).toBeGreaterThanOrEqual(2);

    // A second container on the same host port: Docker's words, exit 125, and nothing of it published.
    const again = await glass(root, ['run', '-d', '-p', `${port}:80`, '--name', 'web2', 'busybox', ...HTTPD]);
    expect(again.exitCode).toBe(125);
    expect(again.stderr).toContain(`Bind for 0.0.0.0:${port} failed: port is already allocated`);
    const id2 = (await glass(root, ['inspect', 'web2', '--format', '{{.Id}}'])).stdout.trim();
    if (id2) expect(rulesOf(id2)).toEqual([]);
    await glass(root, ['rm', '-f', 'web2']);

    await ok(['stop', '-t', '1', 'web']);
    expect(rulesOf(id)).toEqual([]);
    expect((await glass(root, ['port', 'web'])).stdout).toBe('');
    expect((await glass(root, ['ps', '-a', '--format', '{{.Names}} [{{.Ports}}]'])).stdout).toBe('web []\n');
    await expect(httpGet(`http://127.0.0.1:${port}/index.html`)).rejects.toThrow();
    // Started again, it is published again; rm -f takes it all.
    await ok(['start', 'web']);
    expect((await glass(root, ['port', 'web'])).stdout).toBe(`80/tcp -> 0.0.0.0:${port}\n`);
    expect(rulesOf(id).length).toBeGreaterThanOrEqual(2);
    await ok(['rm', '-f', 'web']);
    expect(rulesOf(id)).toEqual([]);
  });

  it('a host port another program listens on is refused with its words, naming it', { timeout: SLOW_MS }, async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await glass(root, ['run', '-d', '-p', `${port}:80`, '--name', 'held', 'busybox', 'sleep', '100']);
      expect(r.exitCode).toBe(125);
      expect(r.stderr).toContain(`listen tcp4 0.0.0.0:${port}: bind: address already in use`);
      expect(r.stderr).toContain(`pid ${process.pid}`);
      const id = (await glass(root, ['inspect', 'held', '--format', '{{.Id}}'])).stdout.trim();
      if (id) expect(rulesOf(id)).toEqual([]);
    } finally {
      server.close();
      await glass(root, ['rm', '-f', 'held']);
    }
  });

  it('UDP: -p PORT:5000/udp answers from another namespace and from 127.0.0.1; -p 127.0.0.1:...', { timeout: SLOW_MS }, async () => {
    const port = await freePort();
    const mount = ['-v', `${UDP_ECHO}:/udp-echo:ro`];
    const run = await glass(root, ['run', '-d', '-p', `${port}:5000/udp`, ...mount, '--name', 'udp', 'busybox', '/udp-echo', 'serve', '5000']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect((await glass(root, ['port', 'udp'])).stdout).toBe(`5000/udp -> 0.0.0.0:${port}\n`);
    expect((await glass(root, ['ps', '--format', '{{.Ports}}', '--filter', 'name=udp'])).stdout).toBe(`0.0.0.0:${port}->5000/udp\n`);
    const fromNs = () => {
      try {
        return inNs([UDP_ECHO, 'send', hostIp, String(port), 'from-netns']);
      } catch (e) {
        return String((e as { stderr?: string }).stderr ?? e);
      }
    };
    expect(await waitFor(async () => fromNs(), (out) => out === 'echo: from-netns\n', { what: 'a UDP answer through the published port, from the test namespace', timeoutMs: 20_000 })).toBe('echo: from-netns\n');
    expect((await logsOf(root, 'udp')).stdout).toContain('got from-netns');
    const id = (await glass(root, ['inspect', 'udp', '--format', '{{.Id}}'])).stdout.trim();
    expect(rulesOf(id).some((l) => l.includes('-p udp') && l.includes(`--dport ${port}`))).toBe(true);
    await ok(['rm', '-f', 'udp']);
    expect(rulesOf(id)).toEqual([]);

    // Bound to 127.0.0.1 only: the host's loopback reaches it, the namespace (through the veth's address) does not.
    const run2 = await glass(root, ['run', '-d', '-p', `127.0.0.1:${port}:5000/udp`, ...mount, '--name', 'udp2', 'busybox', '/udp-echo', 'serve', '5000']);
    expect(run2.exitCode).toBe(0);
    expect((await glass(root, ['port', 'udp2', '5000/udp'])).stdout).toBe(`127.0.0.1:${port}\n`);
    const sock = createSocket('udp4');
    try {
      const answer = await waitFor(
        () =>
          new Promise<string>((resolve) => {
            const t = setTimeout(() => resolve(''), 1000);
            sock.once('message', (m) => {
              clearTimeout(t);
              resolve(m.toString());
            });
            sock.send('from-loopback', port, '127.0.0.1');
          }),
        (a) => a !== '',
        { what: 'a UDP answer from 127.0.0.1', timeoutMs: 20_000 },
      );
      expect(answer).toBe('echo: from-loopback');
    } finally {
      sock.close();
    }
    expect(fromNs()).not.toBe('echo: from-netns\n');
    await ok(['rm', '-f', 'udp2']);
  });

  it('-P publishes every exposed port on a port of the ephemeral range; port lists them', { timeout: SLOW_MS }, async () => {
    const [lo, hi] = sh(['cat', '/proc/sys/net/ipv4/ip_local_port_range']).trim().split(/\s+/).map(Number);
    const run = await glass(root, ['run', '-d', '-P', '--expose', '80', '--expose', '53/udp', '--name', 'all', 'busybox', ...HTTPD]);
    expect(run.exitCode).toBe(0);
    const out = (await glass(root, ['port', 'all'])).stdout;
    const m = /^53\/udp -> 0\.0\.0\.0:(\d+)\n80\/tcp -> 0\.0\.0\.0:(\d+)\n$/.exec(out);
    expect(m, out).not.toBeNull();
    for (const p of [Number(m![1]), Number(m![2])]) {
      expect(p).toBeGreaterThanOrEqual(lo!);
      expect(p).toBeLessThanOrEqual(hi!);
    }
    const page = await waitFor(() => httpGet(`http://127.0.0.1:${m![2]}/index.html`).catch((e: Error) => ({ status: 0, body: e.message })), (r) => r.status === 200, { what: 'httpd on the -P port', timeoutMs: 20_000 });
    expect(page.body).toBe('hello from glass httpd\n');
    expect((await glass(root, ['inspect', 'all', '--format', '{{json .HostConfig.PortBindings}} {{.HostConfig.PublishAllPorts}}'])).stdout.trim()).toBe('{} true');
    await ok(['rm', '-f', 'all']);
  });

  it("bad -p and --expose values: Docker's words, exit 125, nothing made", { timeout: SLOW_MS }, async () => {
    const cases: Array<[string[], string]> = [
      [['-p', '70000:80'], 'Invalid hostPort: 70000'],
      [['-p', '8080:0'], 'Invalid containerPort: 0'],
      [['-p', 'x:80'], 'Invalid hostPort: x'],
      [['-p', '8000-8001:80-82'], 'Invalid ranges specified for container and host Ports: 80-82 and 8000-8001'],
      [['-p', '80/icmp'], 'Invalid proto: icmp'],
      [['-p', '1.2.3:80:80'], 'Invalid ip address: 1.2.3'],
      [['--expose', '80:80'], 'invalid port format for --expose: 80:80'],
    ];
    const before = (await glass(root, ['ps', '-aq'])).stdout;
    for (const [flags, words] of cases) {
      const r = await glass(root, ['run', ...flags, 'busybox', 'true']);
      expect(r, flags.join(' ')).toMatchObject({ exitCode: 125, stdout: '', stderr: `glass: ${words}.\nSee 'glass run --help'.\n` });
    }
    expect((await glass(root, ['ps', '-aq'])).stdout).toBe(before);
  });
});
