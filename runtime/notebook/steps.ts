/**
 * The explain trace in a notebook: every Step glass took (what, why, the
 * command a learner could type), as a table. Long state paths read as
 * <root> and 64-hex IDs as their first 12 characters, as in glass learn's
 * "under the hood" panel.
 */
import type { Step } from '../engine/index.js';
import { shorten } from '../learn/trace.js';
import { table, type Table } from './table.js';

export { shorten };

/** Is this a list of Steps (what run, sh and the engine's onStep give)? */
export function isSteps(x: unknown): x is Step[] {
  return Array.isArray(x) && x.length > 0 && x.every((s) => s && typeof s === 'object' && 'title' in s && 'phase' in s && 'command' in s);
}

/** The finished steps (done or failed) as a table: step, who, why, command. */
export function stepsTable(steps: Step[], root: string, title = 'Under the hood: what glass asked the kernel to do'): Table {
  const shown = steps.filter((s) => s.phase !== 'started');
  return table({
    title,
    columns: ['#', 'step', 'by', 'why', 'command'],
    codeColumns: [4],
    rows: shown.map((s, i) => [
      s.phase === 'failed' ? { text: `✗ ${i + 1}`, strong: true } : i + 1,
      s.phase === 'failed' ? { text: `${s.title} — failed: ${s.error ?? ''}`, strong: true } : s.title,
      s.by === 'shim' ? 'shim' : 'glass',
      s.why,
      shorten(s.command, root),
    ]),
    note: shown.length ? `${shown.length} steps; <root> is ${root}. The CLI prints the same with --explain.` : 'glass took no kernel steps for this.',
  });
}
