import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { cidrsOverlap } from '../../runtime/kernel/net/index.js';
import { makeFarHost, type FarHost } from '../far-host.js';
import { freePort, glass, isRoot, removeContainersAfterEach, useRoot, waitFor } from '../helpers.js';

/**
 * glass beside Docker. A learner's VM often has Docker installed and
 * running: dockerd sets the FORWARD chain's policy to DROP and puts its own
 * chains (DOCKER-USER, DOCKER-ISOLATION-STAGE-1, DOCKER) in FORWARD. glass
 * must still let its containers out and publish their ports: its jump to
 * GLASS-FORWARD is inserted first, and its NAT lives in chains of its own.
 *
 * Two ways, the same checks:
 * - with a real Docker daemon, when one answers (`docker info`); skipped with
 *   a message otherwise (this suite never starts one: it would change the host
 *   for every other test file);
 * - with the iptables state dockerd leaves (FORWARD policy DROP and its
 *   DOCKER-USER chain jumped to from FORWARD), made by this test and put back
 *   afterwards, so the mechanism is checked on every machine.
 * Traffic goes only to loopback and to a namespace the test made.
 */
const SLOW_MS = 150_000;
const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function dockerAnswers(): boolean {
  try {
    sh(['docker', 'info', '--format', '{{.ServerVersion}}']);
    return true;
  } catch {
    return false;
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo served beside docker > /www/index.html && exec httpd -f -p 80 -h /www'];

/** The checks: out through MASQUERADE to another host; in through a published port from loopback and from that host. */
function coexistenceChecks(root: string, far: () => FarHost, expectPolicy?: string) {
  it('a container gets out (MASQUERADE) and its published port answers on 127.0.0.1 and from another host', { timeout: SLOW_MS }, async () => {
    const f = far();
    // (dockerd sets DROP only when it had to turn ip_forward on itself.)
    if (expectPolicy) expect(sh(['iptables', '-S', 'FORWARD']).split('\n')[0]).toBe(`-P FORWARD ${expectPolicy}`);
    expect(sh(['iptables', '-S', 'FORWARD'])).toContain('-j DOCKER-USER');

    const out = await glass(root, ['run', '--rm', 'busybox', 'nc', '-w', '5', f.nsIp, '8080']);
    expect(out.stderr).toBe('');
    // The far host saw the host's own address on its link: the container's source was masqueraded.
    expect(out.stdout).toBe(`far says hi ${f.hostIp}\n`);

    const port = await freePort();
    const run = await glass(root, ['run', '-d', '-p', `${port}:80`, '--name', 'web', 'busybox', ...HTTPD]);
    expect(run.exitCode, run.stderr).toBe(0);
    const body = await waitFor(() => httpGet(`http://127.0.0.1:${port}/index.html`).catch((e: Error) => e.message), (b) => b === 'served beside docker\n', { what: 'the published port on 127.0.0.1', timeoutMs: 20_000 });
    expect(body).toBe('served beside docker\n');
    expect(f.run(['curl', '-sS', '-m', '5', `http://${f.hostIp}:${port}/index.html`])).toBe('served beside docker\n');
  });
}

describe.skipIf(!isRoot)('glass beside Docker', () => {
  describe('with a running Docker daemon', () => {
    const running = isRoot && dockerAnswers();
    if (!running) {
      it.skip('no Docker daemon answers `docker info` here: start dockerd (apt install docker.io) to check glass beside the real thing', () => {});
      return;
    }
    const root = useRoot();
    removeContainersAfterEach(root);
    let far: FarHost | undefined;
    beforeAll(async () => {
      far = makeFarHost('dk');
      await far.serve(8080, 'far says hi');
    });
    afterAll(() => far?.remove());
    coexistenceChecks(root, () => far!);
    it('Docker\'s own bridge is untouched: glass chose a subnet clear of docker0\'s', { timeout: SLOW_MS }, async () => {
      const run = await glass(root, ['run', '-d', '--name', 'sub', 'busybox', 'sleep', '30']);
      expect(run.exitCode, run.stderr).toBe(0);
      const config = JSON.parse((await glass(root, ['network', 'inspect', 'bridge', '--format', '{{json .IPAM.Config}}'])).stdout) as Array<{ Subnet: string }>;
      const docker0 = JSON.parse(sh(['ip', '-j', 'addr', 'show', 'docker0'])) as Array<{ addr_info: Array<{ family: string; local: string; prefixlen: number }> }>;
      const theirs = docker0[0]!.addr_info.find((a) => a.family === 'inet')!;
      expect(cidrsOverlap(config[0]!.Subnet, `${theirs.local}/${theirs.prefixlen}`)).toBe(false);
    });
  });

  describe("with the iptables state dockerd leaves (FORWARD policy DROP, DOCKER-USER first in FORWARD)", () => {
    const root = useRoot();
    removeContainersAfterEach(root);
    let far: FarHost | undefined;
    let policy = '';
    let madeChain = false;
    beforeAll(async () => {
      policy = /^-P FORWARD (\w+)/.exec(sh(['iptables', '-S', 'FORWARD']))?.[1] ?? 'ACCEPT';
      // What dockerd does at start (moby's libnetwork/iptables): DOCKER-USER, jumped to from FORWARD, returning; policy DROP.
      if (!sh(['iptables', '-S']).includes('-N DOCKER-USER')) {
        sh(['iptables', '-N', 'DOCKER-USER']);
        sh(['iptables', '-A', 'DOCKER-USER', '-j', 'RETURN']);
        sh(['iptables', '-A', 'FORWARD', '-j', 'DOCKER-USER']);
        madeChain = true;
      }
      sh(['iptables', '-P', 'FORWARD', 'DROP']);
      far = makeFarHost('dp');
      await far.serve(8080, 'far says hi');
    });
    afterAll(() => {
      far?.remove();
      sh(['iptables', '-P', 'FORWARD', policy]);
      if (madeChain) {
        sh(['iptables', '-D', 'FORWARD', '-j', 'DOCKER-USER']);
        sh(['iptables', '-F', 'DOCKER-USER']);
        sh(['iptables', '-X', 'DOCKER-USER']);
      }
    });
    coexistenceChecks(root, () => far!, 'DROP');
  });
});
