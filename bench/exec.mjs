#!/usr/bin/env node
// Benchmark: how long does `glass exec C true` take, end to end (CLI start,
// exec shim, setns into the container, fork, exec, exit code back)?
// Starts one container (busybox sleep) on a scratch state root, prints the
// median and spread of N execs (default 20) into it, next to Node's own
// start-up and a whole `glass run --rm busybox true`, and the same for
// `docker exec` into a docker container when a
// docker engine answers (in the same run: a VM's speed drifts).
// Usage: node bench/exec.mjs [runs]     (as root, glass built)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 20);
const glass = fileURLToPath(new URL('../bin/glass', import.meta.url));
const root = mkdtempSync('/tmp/glass-bench-');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  run(cmd, args);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function measure(label, cmd, args) {
  time(cmd, args); // warm-up
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(time(cmd, args));
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  console.log(`${label.padEnd(40)} median ${q(0.5).toFixed(1)} ms   p10 ${q(0.1).toFixed(1)} ms   p90 ${q(0.9).toFixed(1)} ms   (n=${runs})`);
  return q(0.5);
}

let container;
try {
  const node = measure('node -e 0 (Node.js start-up floor)', process.execPath, ['-e', '0']);
  container = run(glass, ['--root', root, 'run', '-d', 'busybox', 'sleep', '100000']);
  const g = measure('glass exec C true', glass, ['--root', root, 'exec', container, 'true']);
  console.log(`glass minus Node start-up: ${(g - node).toFixed(1)} ms`);
  // For scale, in the same run: a whole container (create, start, exit, remove).
  const r = measure('glass run --rm busybox true', glass, ['--root', root, 'run', '--rm', 'busybox', 'true']);
  console.log(`ratio exec/run: ${(g / r).toFixed(2)}`);
  let docker = false;
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    docker = true;
  } catch {
    console.log('docker: not available here, no comparison');
  }
  if (docker) {
    const d = run('docker', ['run', '-d', 'busybox', 'sleep', '100000']);
    try {
      const t = measure('docker exec C true', 'docker', ['exec', d, 'true']);
      console.log(`ratio glass/docker: ${(g / t).toFixed(2)}`);
    } finally {
      spawnSync('docker', ['rm', '-f', d], { stdio: 'ignore' });
    }
  }
} finally {
  if (container) spawnSync(glass, ['--root', root, 'rm', '-f', container], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
}
