import { type VolumeInspect } from '../../engine/index.js';
import { bool, list, str, type Ctx, type Handler } from '../context.js';
import { humanSize, table } from '../format.js';
import { parseTemplate, render } from '../template.js';
import { inspectObjects, objectError } from './inspect-objects.js';

/**
 * `glass volume create|ls|inspect|rm|prune`, printed as Docker 20.10 prints
 * them. The engine does the work (runtime/engine/volumes/).
 */

/** KEY=VALUE (or KEY) list values as a map, as Docker's --label does. */
function labelMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    out[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}

/** --filter KEY=VALUE values grouped by key. */
function filterMap(values: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) throw Object.assign(new Error(`bad format of filter (expected name=value)`), { code: 'INVALID_ARGUMENT' });
    (out[v.slice(0, eq)] ??= []).push(v.slice(eq + 1));
  }
  return out;
}

/** The one line Docker prints for a daemon-side failure of a volume command. */
const notFound = (code: string) => code === 'NO_SUCH_VOLUME';
const daemonError = (ctx: Ctx, e: unknown) => objectError(ctx, e, notFound);

export const create: Handler = async (ctx) => {
  const driver = str(ctx.flags.driver) ?? 'local';
  if (driver !== 'local') {
    ctx.err(`Error response from daemon: create ${ctx.args[0] ?? ''}: error looking up volume plugin ${driver}: plugin "${driver}" not found\n`);
    return 1;
  }
  try {
    const v = await ctx.engine.volumes.create({ name: ctx.args[0], labels: labelMap(list(ctx.flags.label)) });
    ctx.out(`${v.Name}\n`);
    return 0;
  } catch (e) {
    daemonError(ctx, e);
    return 1;
  }
};

export const ls: Handler = async (ctx) => {
  let volumes: VolumeInspect[];
  try {
    volumes = await ctx.engine.volumes.list({ filters: filterMap(list(ctx.flags.filter)) });
  } catch (e) {
    daemonError(ctx, e);
    return 1;
  }
  const format = str(ctx.flags.format);
  if (bool(ctx.flags.quiet)) {
    ctx.out(volumes.map((v) => `${v.Name}\n`).join(''));
  } else if (format && format !== 'table') {
    const parts = parseTemplate(format.replace(/^table /, ''));
    const rows = volumes.map((v) => ({ ...v, Labels: Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(',') }));
    ctx.out(rows.map((r) => render(parts, r) + '\n').join(''));
  } else {
    ctx.out(table(['DRIVER', 'VOLUME NAME'], volumes.map((v) => [v.Driver, v.Name])));
  }
  return 0;
};

export const inspect: Handler = (ctx) => inspectObjects(ctx, (name) => ctx.engine.volumes.inspect(name), notFound, true);

export const rm: Handler = async (ctx) => {
  let failed = 0;
  for (const name of ctx.args) {
    try {
      await ctx.engine.volumes.remove(name, { force: bool(ctx.flags.force) });
      ctx.out(`${name}\n`);
    } catch (e) {
      failed++;
      daemonError(ctx, e);
    }
  }
  return failed ? 1 : 0;
};

/** Docker's PromptForConfirmation: one line from stdin; only "y" or "yes" (any case) goes on. */
export async function confirm(ctx: Ctx, warning: string): Promise<boolean> {
  ctx.out(`${warning}\nAre you sure you want to continue? [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let got = '';
    const stdin = process.stdin;
    const done = () => {
      stdin.off('data', onData);
      stdin.off('end', done);
      stdin.pause();
      resolve(got.split('\n')[0]!.trim());
    };
    const onData = (b: Buffer) => {
      got += b.toString();
      if (got.includes('\n')) done();
    };
    stdin.on('data', onData);
    stdin.on('end', done);
    stdin.resume();
  });
  return ['y', 'yes'].includes(line.toLowerCase());
}

export const prune: Handler = async (ctx) => {
  if (!bool(ctx.flags.force) && !(await confirm(ctx, 'WARNING! This will remove all local volumes not used by at least one container.'))) return 0;
  try {
    const { deleted, spaceReclaimed } = await ctx.engine.volumes.prune({ filters: filterMap(list(ctx.flags.filter)) });
    if (deleted.length) ctx.out(`Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    ctx.out(`Total reclaimed space: ${humanSize(spaceReclaimed)}\n`);
    return 0;
  } catch (e) {
    daemonError(ctx, e);
    return 1;
  }
};
