#!/usr/bin/env node
// Benchmark: how long does `glass run --rm busybox true` take, end to end?
// Prints the median and spread of N runs (default 20) on a scratch state
// root, and the same for docker/podman when one is installed and working.
// Usage: node bench/start.mjs [runs]
// GLASS_BENCH_BASELINE=/path/to/another/glass/checkout (built) adds that
// glass as a peer in the same run, e.g. the previous release, so a change's
// cost is measured on the same machine at the same moment (a VM's speed drifts).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 20);
const glass = fileURLToPath(new URL('../bin/glass', import.meta.url));
const root = mkdtempSync('/tmp/glass-bench-');

function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

function measure(label, cmd, args) {
  time(cmd, args); // warm-up (builds the busybox image on first use)
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(time(cmd, args));
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  const line = `${label.padEnd(40)} median ${q(0.5).toFixed(1)} ms   p10 ${q(0.1).toFixed(1)} ms   p90 ${q(0.9).toFixed(1)} ms   (n=${runs})`;
  console.log(line);
  return q(0.5);
}

try {
  if (process.env.NODE_EXTRA_CA_CERTS) {
    // bin/glass unsets it (see there): show what it costs a plain Node start.
    measure('node -e 0 with NODE_EXTRA_CA_CERTS', process.execPath, ['-e', '0']);
    delete process.env.NODE_EXTRA_CA_CERTS;
  }
  const node = measure('node -e 0 (Node.js start-up floor)', process.execPath, ['-e', '0']);
  const g = measure('glass run --rm busybox true', glass, ['--root', root, 'run', '--rm', 'busybox', 'true']);
  console.log(`glass minus Node start-up: ${(g - node).toFixed(1)} ms`);
  const baseline = process.env.GLASS_BENCH_BASELINE;
  if (baseline) {
    const baseRoot = mkdtempSync('/tmp/glass-bench-');
    try {
      const b = measure('baseline glass run --rm busybox true', `${baseline}/bin/glass`, ['--root', baseRoot, 'run', '--rm', 'busybox', 'true']);
      console.log(`ratio glass/baseline: ${(g / b).toFixed(2)}`);
    } finally {
      rmSync(baseRoot, { recursive: true, force: true });
    }
  }
  for (const peer of ['docker', 'podman']) {
    try {
      execFileSync(peer, ['info'], { stdio: 'ignore', timeout: 5000 });
    } catch {
      console.log(`${peer}: not available here, no comparison`);
      continue;
    }
    const p = measure(`${peer} run --rm busybox true`, peer, ['run', '--rm', 'busybox', 'true']);
    console.log(`ratio glass/${peer}: ${(g / p).toFixed(2)}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
