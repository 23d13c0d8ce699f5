#!/usr/bin/env node
// Benchmark: what a published port costs. A busybox httpd in a glass container
// on -p PORT:80 serves a big file (throughput) and a tiny one (connection rate:
// a new TCP connection per request). Three ways to it:
//   loopback  127.0.0.1:PORT on the host        (OUTPUT DNAT + route_localnet + MASQUERADE)
//   dnat      the host's address on a veth, from a network namespace this bench makes
//             (PREROUTING DNAT, then FORWARD: what another machine would see)
//   direct    the container's own address, from the host (no NAT: the baseline)
// Prints medians (MB/s, connections/s) and each path's ratio to direct.
// Docker's default path for loopback is a docker-proxy process per port; glass
// has none (iptables only, as Docker with --userland-proxy=false).
// Usage: node bench/net.mjs [rounds]     (as root, glass built)
//        node bench/net.mjs --client URL_BIG URL_SMALL ROUNDS CONNS   (internal: the client, run in the namespace)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';

const BIG_MB = 64;
const CONNS = 200;

function fetchAll(url) {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      let n = 0;
      res.on('data', (c) => (n += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${url}: timeout`)));
    req.on('error', reject);
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** rounds of: one big download (MB/s) and CONNS sequential small GETs, each on a new connection (conn/s). */
async function client(big, small, rounds, conns) {
  const mbps = [];
  const cps = [];
  await fetchAll(small); // warm-up (ARP, conntrack)
  for (let r = 0; r < rounds; r++) {
    let t = process.hrtime.bigint();
    const bytes = await fetchAll(big);
    mbps.push(bytes / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9));
    t = process.hrtime.bigint();
    for (let i = 0; i < conns; i++) await fetchAll(small);
    cps.push(conns / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  return { mbps: median(mbps), cps: median(cps) };
}

if (process.argv[2] === '--client') {
  const [big, small, rounds, conns] = process.argv.slice(3);
  console.log(JSON.stringify(await client(big, small, Number(rounds), Number(conns))));
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? 5);
const glass = fileURLToPath(new URL('../bin/glass', import.meta.url));
const self = fileURLToPath(import.meta.url);
const root = mkdtempSync('/tmp/glass-bench-');
const hex = randomBytes(3).toString('hex');
const NETNS = `glass-test-bn${hex}`;
const VETH = `vethb${hex}`;
const PEER = `vpb${hex}`;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/** A /30 for the veth that no host route uses. */
function freeSlash30() {
  const routes = run('ip', ['-4', 'route', 'show']);
  for (let c = 0; c < 250; c++) {
    const prefix = `10.231.${(parseInt(hex.slice(0, 2), 16) + c) % 250}`;
    if (!routes.includes(`${prefix}.`)) return [`${prefix}.1`, `${prefix}.2`];
  }
  throw new Error('no free /30 for the bench namespace');
}

function report(label, r, base) {
  const ratio = (a, b) => (b ? (a / b).toFixed(2) : '-');
  console.log(
    `${label.padEnd(44)} ${r.mbps.toFixed(0).padStart(6)} MB/s  ${r.cps.toFixed(0).padStart(6)} conn/s` +
      (base ? `   ratio to direct: throughput ${ratio(r.mbps, base.mbps)}, connections ${ratio(r.cps, base.cps)}` : ''),
  );
}

let made = false;
try {
  // A free host port: the kernel picks it, then it is let go for the container.
  const port = Number(run(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'0.0.0.0',()=>{console.log(s.address().port);s.close()})"]));
  const web = run(glass, [
    '--root', root, 'run', '-d', '-p', `${port}:80`, 'busybox', 'sh', '-c',
    `mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=${BIG_MB} 2>/dev/null && echo ok > /www/small && exec httpd -f -p 80 -h /www`,
  ]);
  const ip = run(glass, ['--root', root, 'inspect', web, '--format', '{{.NetworkSettings.IPAddress}}']);
  const [hostIp, nsIp] = freeSlash30();
  run('ip', ['netns', 'add', NETNS]);
  made = true;
  run('ip', ['link', 'add', VETH, 'type', 'veth', 'peer', 'name', PEER]);
  run('ip', ['link', 'set', PEER, 'netns', NETNS]);
  run('ip', ['addr', 'add', `${hostIp}/30`, 'dev', VETH]);
  run('ip', ['link', 'set', VETH, 'up']);
  run('ip', ['-n', NETNS, 'addr', 'add', `${nsIp}/30`, 'dev', PEER]);
  run('ip', ['-n', NETNS, 'link', 'set', PEER, 'up']);
  run('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  // httpd needs a moment (and the 64 MB file) before it answers.
  for (let i = 0; i < 100; i++) {
    try {
      await fetchAll(`http://${ip}/small`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  console.log(`glass container ${web.slice(0, 12)} at ${ip}, published on port ${port}; ${rounds} rounds of a ${BIG_MB} MB download and ${CONNS} new connections`);
  const direct = await client(`http://${ip}/big`, `http://${ip}/small`, rounds, CONNS);
  const loop = await client(`http://127.0.0.1:${port}/big`, `http://127.0.0.1:${port}/small`, rounds, CONNS);
  const dnat = JSON.parse(run('ip', ['netns', 'exec', NETNS, process.execPath, self, '--client', `http://${hostIp}:${port}/big`, `http://${hostIp}:${port}/small`, String(rounds), String(CONNS)]));
  report(`direct  ${ip}:80 (no NAT)`, direct);
  report(`loopback 127.0.0.1:${port} (OUTPUT DNAT)`, loop, direct);
  report(`dnat    ${hostIp}:${port} from a netns`, dnat, direct);
} finally {
  try {
    execFileSync(glass, ['--root', root, 'rm', '-f', ...run(glass, ['--root', root, 'ps', '-aq']).split('\n').filter(Boolean)], { stdio: 'ignore' });
  } catch { /* none */ }
  if (made) {
    try {
      execFileSync('ip', ['link', 'del', VETH], { stdio: 'ignore' });
    } catch { /* gone with the namespace */ }
    execFileSync('ip', ['netns', 'del', NETNS], { stdio: 'ignore' });
  }
  rmSync(root, { recursive: true, force: true });
}
