/**
 * Pictures where people would rather look than read, drawn as plain SVG:
 * the process tree (the host's view and the container's, one process with
 * two numbers) and the overlay stack (lowerdirs, upperdir, merged).
 * These are diagrams, laid out by hand; charts of numbers go through
 * vega-lite (chart.ts).
 */
import { readdirSync } from 'node:fs';
import { procInfo, type ProcInfo, namespaceInode, processesInPidNamespaceOf } from './host-view.js';
import { session } from './session.js';
import { shorten } from './steps.js';
import { escapeHtml as esc, picture, type Picture } from './table.js';
import { containerProcess, layerDirs, walkUpper } from './views.js';

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
const MONO = 'font-family="DejaVu Sans Mono, Menlo, monospace"';
const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

interface Column {
  title: string;
  ns: number | undefined;
  shim?: ProcInfo;
  rows: { p: ProcInfo; depth: number }[];
}

/** Processes in tree order (parents before children), each with its depth under the container's PID 1. */
function treeOrder(procs: ProcInfo[], rootPid: number): { p: ProcInfo; depth: number }[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of procs) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: { p: ProcInfo; depth: number }[] = [];
  const visit = (p: ProcInfo, depth: number) => {
    out.push({ p, depth });
    for (const c of byParent.get(p.pid) ?? []) visit(c, depth + 1);
  };
  const root = procs.find((p) => p.pid === rootPid);
  if (root) visit(root, 0);
  for (const p of procs) if (!out.some((o) => o.p === p)) out.push({ p, depth: 1 });
  return out;
}

/**
 * The process tree of one or more containers inside the host: each
 * container's PID namespace is a box in the host's; each process is one
 * node with its host PID and the PID it has inside; the shim that started
 * it stands outside the box.
 */
export async function processTree(refs: string[]): Promise<Picture> {
  const cols: Column[] = [];
  for (const ref of refs) {
    const c = await containerProcess(ref);
    const procs = processesInPidNamespaceOf(c.pid);
    const init = procInfo(c.pid);
    cols.push({ title: c.name, ns: namespaceInode(c.pid, 'pid'), shim: init ? procInfo(init.ppid) : undefined, rows: treeOrder(procs, c.pid) });
  }
  const colW = 330;
  const rowH = 46;
  const pad = 20;
  const top = 64;
  const maxRows = Math.max(1, ...cols.map((c) => c.rows.length));
  const boxTop = top + 70;
  const width = pad * 2 + cols.length * (colW + pad) - pad + 20;
  const height = boxTop + 40 + maxRows * rowH + 30 + pad;
  const parts: string[] = [];
  parts.push(`<rect x="6" y="6" width="${width - 12}" height="${height - 12}" rx="10" fill="#f4f6fb" stroke="#4a5a85" stroke-width="2"/>`);
  parts.push(`<text x="20" y="32" ${FONT} font-size="16" font-weight="bold" fill="#26315a">The host: PID namespace ${namespaceInode('self', 'pid') ?? '?'} — sees every process</text>`);
  parts.push(`<text x="20" y="52" ${FONT} font-size="12" fill="#4a5a85">Each process has a number on the host and one inside its container (NSpid).</text>`);
  cols.forEach((col, i) => {
    const x = pad + 10 + i * (colW + pad);
    if (col.shim) {
      parts.push(node(x + 10, top + 6, colW - 20, `glass-shim (the monitor)`, `host PID ${col.shim.pid}`, undefined, '#e8e8e8', '#777'));
      parts.push(`<line x1="${x + 30}" y1="${top + 42}" x2="${x + 30}" y2="${boxTop + 44}" stroke="#777" stroke-width="1.5" marker-end="url(#arrow)"/>`);
    }
    const boxH = 40 + col.rows.length * rowH + 10;
    parts.push(`<rect x="${x}" y="${boxTop}" width="${colW}" height="${boxH}" rx="8" fill="#fff8e6" stroke="#c28a00" stroke-width="2" stroke-dasharray="6 3"/>`);
    parts.push(`<text x="${x + 10}" y="${boxTop + 22}" ${FONT} font-size="13" font-weight="bold" fill="#7a5600">${esc(clip(col.title, 24))}: PID namespace ${col.ns ?? '?'}</text>`);
    col.rows.forEach(({ p, depth }, j) => {
      const nx = x + 10 + depth * 22;
      const ny = boxTop + 34 + j * rowH;
      if (depth > 0) parts.push(`<path d="M ${nx - 12} ${ny - 10} V ${ny + 17} H ${nx}" fill="none" stroke="#c28a00" stroke-width="1.5"/>`);
      parts.push(node(nx, ny, colW - 20 - depth * 22, clip(p.cmdline || p.comm, 34), `host PID ${p.pid}`, `PID ${p.nspid[p.nspid.length - 1]} inside`, '#ffffff', '#c28a00'));
    });
  });
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>`,
    ...parts,
    `</svg>`,
  ].join('\n');
  const text = cols
    .map((c) => [`${c.title} (PID namespace ${c.ns}), started by glass-shim ${c.shim?.pid ?? '?'}:`, ...c.rows.map(({ p, depth }) => `${'  '.repeat(depth + 1)}${p.cmdline || p.comm}  host ${p.pid} / inside ${p.nspid[p.nspid.length - 1]}`)].join('\n'))
    .join('\n');
  return picture({ title: `Process tree: the host and ${cols.map((c) => c.title).join(', ')}`, svg, text });
}

/** One process: a box with its command and its numbers. */
function node(x: number, y: number, w: number, label: string, host: string, inside: string | undefined, fill: string, stroke: string): string {
  return [
    `<rect x="${x}" y="${y}" width="${w}" height="36" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>`,
    `<text x="${x + 8}" y="${y + 15}" ${MONO} font-size="12" fill="#222">${esc(label)}</text>`,
    `<text x="${x + 8}" y="${y + 30}" ${FONT} font-size="11" fill="#26315a">${esc(host)}</text>`,
    inside ? `<text x="${x + w - 8}" y="${y + 30}" ${FONT} font-size="11" font-weight="bold" fill="#b00040" text-anchor="end">${esc(inside)}</text>` : '',
  ].join('');
}

function topNames(dir: string, n = 9): string {
  try {
    const names = readdirSync(dir).sort();
    return names.slice(0, n).join('  ') + (names.length > n ? `  … (${names.length})` : '');
  } catch {
    return '(cannot read)';
  }
}

/**
 * The overlay stack of a container: the image's read-only lowerdirs at the
 * bottom, the container's upperdir above them (its changes, whiteouts for
 * deletions), and merged on top — the single tree the container sees as /.
 */
export async function overlayStack(ref: string): Promise<Picture> {
  const s = await session();
  const d = await layerDirs(ref);
  const c = await s.engine.containers.get(ref);
  const changes = walkUpper(d.upper).filter((e) => e.kind !== 'directory');
  const changed = changes.slice(0, 8).map((e) => (e.kind === 'whiteout' ? `✗ ${e.path} (whiteout: deleted)` : `+ ${e.path}`));
  if (changes.length > 8) changed.push(`… and ${changes.length - 8} more`);
  const mergedLine = c.running && c.pid ? topNames(`/proc/${c.pid}/root`) : 'mounted only while the container runs, in its own mount namespace';
  const layers: { title: string; sub: string; lines: string[]; fill: string; stroke: string; dash?: boolean }[] = [
    { title: 'merged — what the container sees as /', sub: shorten(d.merged, s.root), lines: [mergedLine], fill: '#eef7ee', stroke: '#2f7d32', dash: true },
    { title: 'upperdir — the container’s own changes (read-write)', sub: shorten(d.upper, s.root), lines: changed.length ? changed : ['(nothing changed yet)'], fill: '#fff3f3', stroke: '#b00040' },
    ...d.lower.map((l, i) => ({ title: `lowerdir ${i + 1}${d.lower.length > 1 ? (i === 0 ? ' (top)' : i === d.lower.length - 1 ? ' (bottom)' : '') : ''} — an image layer (read-only, shared)`, sub: shorten(l, s.root), lines: [topNames(l)], fill: '#eef2fb', stroke: '#26315a' })),
  ];
  const width = 720;
  const lineH = 16;
  let y = 56;
  const parts: string[] = [
    `<text x="16" y="26" ${FONT} font-size="16" font-weight="bold" fill="#222">The overlay stack of ${esc(ref)}</text>`,
    `<text x="16" y="44" ${MONO} font-size="11" fill="#555">${esc(clip(`mount -t overlay overlay -o lowerdir=${d.lower.map((l) => shorten(l, s.root)).join(':')},upperdir=…/upper,workdir=…/work …/merged`, 110))}</text>`,
  ];
  for (const l of layers) {
    const h = 44 + l.lines.length * lineH;
    parts.push(`<rect x="16" y="${y}" width="${width - 32}" height="${h}" rx="8" fill="${l.fill}" stroke="${l.stroke}" stroke-width="2"${l.dash ? ' stroke-dasharray="6 3"' : ''}/>`);
    parts.push(`<text x="28" y="${y + 20}" ${FONT} font-size="13" font-weight="bold" fill="${l.stroke}">${esc(l.title)}</text>`);
    parts.push(`<text x="28" y="${y + 36}" ${MONO} font-size="10.5" fill="#555">${esc(clip(l.sub, 100))}</text>`);
    l.lines.forEach((t, i) => parts.push(`<text x="40" y="${y + 54 + i * lineH}" ${MONO} font-size="12" fill="${t.startsWith('✗') ? '#b00040' : '#222'}">${esc(clip(t, 90))}</text>`));
    y += h + 14;
  }
  const height = y + 6;
  const svg = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`, `<rect width="${width}" height="${height}" fill="#ffffff"/>`, ...parts, `</svg>`].join('\n');
  const text = layers.map((l) => `${l.title}\n  ${l.sub}\n${l.lines.map((t) => `    ${t}`).join('\n')}`).join('\n');
  return picture({ title: `The overlay stack of ${ref}`, svg, text });
}
