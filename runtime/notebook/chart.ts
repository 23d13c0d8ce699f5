/**
 * Charts of numbers over time (a container's processes, later its memory and
 * CPU), drawn by vega-lite and rendered to SVG by vega in this process: no
 * browser needed. vega is loaded on the first chart only (it is large, and
 * its modules use top-level await, so it cannot be a static import of a
 * module that notebooks load with require()).
 */
import { picture, type Picture } from './table.js';

export interface ChartOptions {
  /** Field of each row on the x axis (default "t"), and its title. */
  x?: string;
  xTitle?: string;
  /** Field on the y axis (default "value"), and its title. */
  y?: string;
  yTitle?: string;
  /** A field that splits the rows into one line each (e.g. "container"). */
  series?: string;
  title?: string;
  mark?: 'line' | 'bar' | 'point' | 'area';
  width?: number;
  height?: number;
}

export type Row = Record<string, string | number>;

/** A vega-lite chart of `rows`, rendered to SVG. */
export async function chart(rows: Row[], opts: ChartOptions = {}): Promise<Picture> {
  const { x = 't', y = 'value', mark = 'line', title = '', width = 520, height = 220 } = opts;
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width,
    height,
    data: { values: rows },
    mark: mark === 'line' ? { type: 'line', point: true, interpolate: 'step-after' } : { type: mark },
    encoding: {
      x: { field: x, type: 'quantitative', title: opts.xTitle ?? x },
      y: { field: y, type: 'quantitative', title: opts.yTitle ?? y },
      ...(opts.series ? { color: { field: opts.series, type: 'nominal' } } : {}),
    },
  };
  const compiled = vl.compile(spec as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const text = rows.map((r) => `${r[x]}\t${r[y]}${opts.series ? `\t${r[opts.series]}` : ''}`).join('\n');
  return picture({ title: title || `${y} over ${x}`, svg, text: `${opts.xTitle ?? x}\t${opts.yTitle ?? y}\n${text}` });
}

export interface SampleOptions {
  /** Between samples (default 100 ms). */
  everyMs?: number;
  /** For how long (default 2000 ms). */
  forMs?: number;
}

/** Read a number every `everyMs` for `forMs`: rows { t: milliseconds since the first sample, value }. */
export async function sample(probe: () => number | Promise<number>, opts: SampleOptions = {}): Promise<{ t: number; value: number }[]> {
  const { everyMs = 100, forMs = 2000 } = opts;
  const start = Date.now();
  const rows: { t: number; value: number }[] = [];
  for (;;) {
    const t = Date.now() - start;
    rows.push({ t, value: await probe() });
    if (t >= forMs) return rows;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
