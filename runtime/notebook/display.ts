/**
 * Showing things in a cell. Inside a tslab kernel, tables go out as HTML and
 * pictures as SVG through tslab's display; anywhere else (node, tsx, a test)
 * the same things print as text.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';
import type { Step } from '../engine/index.js';
import { currentSession } from './session.js';
import { stepsTable } from './steps.js';
import { tableHtml, tableText, type Picture, type Table } from './table.js';

interface TslabDisplay {
  html(s: string): void;
  svg(s: string): void;
}

/**
 * tslab's display, when this process is a tslab kernel: its jupyter module is
 * loaded (from wherever the kernel runs: tools/tslab) and connected. Found in
 * the module cache, so nothing is loaded outside a kernel.
 */
function tslabDisplay(): TslabDisplay | undefined {
  const require = createRequire(import.meta.url);
  const jupyter = Object.keys(require.cache).find((k) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(k));
  if (!jupyter || !(require.cache[jupyter]?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData) return undefined;
  try {
    return (require(join(dirname(jupyter), 'public.js')) as { display: TslabDisplay }).display;
  } catch {
    return undefined;
  }
}

/** True inside a tslab kernel that can show HTML and SVG. */
export function hasDisplay(): boolean {
  return tslabDisplay() !== undefined;
}

export type Showable = Table | Picture | Step[] | { steps: Step[] } | string;

/**
 * Show a table, a picture, a trace (a list of Steps, or anything with
 * `steps`: what run and sh return) or text. Accepts a promise of one, so
 * `await glass.show(glass.pids('web'))` is one line.
 */
export async function show(what: Showable | Promise<Showable>): Promise<void> {
  const x = await what;
  const d = tslabDisplay();
  const root = currentSession()?.root ?? '';
  if (typeof x === 'string') {
    console.log(x);
  } else if (Array.isArray(x)) {
    if (x.length === 0) console.log('(no steps)');
    else showTable(stepsTable(x, root), d);
  } else if ('kind' in x && x.kind === 'table') {
    showTable(x as Table, d);
  } else if ('kind' in x && x.kind === 'picture') {
    const p = x as Picture;
    if (d) d.svg(p.svg);
    else console.log(`${p.title}\n${p.text}`);
  } else if ('steps' in x) {
    showTable(stepsTable(x.steps, root), d);
  } else {
    console.log(inspect(x));
  }
}

function showTable(t: Table, d: TslabDisplay | undefined): void {
  if (d) d.html(tableHtml(t));
  else console.log(tableText(t));
}
