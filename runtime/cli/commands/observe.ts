import chalk from 'chalk';
import { computeStats, GlassError, isGlassError, shortId, type ContainerStats, type StatsEntry, type XrayReport } from '../../engine/index.js';
import { bool, type Handler } from '../context.js';
import { bytesSize, humanSize, table } from '../format.js';
import { render } from '../template.js';
import { parseListFormat } from './listing.js';

// ---- top ----------------------------------------------------------------------

/** `glass top CONTAINER [ps OPTIONS]`: Docker's table (tabwriter minwidth 20, padding 3). */
export const top: Handler = async (ctx) => {
  const [ref, ...psArgs] = ctx.args;
  const r = await ctx.engine.containers.top(ref!, psArgs);
  ctx.out(table(r.Titles, r.Processes, 20));
  return 0;
};

// ---- stats --------------------------------------------------------------------

/** stats --format fields and their table headers, as Docker names them. */
export const STATS_HEADERS: Record<string, string> = {
  Container: 'CONTAINER', Name: 'NAME', ID: 'CONTAINER ID', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

const DEFAULT_STATS_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

/** One line's fields, as Docker's statsContext prints them (in its {{json .}} order: sorted by name). */
export function statsRecord(e: StatsEntry, container: string, noTrunc: boolean): Record<string, string> {
  const pct = (n: number) => `${n.toFixed(2)}%`;
  return {
    BlockIO: `${humanSize(e.blockRead)} / ${humanSize(e.blockWrite)}`,
    CPUPerc: pct(e.cpuPercent),
    Container: container,
    ID: noTrunc ? e.id : shortId(e.id),
    MemPerc: pct(e.memPercent),
    MemUsage: `${bytesSize(e.memUsage)} / ${bytesSize(e.memLimit)}`,
    Name: e.name || '--',
    NetIO: `${humanSize(e.netRx)} / ${humanSize(e.netTx)}`,
    PIDs: String(e.pids),
  };
}

/** Render the stats lines with a format (Docker's default table unless --format). */
export function formatStats(format: string, records: Record<string, string>[]): string {
  const { isTable, parts } = parseListFormat('stats', format, STATS_HEADERS);
  const lines = records.map((r) => render(parts, r));
  if (!isTable) return lines.map((l) => l + '\n').join('');
  const header = render(parts, new Proxy({}, { get: (_t, k) => STATS_HEADERS[String(k)] ?? String(k).toUpperCase(), has: () => true }));
  return table(header.split('\t'), lines.map((l) => l.split('\t')));
}

interface Watched {
  /** What the user typed (or the short ID of one found by listing): {{.Container}}. */
  ref: string;
  prev?: ContainerStats;
}

const SAMPLE_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const noSuch = (e: unknown) => isGlassError(e) && e.code === 'NO_SUCH_CONTAINER';

/**
 * `glass stats`: a reading of every container's cgroup counters each second,
 * CPU % from the difference between two readings. Streaming, it clears the
 * screen and redraws (Docker writes the same escape codes, terminal or not);
 * --no-stream takes two readings a second apart and prints once.
 */
export const stats: Handler = async (ctx) => {
  const all = bool(ctx.flags.all);
  const noStream = bool(ctx.flags['no-stream']);
  const noTrunc = bool(ctx.flags['no-trunc']);
  const format = String(ctx.flags.format ?? '') || DEFAULT_STATS_FORMAT;
  parseListFormat('stats', format, STATS_HEADERS); // a bad template fails before any waiting
  const named = ctx.args.length > 0;
  const watched = new Map<string, Watched>();
  if (named) {
    // Docker checks every name first: an unknown one is an error, nothing is shown.
    for (const ref of ctx.args) {
      const s = await ctx.engine.containers.stats(ref);
      watched.set(s.id, { ref, prev: s });
    }
  }
  const refresh = async (): Promise<void> => {
    if (named) return;
    const now = await ctx.engine.containers.list({ all });
    const ids = new Set(now.map((c) => c.Id));
    for (const id of watched.keys()) if (!ids.has(id)) watched.delete(id);
    for (const c of [...now].reverse()) if (!watched.has(c.Id)) watched.set(c.Id, { ref: shortId(c.Id) });
  };
  const sample = async (): Promise<Record<string, string>[]> => {
    const rows: Record<string, string>[] = [];
    for (const [id, w] of watched) {
      let cur: ContainerStats;
      try {
        cur = await ctx.engine.containers.stats(id);
      } catch (e) {
        if (noSuch(e) && !named) {
          watched.delete(id); // removed meanwhile
          continue;
        }
        throw e;
      }
      rows.push(statsRecord(computeStats(w.prev, cur), w.ref, noTrunc));
      w.prev = cur;
    }
    return rows;
  };
  await refresh();
  if (!named) for (const w of watched.values()) w.prev = await ctx.engine.containers.stats(w.ref).catch(() => undefined);
  for (;;) {
    await sleep(SAMPLE_MS);
    await refresh();
    const rows = await sample();
    if (!noStream) ctx.out('\x1b[2J\x1b[H');
    ctx.out(formatStats(format, rows));
    // As Docker: with nothing to watch (no container running, no -a) there is nothing to wait for.
    if (noStream || (watched.size === 0 && !all)) return 0;
  }
};

// ---- xray ---------------------------------------------------------------------

export const xray: Handler = async (ctx) => {
  const format = String(ctx.flags.format ?? '');
  if (format && format !== 'json') throw new GlassError('INVALID_ARGUMENT', `xray --format takes json (one JSON object, for notebooks and tools), not "${format}"`, 1);
  const r = await ctx.engine.containers.xray(ctx.args[0]!);
  ctx.out(format === 'json' ? JSON.stringify(r, null, 2) + '\n' : xrayText(r));
  return 0;
};

/** "64MiB (67108864)", or "none". */
const bytesOrNone = (n: number | undefined) => (n === undefined ? chalk.dim('none') : `${bytesSize(n)} (${n})`);

/** The human layout: the container beside the host, section by section. */
export function xrayText(r: XrayReport): string {
  const out: string[] = [];
  const h = (title: string, from: string) => out.push('', `${chalk.bold.underline(title)}  ${chalk.dim(from)}`);
  const own = chalk.green('own');
  const shared = chalk.yellow('shared with the host');
  out.push(`${chalk.bold(`glass xray ${r.name}`)}  ${chalk.dim(`id ${shortId(r.id)} · image ${r.image} · init: host pid ${r.pid} · kernel ${r.host.kernel} · cgroup ${r.host.cgroupLayout}`)}`);

  h('PROCESSES', `host PID ↔ container PID: NSpid in /proc/<pid>/status`);
  out.push(indent(table(['HOST PID', 'CONTAINER PID', 'PARENT', 'UID', 'STATE', 'COMMAND'], r.processes.map((p) => [String(p.hostPid), String(p.containerPid), String(p.ppid), String(p.uid), p.state, p.command]))));

  h('NAMESPACES', `readlink /proc/${r.pid}/ns/* beside /proc/${r.host.pid}/ns/*${r.host.pid === 1 ? '' : ' (glass itself: PID 1 cannot be read here)'} (equal inode: the same namespace)`);
  out.push(indent(table(['KIND', 'CONTAINER', `HOST (PID ${r.host.pid})`, ''], r.namespaces.map((n) => [n.kind, n.container, n.host, n.shared ? shared : own]))));

  const l = r.cgroup.limits;
  const u = r.cgroup.usage;
  h(`CGROUP ${r.cgroup.name}`, `cgroup ${r.host.cgroupLayout}: ${r.cgroup.paths.length === 1 ? `one directory, ${r.cgroup.paths[0]}` : `one directory in each of ${r.cgroup.paths.length} hierarchies (the files below are read from some of them)`}`);
  const cpus = l.cpuQuotaUs !== undefined && l.cpuPeriodUs ? `${l.cpuQuotaUs}/${l.cpuPeriodUs} µs = ${(l.cpuQuotaUs / l.cpuPeriodUs).toFixed(2)} CPUs` : chalk.dim('none');
  out.push(`  ${chalk.bold('limits')}  memory ${bytesOrNone(l.memory)} · memory+swap ${bytesOrNone(l.memorySwap)} · reservation ${bytesOrNone(l.memoryReservation)}`);
  out.push(`          cpu quota ${cpus} · ${l.cpuWeight !== undefined ? `cpu.weight ${l.cpuWeight}` : `cpu.shares ${l.cpuShares ?? chalk.dim('?')}`} · cpuset ${l.cpusetCpus ?? chalk.dim('all')} · pids ${l.pidsMax ?? chalk.dim('no limit')}`);
  out.push(`  ${chalk.bold('usage')}   CPU ${u.cpuPercent.toFixed(2)}% now, ${u.cpuSeconds.toFixed(2)} s in all · memory ${bytesSize(u.memory)} / ${bytesSize(u.memoryLimit)}${u.memoryLimited ? '' : chalk.dim(' (no limit: the machine\'s memory)')} · ${u.pids} task${u.pids === 1 ? '' : 's'} · block I/O ${humanSize(u.blockRead)} / ${humanSize(u.blockWrite)}`);
  // The files, directory by directory: `cat DIR/FILE` shows the same.
  const byDir = new Map<string, { file: string; value: string }[]>();
  for (const f of r.cgroup.files) {
    const i = f.path.lastIndexOf('/');
    const dir = f.path.slice(0, i);
    if (!byDir.has(dir)) byDir.set(dir, []);
    byDir.get(dir)!.push({ file: f.path.slice(i + 1), value: f.value.includes('\n') ? f.value.split('\n').join(' · ') : f.value });
  }
  const width = Math.max(0, ...r.cgroup.files.map((f) => f.path.length - f.path.lastIndexOf('/') - 1));
  for (const [dir, files] of byDir) {
    out.push(`  ${chalk.dim(dir + '/')}`);
    for (const f of files) out.push(`    ${f.file.padEnd(width)}  ${chalk.cyan(f.value)}`);
  }

  const c = r.capabilities;
  h('CAPABILITIES', `CapEff and CapBnd in /proc/${r.pid}/status, decoded`);
  out.push(`  ${chalk.bold('effective')} (${c.effective.length}, ${c.raw.CapEff}): ${capList(c.effective)}`);
  out.push(`  ${chalk.bold('bounding')}  (${c.bounding.length}, ${c.raw.CapBnd}): ${c.bounding.length === c.effective.length && c.bounding.every((x) => c.effective.includes(x)) ? chalk.dim('the same') : capList(c.bounding)}`);
  out.push(`  ${chalk.bold('dropped')}   (${c.droppedFromHost.length}): ${c.droppedFromHost.length ? chalk.red(capList(c.droppedFromHost)) : chalk.yellow('none: it keeps every capability the host has')}`);
  h('CONFINEMENT', `Seccomp, NoNewPrivs, Uid in /proc/${r.pid}/status`);
  const mode = r.seccomp.mode === 2 ? chalk.green(`filter${r.seccomp.filters !== undefined ? ` (${r.seccomp.filters} filter${r.seccomp.filters === 1 ? '' : 's'})` : ''}`) : r.seccomp.mode === 0 ? chalk.yellow('disabled: every system call is allowed') : r.seccomp.name;
  out.push(`  seccomp        ${mode}`);
  out.push(`  no_new_privs   ${r.noNewPrivs ? chalk.green('yes: execve cannot gain privileges') : 'no'}`);
  out.push(`  user           uid ${r.user.uid} gid ${r.user.gid}${r.user.groups.length ? ` groups ${r.user.groups.join(',')}` : ''}${r.user.uid === 0 ? chalk.dim(' (root in the container is root on the host, less what was dropped above)') : ''}`);

  h('MOUNTS', `/proc/${r.pid}/mountinfo: the container's own mount namespace`);
  if (r.rootfs?.fsType === 'overlay') {
    out.push(`  root: overlay  upper ${r.rootfs.upper ?? '?'}`);
    r.rootfs.lower.forEach((d, i) => out.push(`                 lower ${d}${i === 0 ? chalk.dim(' (top)') : ''}`));
  }
  const roleColour = (role: string) => (role === 'masked' ? chalk.magenta(role) : role === 'read-only' ? chalk.yellow(role) : role === 'root' ? chalk.green(role) : role);
  out.push(indent(table(['MOUNT POINT', 'TYPE', 'OPTIONS', 'ROLE', ''], r.mounts.map((m) => [m.mountPoint, m.fsType, m.options, roleColour(m.role), chalk.dim(m.note)]))));

  h('NETWORK', `/proc/${r.pid}/net/dev: its network namespace's interfaces`);
  for (const i of r.network.interfaces) out.push(`  ${i.name.padEnd(8)} rx ${humanSize(i.rxBytes)} (${i.rxPackets} packets)  tx ${humanSize(i.txBytes)} (${i.txPackets} packets)`);
  out.push(`  ${chalk.dim(r.network.note)}`);
  return out.join('\n') + '\n';
}

const capList = (caps: string[]) => caps.map((c) => c.replace(/^CAP_/, '').toLowerCase()).join(' ') || chalk.dim('none');
const indent = (text: string) => text.trimEnd().split('\n').map((l) => `  ${l}`).join('\n');

