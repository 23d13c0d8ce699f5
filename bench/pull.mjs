#!/usr/bin/env node
// Benchmark: how long does `glass pull` of a big multi-layer image take from
// a registry on this machine, next to `skopeo copy docker://... oci:DIR` of
// the same image, in the same run (a VM's speed drifts)?
//
// Builds an image of about 60 MB (busybox plus five layers of incompressible
// data, made locally: no internet), starts Debian's docker-registry on a free
// loopback port, pushes the image with skopeo, then N times (default 5),
// alternating which goes first:
//   glass --root FRESH pull HOST/bench/big:v1     (download, verify every digest, unpack each layer)
//   skopeo copy docker://HOST/bench/big:v1 oci:FRESH_DIR:v1   (download and verify, no unpacking)
//   the same skopeo copy, then umoci unpack of it into a rootfs  (download, verify and unpack, as glass)
// and prints the medians and the ratios (glass/skopeo, glass/skopeo+umoci).
// Usage: node bench/pull.mjs [runs] [megabytes]   (as root, glass built; npm run bench:pull)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
// The registry and image fixtures are the tests' own (TypeScript): load them through tsx.
const { register } = await import('tsx/esm/api');
register();
const { startRegistry } = await import('../test/registry.ts');
const { buildOciLayout, bigImage, pushToRegistry } = await import('../test/images.ts');

const runs = Number(process.argv[2] ?? 5);
const megabytes = Number(process.argv[3] ?? 60);
const glass = fileURLToPath(new URL('../bin/glass', import.meta.url));
const scratch = mkdtempSync('/tmp/glass-bench-pull-');
// A client config of its own: no credentials or insecure-registry list of the user's is read.
const env = { ...process.env, GLASS_CONFIG: `${scratch}/config` };

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  const out = run(cmd, args);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
}

const stats = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9) };
};

let registry;
const loadBefore = loadavg()[0];
try {
  const layout = `${scratch}/layout`;
  let t0 = Date.now();
  const img = buildOciLayout(layout, 'v1', bigImage(megabytes));
  const mb = img.layersSize / 1e6;
  console.log(`image: ${img.layers.length} layers, ${mb.toFixed(1)} MB compressed (built in ${Date.now() - t0} ms)`);
  registry = await startRegistry({ logLevel: 'error' });
  t0 = Date.now();
  await pushToRegistry(layout, 'v1', registry.host, 'bench/big:v1');
  console.log(`registry: docker-registry on ${registry.host}, image pushed by skopeo in ${Date.now() - t0} ms`);
  const ref = `${registry.host}/bench/big:v1`;

  const glassPull = (i) => {
    const root = `${scratch}/root-${i}`;
    try {
      const r = timed(glass, ['--root', root, '--no-color', 'pull', ref]);
      if (!r.out.includes(`Status: Downloaded newer image for ${ref}`)) throw new Error(`glass pull printed:\n${r.out}`);
      return r.ms;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  const skopeoCopy = (i) => {
    const dir = `${scratch}/oci-${i}`;
    try {
      return timed('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:v1`]).ms;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  // skopeo stores the blobs only; a container needs them unpacked, as glass does: umoci unpack is that step.
  const skopeoUmoci = (i) => {
    const dir = `${scratch}/oci-u-${i}`;
    const bundle = `${scratch}/bundle-${i}`;
    try {
      const copy = timed('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:v1`]).ms;
      return copy + timed('umoci', ['unpack', '--image', `${dir}:v1`, bundle]).ms;
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(bundle, { recursive: true, force: true });
    }
  };

  // Warm-up (page cache, first start of each program), not counted.
  glassPull('warm');
  skopeoCopy('warm');
  skopeoUmoci('warm');
  const g = [];
  const s = [];
  const u = [];
  for (let i = 0; i < runs; i++) {
    // Each round in another order, so a drift in the machine's speed favours none of them.
    const round = [() => g.push(glassPull(i)), () => s.push(skopeoCopy(i)), () => u.push(skopeoUmoci(i))];
    for (let k = 0; k < i % 3; k++) round.push(round.shift());
    for (const f of round) f();
  }
  const line = (label, x) =>
    console.log(`${label.padEnd(48)} median ${x.median.toFixed(0)} ms   p10 ${x.p10.toFixed(0)} ms   p90 ${x.p90.toFixed(0)} ms   ${(mb / (x.median / 1000)).toFixed(0)} MB/s   (n=${runs})`);
  const gs = stats(g);
  const ss = stats(s);
  const us = stats(u);
  line('glass pull (fresh root: download, verify, unpack)', gs);
  line('skopeo copy docker:// oci: (download, verify)', ss);
  line('skopeo copy + umoci unpack (the same, unpacked)', us);
  console.log(`ratio glass/skopeo: ${(gs.median / ss.median).toFixed(2)}   glass/(skopeo+umoci): ${(gs.median / us.median).toFixed(2)}`);
  // Other work on the machine slows every figure: compare within one run.
  console.log(`load average (1 min) before and after: ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
} finally {
  await registry?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
