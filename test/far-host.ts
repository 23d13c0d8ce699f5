import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * "Another host" for network tests: a network namespace the test makes,
 * joined to the host by a veth pair on a /30 that no host route uses. The
 * host reaches it at `nsIp`; it reaches the host at `hostIp` (the way a
 * machine on the LAN reaches a published port: PREROUTING's DNAT, then
 * FORWARD). Traffic to it never leaves this machine.
 */
export interface FarHost {
  netns: string;
  hostIp: string;
  nsIp: string;
  /** Run a command inside the namespace; its stdout. Throws on failure. */
  run(argv: string[]): string;
  /** A TCP server inside that answers every connection with `<greeting> <client address>\n`. */
  serve(port: number, greeting: string): Promise<void>;
  remove(): void;
}

const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export function makeFarHost(prefix: string): FarHost {
  const hex = randomBytes(3).toString('hex');
  const netns = `glass-test-${prefix}${hex}`;
  const veth = `vf${prefix}${hex}`.slice(0, 13);
  const peer = `${veth}p`;
  const routes = sh(['ip', '-4', 'route', 'show']) + sh(['ip', '-4', 'addr', 'show']);
  let base = '';
  for (let i = 0; i < 1000 && !base; i++) {
    const cand = `10.${200 + (i % 40)}.${parseInt(hex.slice(0, 2), 16)}.${((parseInt(hex.slice(2, 4), 16) + i) * 4) % 256}`;
    if (!routes.includes(cand.split('.').slice(0, 3).join('.') + '.')) base = cand;
  }
  const [a, b, c, d] = base.split('.').map(Number);
  const hostIp = `${a}.${b}.${c}.${d! + 1}`;
  const nsIp = `${a}.${b}.${c}.${d! + 2}`;
  const servers: ChildProcess[] = [];
  const run = (argv: string[]) => sh(['ip', 'netns', 'exec', netns, ...argv]);
  sh(['ip', 'netns', 'add', netns]);
  try {
    sh(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', peer]);
    sh(['ip', 'link', 'set', peer, 'netns', netns]);
    sh(['ip', 'addr', 'add', `${hostIp}/30`, 'dev', veth]);
    sh(['ip', 'link', 'set', veth, 'up']);
    run(['ip', 'addr', 'add', `${nsIp}/30`, 'dev', peer]);
    run(['ip', 'link', 'set', peer, 'up']);
    run(['ip', 'link', 'set', 'lo', 'up']);
  } catch (e) {
    try { sh(['ip', 'netns', 'del', netns]); } catch { /* best effort */ }
    throw e;
  }
  return {
    netns, hostIp, nsIp, run,
    async serve(port, greeting) {
      const server = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e',
        `require('net').createServer((s) => s.end(${JSON.stringify(greeting)} + ' ' + s.remoteAddress.replace('::ffff:', '') + '\\n')).listen(${port}, '0.0.0.0', () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
      servers.push(server);
      await new Promise<void>((ok, fail) => {
        server.stdout!.once('data', () => ok());
        server.once('exit', (code) => fail(new Error(`the far host's server exited (${code})`)));
      });
    },
    remove() {
      for (const s of servers) s.kill('SIGKILL');
      try { sh(['ip', 'link', 'del', veth]); } catch { /* gone with the namespace */ }
      try { sh(['ip', 'netns', 'del', netns]); } catch { /* never made */ }
    },
  };
}
