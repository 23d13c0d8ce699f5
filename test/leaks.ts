import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a glass test run may leave on the host, and must not: mounts, cgroup
 * directories, shim or container processes, network interfaces (veths,
 * bridges), iptables rules and chains (glass's GLASS-* chains, the jumps to
 * them, rules tagged `glass:<root>`), named network namespaces a test made
 * (`ip netns add glass-test-...`), and test state roots.
 */
export interface HostSnapshot {
  mounts: string[];
  cgroups: string[];
  processes: string[];
  links: string[];
  iptables: string[];
  /** Named network namespaces (/run/netns, what `ip netns list` shows) whose name starts with "glass". */
  netns: string[];
  roots: string[];
}

/** Prefix of the network namespaces tests make ("another host" for traffic): `ip netns add glass-test-<x>`. */
export const TEST_NETNS_PREFIX = 'glass-test-';

function glassNetns(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith('glass'));
  } catch {
    return [];
  }
}

export const TEST_ROOT_PREFIX = '/tmp/glass-test-';

/** Marks glass's parent cgroup left empty: a leak of the whole run, not of one root (leaksOf skips it). */
const PARENT_LEAK = '(glass\'s parent cgroup, left empty)';

function hasChildDir(dir: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).some((d) => d.isDirectory());
  } catch {
    return true; // gone meanwhile: nothing to report
  }
}

function cgroupDirs(): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 3) return;
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      try {
        if (!statSync(p).isDirectory()) continue;
      } catch {
        continue;
      }
      // glass's parent cgroup ("glass", runtime/kernel/cgroup/driver.ts GLASS_PARENT) is removed
      // with its last container: left empty, it is a leak (listed as PARENT_LEAK). While it holds
      // containers it is not listed itself (other files' containers may be in it); each container's
      // cgroup below it is, on its own.
      if (e === 'glass') {
        if (!hasChildDir(p)) out.push(`${p} ${PARENT_LEAK}`);
      } else if (e.includes('glass')) out.push(p);
      walk(p, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 1);
  return out;
}

function glassProcesses(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmd.includes('glass-shim') || cmd.includes(TEST_ROOT_PREFIX)) out.push(`${pid} ${cmd}`);
    } catch { /* exited */ }
  }
  return out;
}

/**
 * Every rule and user-defined chain, as "table: line"; none when iptables is
 * not installed. Built-in chains are left out: they appear as soon as anything
 * loads a table, which is no leak.
 */
function iptablesRules(): string[] {
  let out = '';
  try {
    out = execFileSync('iptables-save', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  let table = '';
  const rules: string[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ') || /^:\S+ - /.test(line)) rules.push(`${table}: ${line.replace(/ \[\d+:\d+\]$/, '')}`);
  }
  return rules;
}

/**
 * A glass volume's directory bind-mounted anywhere on the host. /proc/self/mounts
 * names only the device of a bind mount; mountinfo's fourth field is the
 * directory mounted, so a volume mounted outside a glass root shows there.
 */
function volumeMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length > 4 && f[3]!.includes('glass') && /\/volumes\/[^/]+\/_data/.test(f[3]!))
    .map((f) => `${f[4]} (a bind mount of the volume directory ${f[3]})`);
}

export function snapshot(): HostSnapshot {
  const mounts = [...readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes('glass')), ...volumeMounts()];
  const roots = readdirSync('/tmp').map((e) => `/tmp/${e}`).filter((p) => p.startsWith(TEST_ROOT_PREFIX));
  return { mounts, cgroups: cgroupDirs(), processes: glassProcesses(), links: readdirSync('/sys/class/net'), iptables: iptablesRules(), netns: glassNetns(), roots };
}

/** Things present now that were not in `before`. */
export function leaksSince(before: HostSnapshot, after: HostSnapshot): string[] {
  const diff = (a: string[], b: string[]) => b.filter((x) => !a.includes(x));
  const pidless = (xs: string[]) => xs.map((x) => x.replace(/^\d+ /, ''));
  return [
    ...diff(before.mounts, after.mounts).map((m) => `mount: ${m}`),
    ...diff(before.cgroups, after.cgroups).map((c) => `cgroup: ${c}`),
    ...diff(pidless(before.processes), pidless(after.processes)).map((p) => `process: ${p}`),
    ...diff(before.links, after.links).map((l) => `network interface: ${l}`),
    ...diff(before.iptables, after.iptables).map((r) => `iptables rule: ${r}`),
    ...diff(before.netns ?? [], after.netns ?? []).map((n) => `network namespace: ${n}`),
    ...diff(before.roots, after.roots).map((r) => `state root: ${r}`),
  ];
}

/**
 * leaksSince, for a check in the middle of the suite while other test files
 * run beside it: only what could be this root's. Cgroups of containers that
 * still have a directory under another test root, and processes or mounts
 * naming another test root, belong to those files.
 */
export function leaksOf(root: string, before: HostSnapshot, after: HostSnapshot): string[] {
  const others = after.roots.filter((r) => r !== root);
  const liveElsewhere = (line: string) => {
    const id = /glass-([0-9a-f]{64})/.exec(line)?.[1];
    return !!id && others.some((r) => existsSync(`${r}/containers/${id}`));
  };
  // Networking: a root's bridge is gl<6 hex of sha256(root)>, its rules carry glass:<those 6 hex>[:<container>],
  // a container's host veth is veth<7 hex of its id>. glass's chains and the jumps to them are shared by every
  // root: another root's rule in them makes them its too.
  const hash = (r: string) => createHash('sha256').update(r).digest('hex').slice(0, 6);
  const otherHashes = new Set(others.map(hash));
  const tagOf = (line: string) => /--comment "?glass:([0-9a-f]{6})/.exec(line)?.[1];
  const othersHaveRules = after.iptables.some((l) => { const t = tagOf(l); return !!t && otherHashes.has(t); });
  const otherIds = () => others.flatMap((r) => { try { return readdirSync(`${r}/containers`); } catch { return []; } });
  const networkOfOthers = (line: string) => {
    const link = /^network interface: (\S+)/.exec(line)?.[1];
    if (link) {
      if (/^gl[0-9a-f]{6}$/.test(link)) return otherHashes.has(link.slice(2));
      if (/^veth[0-9a-f]{7}$/.test(link)) return otherIds().some((id) => id.startsWith(link.slice(4)));
      if (link.startsWith('glb-')) return others.some((r) => { try { return readdirSync(`${r}/networks`).length > 0; } catch { return false; } });
      return false;
    }
    if (line.startsWith('iptables rule:')) {
      const t = tagOf(line);
      if (t) return otherHashes.has(t);
      return line.includes('GLASS-') && othersHaveRules;
    }
    return false;
  };
  return leaksSince(before, after).filter((l) => {
    if (l.startsWith('state root:') || l.endsWith(PARENT_LEAK)) return false;
    // A test's named network namespace names no root: the suite's final check (leaksSince) catches those.
    if (l.startsWith('network namespace:')) return false;
    // A process or mount of this root names it; those of other files name theirs.
    if (l.startsWith('process:') || l.startsWith('mount:')) return l.includes(root);
    return !liveElsewhere(l) && !networkOfOthers(l);
  });
}

/**
 * leaksOf, settled: what stays a leak for `ms` (polling every 100 ms). Other
 * files' containers are made and removed one hierarchy at a time (mkdir and
 * rmdir in each tree), and some live in roots of their own (a lesson's private
 * root, a notebook's): caught half-way, their cgroups look like this root's
 * for a moment. Ours stay; theirs come and go.
 */
export async function settledLeaksOf(root: string, before: HostSnapshot, ms = 3000): Promise<string[]> {
  let leaks = leaksOf(root, before, snapshot());
  for (const end = Date.now() + ms; leaks.length && Date.now() < end; ) {
    await new Promise((r) => setTimeout(r, 100));
    const now = new Set(leaksOf(root, before, snapshot()));
    leaks = leaks.filter((l) => now.has(l));
  }
  return leaks;
}
