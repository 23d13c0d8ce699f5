#!/usr/bin/env node
// Benchmark: how long does `glass build` of one Dockerfile take cold (every
// step runs: --no-cache) and as a cached rebuild (nothing changed: every
// step comes from the cache), and the same two builds with Docker's classic
// builder (DOCKER_BUILDKIT=0) where a docker engine answers, in the same run
// (a VM's speed drifts)?
//
// The Dockerfile is a small application's: busybox, ENV, WORKDIR, a COPY of
// a context of 64 files (1 MB), three RUN steps that work on those files,
// LABEL and CMD: nine steps, three containers run, two layers copied.
// Each round, alternating which goes first:
//   glass build --no-cache -q CONTEXT     (cold: every step runs)
//   glass build -q CONTEXT                (cached: every step from the cache)
//   docker build --no-cache -q CONTEXT    (DOCKER_BUILDKIT=0; only when `docker info` answers)
//   docker build -q CONTEXT
// and prints the medians and the ratios glass/docker.
// Usage: node bench/build.mjs [runs]   (as root, glass built; npm run bench:build)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 5);
const glass = fileURLToPath(new URL('../bin/glass', import.meta.url));
const scratch = mkdtempSync('/tmp/glass-bench-build-');
const root = `${scratch}/root`;
const context = `${scratch}/context`;
const tag = `glass-bench-build:${process.pid}`;

const DOCKERFILE = `FROM busybox
ENV APP_HOME=/app MODE=bench
WORKDIR /app
COPY src/ /app/src/
RUN mkdir -p /app/out && cat /app/src/* | gzip -1 > /app/out/all.gz
RUN sha256sum /app/src/* > /app/out/sums && wc -l /app/out/sums
RUN chown -R 1000:1000 /app/out && ls -ln /app/out
LABEL org.opencontainers.image.title=bench
CMD ["sh", "-c", "ls -l /app/out"]
`;

function writeContext() {
  mkdirSync(`${context}/src`, { recursive: true });
  writeFileSync(`${context}/Dockerfile`, DOCKERFILE);
  writeFileSync(`${context}/.dockerignore`, '*.tmp\n');
  for (let i = 0; i < 64; i++) writeFileSync(`${context}/src/file-${String(i).padStart(2, '0')}.bin`, randomBytes(16 * 1024));
  writeFileSync(`${context}/scratch.tmp`, 'ignored\n');
}

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function timed(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const out = run(cmd, args, env);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
}

const stats = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9) };
};

function dockerAnswers() {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

const loadBefore = loadavg()[0];
const docker = dockerAnswers();
const dockerEnv = { ...process.env, DOCKER_BUILDKIT: '0' };
/** Every image docker built here: each --no-cache build leaves the one before untagged, so all are removed at the end. */
const dockerImages = new Set();
try {
  writeContext();
  // Warm up: the busybox image (built from the host's busybox the first time), then a first build, so the
  // cached rebuild has its cache and the cold one its base image.
  const g = (args) => [glass, ['--root', root, '--no-color', 'build', '-q', '-t', tag, ...args, context]];
  run(...g([]));
  if (docker) dockerImages.add(run('docker', ['build', '-q', '-t', tag, context], dockerEnv).trim());
  console.log(`context: 64 files, ${((64 * 16 * 1024) / 1e6).toFixed(1)} MB; Dockerfile: ${DOCKERFILE.trim().split('\n').length} steps`);
  console.log(docker ? 'docker: answers; classic builder (DOCKER_BUILDKIT=0) in the same run' : 'docker: no docker engine answers here (docker info failed): glass figures only');

  const samples = { 'glass cold': [], 'glass cached': [], 'docker cold': [], 'docker cached': [] };
  for (let i = 0; i < runs; i++) {
    const jobs = [
      ['glass cold', () => timed(...g(['--no-cache']))],
      ['glass cached', () => timed(...g([]))],
    ];
    if (docker) {
      jobs.push(['docker cold', () => timed('docker', ['build', '-q', '--no-cache', '-t', tag, context], dockerEnv)]);
      jobs.push(['docker cached', () => timed('docker', ['build', '-q', '-t', tag, context], dockerEnv)]);
    }
    // Alternate the order, so neither side always runs on a machine the other just warmed (or loaded).
    if (i % 2 === 1) jobs.reverse();
    for (const [name, job] of jobs) {
      const r = job();
      if (!/^sha256:[0-9a-f]{64}\n$/.test(r.out)) throw new Error(`${name}: build -q printed ${JSON.stringify(r.out)}`);
      if (name.startsWith('docker')) dockerImages.add(r.out.trim());
      samples[name].push(r.ms);
    }
  }

  const rows = Object.entries(samples).filter(([, s]) => s.length);
  console.log(`\nn=${runs}, load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`);
  console.log('| | median | p10 | p90 |\n|---|---|---|---|');
  const med = {};
  for (const [name, s] of rows) {
    const st = stats(s);
    med[name] = st.median;
    console.log(`| ${name} | ${st.median.toFixed(0)} ms | ${st.p10.toFixed(0)} ms | ${st.p90.toFixed(0)} ms |`);
  }
  console.log(`\ncached/cold (glass): ${(med['glass cached'] / med['glass cold']).toFixed(2)}`);
  if (docker) {
    console.log(`glass/docker cold: ${(med['glass cold'] / med['docker cold']).toFixed(2)}; cached: ${(med['glass cached'] / med['docker cached']).toFixed(2)}`);
  }
} finally {
  // The images this bench made: in glass, the whole root goes (no container is left by a build); in docker, the tag and its steps.
  spawnSync(glass, ['--root', root, 'image', 'prune', '-a', '-f'], { stdio: 'ignore' });
  // rmi of a built image deletes its untagged parents too (the steps' images), as glass does.
  if (docker) spawnSync('docker', ['rmi', tag, ...dockerImages], { stdio: 'ignore' });
  rmSync(scratch, { recursive: true, force: true });
}
