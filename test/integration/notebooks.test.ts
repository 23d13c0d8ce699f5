import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerIds, isRoot, REPO, useRoot } from '../helpers.js';

/**
 * The notebooks, executed headless as CI and a user's Jupyter would run them
 * (nbconvert with the tslab kernel, into a temp folder: the committed
 * notebooks stay clean), then read back: the outputs must be the real ones
 * (the container's hostname, two different network namespaces, the SVG).
 */
const NOTEBOOKS = join(REPO, 'notebooks');
const JUPYTER_PATH = join(REPO, '.jupyter', 'share', 'jupyter');
const NB_MS = 240_000;

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
}
const joined = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join('') : (s ?? ''));

/** What a cell printed and displayed. */
interface Shown {
  stdout: string;
  stderr: string;
  html: string;
  svg: string;
}

function shown(outputs: Output[] = []): Shown {
  const r: Shown = { stdout: '', stderr: '', html: '', svg: '' };
  for (const o of outputs) {
    if (o.output_type === 'stream') r[o.name === 'stderr' ? 'stderr' : 'stdout'] += joined(o.text);
    if (o.data?.['text/html']) r.html += joined(o.data['text/html']);
    if (o.data?.['image/svg+xml']) r.svg += joined(o.data['image/svg+xml']);
  }
  return r;
}

/** The code cells of an executed notebook, each with its source and what it showed. */
function codeCells(file: string): (Shown & { source: string })[] {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as { cells: Cell[] };
  return nb.cells.filter((c) => c.cell_type === 'code').map((c) => ({ source: joined(c.source), ...shown(c.outputs) }));
}

/** The one code cell whose source holds `text`. */
function cell(cells: (Shown & { source: string })[], text: string): Shown & { source: string } {
  const found = cells.filter((c) => c.source.includes(text));
  if (found.length !== 1) throw new Error(`${found.length} cells hold ${JSON.stringify(text)}`);
  return found[0]!;
}

/** The cells of a table row (by its first cell's text), as text. */
function tableRow(html: string, first: string): string[] {
  const row = html.split('<tr>').find((r) => r.replace(/<[^>]+>/g, '').startsWith(first));
  if (!row) throw new Error(`no row ${JSON.stringify(first)} in ${html.slice(0, 300)}…`);
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
}

describe.skipIf(!isRoot)('notebooks, executed headless with the tslab kernel', () => {
  const root = useRoot();
  const out = mkdtempSync(join(tmpdir(), 'glass-notebooks-out-'));
  const files = readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort();
  const runs = new Map<string, { exitCode: number; stderr: string; ms: number }>();

  beforeAll(async () => {
    // All six at once, as six kernels: each must finish well inside a minute.
    await Promise.all(
      files.map(async (f) => {
        const started = Date.now();
        const r = await execa('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.kernel_name=tslab', '--ExecutePreprocessor.timeout=120', '--output-dir', out, join(NOTEBOOKS, f)], {
          env: { JUPYTER_PATH, GLASS_ROOT: root },
          reject: false,
          timeout: NB_MS,
        });
        runs.set(f, { exitCode: r.exitCode ?? -1, stderr: r.stderr, ms: Date.now() - started });
      }),
    );
    return () => rmSync(out, { recursive: true, force: true });
  }, NB_MS);

  it('there are the six notebooks, and every one ran top to bottom without a failing cell', () => {
    expect(files).toEqual(['01-first-container.ipynb', '02-namespaces.ipynb', '03-union-fs.ipynb', '04-kernel-layer.ipynb', '05-limits.ipynb', '06-networking.ipynb']);
    for (const f of files) {
      const r = runs.get(f)!;
      expect(r.exitCode, `${f}: ${r.stderr.slice(-2000)}`).toBe(0);
      expect(r.ms, `${f} took ${r.ms} ms`).toBeLessThan(60_000 * 3); // under a minute each alone; six at once share the CPU
      for (const c of codeCells(join(out, f))) expect(c.stderr, `${f}: ${c.source.slice(0, 80)}`).toBe('');
    }
    // They removed what they made.
    expect(containerIds(root)).toEqual([]);
  });

  it('1: create, start, output and exit code, the Steps as a table, the hostname cell prints the container\'s hostname', () => {
    const cells = codeCells(join(out, '01-first-container.ipynb'));
    const created = cell(cells, 'engine.containers.create(');
    const host = /^hostname: ([0-9a-f]{12}) /m.exec(created.stdout)?.[1];
    expect(host).toBeDefined();
    expect(created.stdout).toContain('status:   created');
    const started = cell(cells, 'engine.containers.start(');
    expect(started.stdout).toBe(`stdout:    "hello from ${host}\\n"\nstderr:    "and a line on stderr\\n"\nexit code: 3\n`);
    expect(cell(cells, 'console.log(view.status').stdout).toMatch(/^exited with exit code 3 at \d{4}-/);
    // The trace: an HTML table with the shim's clone, the overlay mount and the exec.
    const steps = cell(cells, 'await glass.show([...created, ...started]);').html;
    expect(steps).toContain('<table class="glass-table">');
    for (const t of ['Create the container process in new namespaces', 'Mount the overlay root filesystem', 'Switch the root filesystem with pivot_root']) expect(steps).toContain(t);
    expect(steps).toMatch(/mount -t overlay overlay -o (nodev,)?lowerdir=/); // nodev: the device defence (native/README.md)
    expect(cell(cells, 'glass.chart(').svg).toMatch(/^<svg[\s\S]*Steps over time/);
    expect(cell(cells, 'engine.containers.remove(').stdout).toBe('containers of this notebook left: 0\n');
    expect(cell(cells, 'glass.run("echo I am').stdout).toMatch(/^I am [0-9a-f]{12}\n\(exit code 3; \d+ steps/);
    // glass.sh`run --rm busybox hostname`: the container's hostname (its short id), not the host's; the trace's hostname step agrees.
    const hello = cell(cells, 'glass.sh`run --rm busybox hostname`').stdout.split('\n')[0]!;
    expect(hello).toMatch(/^[0-9a-f]{12}$/);
    expect(hello).not.toBe(hostname());
    expect(cell(cells, 'await glass.show(hello);').html).toContain(`<code>hostname ${hello}</code>`);
    expect(cell(cells, 'no-such-image').stdout).toBe(
      "glass: No such image: no-such-image. Unable to find image 'no-such-image:latest' locally: pull it first ('glass pull no-such-image:latest'), or import one ('glass import')\nglass: unknown flag: --no-such-flag\n",
    );
  });

  it('2: the host and two containers side by side: hostnames, PIDs, two different net namespace inodes; the process tree picture', () => {
    const cells = codeCells(join(out, '02-namespaces.ipynb'));
    const table = cell(cells, 'glass.compare(').html;
    const net = tableRow(table, 'net namespace inode').slice(1);
    expect(net).toHaveLength(3);
    expect(net.every((n) => /^\d+$/.test(n))).toBe(true);
    expect(new Set(net).size).toBe(3); // host, alpha, beta: three network namespaces
    const [hostHostname, ...names] = tableRow(table, 'hostname (UTS namespace)').slice(1);
    expect(hostHostname).toBe(hostname());
    for (const n of names) expect(n).toMatch(/^[0-9a-f]{12}$/);
    expect(tableRow(table, 'the same process, its PID as it sees itself').slice(2)).toEqual(['1', '1']);
    const user = tableRow(table, 'user namespace inode').slice(1);
    expect(new Set(user).size).toBe(1); // still the host's
    const tree = cell(cells, 'glass.processTree(').svg;
    expect(tree).toMatch(/^<svg /);
    expect(tree.match(/PID 1 inside/g)).toHaveLength(2);
    expect(tree).toContain('glass-shim (the monitor)');
    expect(tree).toContain('sleep 600');
    const pids = cell(cells, 'glass.pids(').html;
    expect(pids).toContain('PID in the container');
    expect(cell(cells, 'readlinkSync(`/proc/${pid}/ns/net`)').stdout).toMatch(/NSpid:\s+\d+\s+1\n/);
    expect(cell(cells, 'glass.cgroup(').html).toContain('cgroup.procs');
    expect(cell(cells, 'glass.mounts(').html).toMatch(/<code>\/<\/code><\/td><td[^>]*>overlay</);
    expect(cell(cells, 'glass.sample(').svg).toContain('processes in nb2-gamma');
  });

  it('3: the upperdir with its whiteout, the layer stack, another container sees none of it, export, a volume from the host\'s side', () => {
    const cells = codeCells(join(out, '03-union-fs.ipynb'));
    const upper = cell(cells, 'glass.upperdir(').html;
    expect(tableRow(upper, '/bin/vi')[1]).toBe('whiteout: deleted from a lower layer');
    expect(tableRow(upper, '/root/notes.txt')[1]).toBe('file (new or changed: copied up)');
    expect(tableRow(upper, '/etc/passwd')[1]).toBe('file (new or changed: copied up)');
    expect(cell(cells, 'execFileSync("ls", ["-l"').stdout).toMatch(/^c---------\s+\d+ root root 0, 0 .* vi$/m);
    expect(cell(cells, 'lowerPasswd').stdout).toContain('the new line: learner:x:1000:1000::/home/learner:/bin/sh');
    const stack = cell(cells, 'glass.overlayStack(').svg;
    for (const t of ['merged — what the container sees as /', 'upperdir — the container’s own changes', 'lowerdir 1', '✗ /bin/vi (whiteout: deleted)', '+ /root/notes.txt']) expect(stack).toContain(t);
    const other = cell(cells, 'const other = await glass.run(').stdout;
    expect(other).toContain("cat: can't open '/root/notes.txt': No such file or directory");
    expect(other).toMatch(/^\/bin\/vi$/m);
    expect(cell(cells, 'export -o').stdout).toMatch(/root\/notes.txt in the tar: true\nbin\/vi in the tar:\s+false\n$/);
    // diff and commit: Docker's lines from the upperdir; the new image stacks its layer on busybox's very directory, the whiteout kept.
    const layers = cell(cells, 'containers.changes(').stdout.split('\n');
    expect(layers.slice(0, 9)).toEqual(['C /bin', 'D /bin/vi', 'C /etc', 'C /etc/passwd', 'C /root', 'A /root/notes.txt', 'C /tmp', 'A /tmp/done', "nb3-snap:1 stacks 2 layers; the lower one is busybox's own directory: true"]);
    expect(layers[9]).toMatch(/^in the new layer: c---------\s+\d+ root root 0, 0 .* vi$/);
    expect(layers[10]).toMatch(/^[0-9a-f]{12}  \d+ bytes  made in notebook 3$/);
    // A volume: its files on the host, in no layer; its mount inside the container only.
    expect(cell(cells, 'nb3-data:/data').stdout).toBe("Mountpoint: <root>/volumes/nb3-data/_data\nthe note, read on the host: kept outside the layers\ndata/note in the container's upperdir: false\n");
    expect(cell(cells, 'keeperPid').stdout).toMatch(/^inside the container: \S*\/volumes\/nb3-data\/_data mounted on \/data\nlines for it in the host's mount table: 0\n$/);
  });

  it('5: memory read from the cgroup climbing to -m 32m until the OOM kill; CPU under --cpus 0.5 from the usage counter', () => {
    const cells = codeCells(join(out, '05-limits.ipynb'));
    const mem = cell(cells, 'nb5-hog');
    expect(mem.stdout).toMatch(/^limit 32 MiB; \d+ samples; highest usage (2\d|3[0-2])\.\d MiB\n$/);
    expect(mem.svg).toMatch(/^<svg[\s\S]*Memory of nb5-hog, read from its cgroup, until the OOM kill/);
    expect(cell(cells, 'containers.wait(hog.id)').stdout).toBe('OOMKilled: true, exit code 137 (128 + 9: SIGKILL)\n');
    const cpu = cell(cells, 'nb5-busy');
    expect(cpu.stdout).toMatch(/(cpu\.cfs_quota_us 50000 per cpu\.cfs_period_us 100000|cpu\.max: 50000 100000)\nmean \d+\.\d% of one CPU over \d+ intervals\n/);
    // A cap: never above it (the last interval may catch a little of the next period's quota).
    expect(Number(/mean (\d+\.\d)%/.exec(cpu.stdout)![1])).toBeLessThan(60);
    expect(cpu.svg).toContain('CPU of nb5-busy under --cpus 0.5');
  });

  it('6: the topology drawn from the kernel, the rules and a packet\'s walk, a real fetch through the published port, and nothing left', () => {
    const cells = codeCells(join(out, '06-networking.ipynb'));
    const started = cell(cells, 'networks.create(').stdout;
    const [, subnet, bridge] = /^network nb6-net: (\d+\.\d+\.\d+\.\d+\/\d+), bridge (glb-[0-9a-f]{6})\n/.exec(started) ?? [];
    expect(bridge).toBeDefined();
    const port = /^nb6-web publishes 80\/tcp on 127\.0\.0\.1:(\d+)$/m.exec(started)?.[1];
    expect(Number(port)).toBeGreaterThan(1023);
    const net16 = subnet!.split('.').slice(0, 2).join('.'); // nb6-web's address starts so ("172.18")
    const net16re = net16.replace('.', '\\.');
    // The picture: both bridges, three veth pairs (host end and eth0, paired by the kernel's indexes), the published port.
    const svg = cell(cells, 'glass.networkTopology(').svg;
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain(`bridge ${bridge} (if`);
    expect(svg).toMatch(/bridge gl[0-9a-f]{6} \(if\d+\) UP<\/text><text [^>]*>network bridge · gateway \d+\.\d+\.\d+\.1\/\d+</);
    expect(svg.match(/veth[0-9a-f]{7}@if\d+ \(if\d+\) UP/g)).toHaveLength(3);
    expect(svg.match(/eth0@if\d+ \(if\d+\) UP/g)).toHaveLength(3);
    expect(svg).not.toContain('not found');
    for (const n of ['nb6-web', 'nb6-client', 'nb6-solo']) expect(svg).toMatch(new RegExp(`${n}: net:\\[\\d+\\], pid \\d+`));
    expect(svg).toContain(`127.0.0.1:${port} → nb6-web ${net16}.`);
    // The rules from iptables-save and the walk through them.
    const rules = cell(cells, 'glass.natRules(').html;
    expect(rules).toContain(`--dport ${port} -j DNAT --to-destination ${net16}.`);
    expect(rules).toContain('-m addrtype --dst-type LOCAL -j GLASS-DNAT');
    const walk = cell(cells, 'glass.packetPath(').html;
    expect(walk).toContain('-A OUTPUT -m addrtype --dst-type LOCAL -j GLASS-DNAT');
    expect(walk).toMatch(new RegExp(`-A GLASS-DNAT -d 127\\.0\\.0\\.1/32 ! -i ${bridge} -p tcp -m tcp --dport ${port} -j DNAT --to-destination ${net16re}\\.`));
    expect(walk).toContain(`-A GLASS-POSTROUTING -s 127.0.0.0/8 -o ${bridge} -j MASQUERADE`);
    expect(walk).toMatch(new RegExp(`ip route get ${net16re}\\.[\\d.]+ → dev ${bridge} src ${subnet!.replace(/0\/\d+$/, '1')}`));
    expect(walk).not.toContain('not found');
    // The real fetch, and conntrack's entry for it: the reply tuple comes from the container's address.
    const fetched = cell(cells, 'http.get(');
    expect(fetched.stdout).toBe(`GET http://127.0.0.1:${port}/ -> 200: hello from nb6-web\n`);
    expect(tableRow(fetched.html, 'tcp')[2]).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${port}$`));
    expect(tableRow(fetched.html, 'tcp')[3]).toMatch(new RegExp(`^${net16re}\\.[\\d.]+:80 → ${net16re}\\.[\\d.]+:\\d+$`));
    expect(cell(cells, 'glass.cleanup()').stdout).toBe(`containers removed: 3; networks of this notebook left: 0\nrules of these containers and nb6-net left: 0; bridge ${bridge} left: false\n`);
  });

  it('4: a container from the kernel layer, step by step, ending in a shell command run inside', () => {
    const cells = codeCells(join(out, '04-kernel-layer.ipynb'));
    expect(cell(cells, 'cgroupDriver()').html).toContain('Create the container');
    const launch = cell(cells, 'launchShim(');
    expect(launch.html).toContain('Create the container process in new namespaces');
    expect(launch.html).toContain('Mount the overlay root filesystem');
    expect(cell(cells, 'const code = await attachment!.exited()').stdout).toMatch(/^hello from by-hand, PID 1\nmy cgroup: [^\n]*:\/\nbin\n[\s\S]*\nexit code: 0\n$/);
    const after = cell(cells, 'readExitSteps(dir)');
    expect(after.stdout).toContain('cgroup still there: false');
    expect(after.html).toContain('<table class="glass-table">');
    expect(cell(cells, 'rmSync(dir').stdout).toBe('state dir removed: true\n');
  });
});

