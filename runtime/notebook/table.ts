/**
 * What a view returns: a small table that knows how to draw itself as HTML
 * (in a notebook) and as aligned text (anywhere else), and a picture (SVG,
 * with a text alternative).
 */
import { inspect } from 'node:util';

/** A cell: text, or text with emphasis (a value that differs from the host's). */
export type Cell = string | number | { text: string | number; strong?: boolean; code?: boolean };

export interface Table {
  kind: 'table';
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Columns whose cells are code (commands, paths): monospace. */
  codeColumns?: number[];
  /** Under the table: where the values come from, the command a learner could type. */
  note?: string;
}

export interface Picture {
  kind: 'picture';
  title: string;
  svg: string;
  /** What the picture shows, as text, for where there is no display. */
  text: string;
}

export function table(t: Omit<Table, 'kind'>): Table {
  const out: Table = { kind: 'table', ...t };
  Object.defineProperty(out, inspect.custom, { value: () => tableText(out), enumerable: false });
  return out;
}

export function picture(p: Omit<Picture, 'kind'>): Picture {
  const out: Picture = { kind: 'picture', ...p };
  Object.defineProperty(out, inspect.custom, { value: () => `${p.title}\n${p.text}`, enumerable: false });
  return out;
}

export const cellText = (c: Cell): string => (typeof c === 'object' ? String(c.text) : String(c));

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function tableHtml(t: Table): string {
  const code = new Set(t.codeColumns ?? []);
  const td = (c: Cell, i: number) => {
    let h = escapeHtml(cellText(c));
    if (code.has(i) || (typeof c === 'object' && c.code)) h = `<code>${h}</code>`;
    if (typeof c === 'object' && c.strong) h = `<strong style="color:#b00040">${h}</strong>`;
    return `<td style="text-align:left;vertical-align:top">${h}</td>`;
  };
  return [
    `<table class="glass-table">`,
    `<caption style="caption-side:top;text-align:left;font-weight:bold">${escapeHtml(t.title)}</caption>`,
    `<thead><tr>${t.columns.map((c) => `<th style="text-align:left">${escapeHtml(c)}</th>`).join('')}</tr></thead>`,
    `<tbody>`,
    ...t.rows.map((r) => `<tr>${r.map(td).join('')}</tr>`),
    `</tbody></table>`,
    t.note ? `<p style="font-size:smaller;color:#555">${escapeHtml(t.note)}</p>` : '',
  ].join('\n');
}

/** Columns padded to their widest cell; a strong cell is marked with '*'. */
export function tableText(t: Table, maxWidth = 60): string {
  const clip = (s: string) => (s.length > maxWidth ? s.slice(0, maxWidth - 1) + '…' : s);
  const shown = (c: Cell) => clip(cellText(c).replace(/\n/g, ' ')) + (typeof c === 'object' && c.strong ? ' *' : '');
  const grid = [t.columns, ...t.rows.map((r) => r.map(shown))];
  const widths = t.columns.map((_, i) => Math.max(...grid.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [t.title, line(grid[0]!), ...grid.slice(1).map(line)];
  if (t.rows.some((r) => r.some((c) => typeof c === 'object' && c.strong))) out.push('(* differs from the host)');
  if (t.note) out.push(t.note);
  return out.join('\n');
}
