import { isGlassError, type NetworkInspect } from '../../engine/index.js';
import { bool, list, str, type Ctx, type Handler } from '../context.js';
import { table } from '../format.js';
import { parseTemplate, render } from '../template.js';
import { inspectObjects, objectError } from './inspect-objects.js';
import { confirm } from './volumes.js';

/**
 * `glass network create|ls|inspect|rm|connect|disconnect|prune`, printed as
 * Docker 20.10 prints them. The engine does the work (runtime/engine/networks/).
 */

function labelMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    out[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}

const notFound = (_code: string, message: string) => /^No such network: /.test(message);
const daemonError = (ctx: Ctx, e: unknown) => objectError(ctx, e, notFound);

export const create: Handler = async (ctx) => {
  const subnets = list(ctx.flags.subnet);
  const gateways = list(ctx.flags.gateway);
  if (subnets.length > 1 || gateways.length > 1) {
    ctx.err('Error response from daemon: glass networks have one IPv4 subnet: give --subnet and --gateway once\n');
    return 1;
  }
  try {
    const n = await ctx.engine.networks.create({
      name: ctx.args[0]!,
      driver: str(ctx.flags.driver),
      subnet: subnets[0],
      gateway: gateways[0],
      internal: bool(ctx.flags.internal),
      labels: labelMap(list(ctx.flags.label)),
    });
    ctx.out(`${n.Id}\n`);
    return 0;
  } catch (e) {
    daemonError(ctx, e);
    return 1;
  }
};

/** Docker's `network ls` filters: name (substring), id (prefix), driver, type (builtin|custom), label. */
function matches(n: NetworkInspect, filters: string[]): boolean {
  const by: Record<string, string[]> = {};
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new Error('bad format of filter (expected name=value)');
    (by[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  for (const [k, vals] of Object.entries(by)) {
    const ok = vals.some((v) => {
      switch (k) {
        case 'name': return n.Name.includes(v);
        case 'id': return n.Id.startsWith(v);
        case 'driver': return n.Driver === v;
        case 'scope': return n.Scope === v;
        case 'type': {
          if (v !== 'builtin' && v !== 'custom') throw new Error(`invalid filter: 'type'='${v}'`);
          return (['bridge', 'host', 'none'].includes(n.Name)) === (v === 'builtin');
        }
        case 'label': {
          const eq = v.indexOf('=');
          return eq < 0 ? v in n.Labels : n.Labels[v.slice(0, eq)] === v.slice(eq + 1);
        }
        default: throw new Error(`invalid filter '${k}'`);
      }
    });
    if (!ok) return false;
  }
  return true;
}

export const ls: Handler = async (ctx) => {
  let nets: NetworkInspect[];
  try {
    nets = (await ctx.engine.networks.list()).filter((n) => matches(n, list(ctx.flags.filter)));
  } catch (e) {
    if (!isGlassError(e) && e instanceof Error && /filter/.test(e.message)) {
      ctx.err(`Error response from daemon: ${e.message}\n`);
      return 1;
    }
    daemonError(ctx, e);
    return 1;
  }
  const id = (n: NetworkInspect) => (bool(ctx.flags['no-trunc']) ? n.Id : n.Id.slice(0, 12));
  const format = str(ctx.flags.format);
  if (bool(ctx.flags.quiet)) {
    ctx.out(nets.map((n) => `${id(n)}\n`).join(''));
  } else if (format && format !== 'table') {
    const parts = parseTemplate(format.replace(/^table /, ''));
    const rows = nets.map((n) => ({ ...n, ID: id(n), Labels: Object.entries(n.Labels).map(([k, v]) => `${k}=${v}`).join(','), Internal: String(n.Internal) }));
    ctx.out(rows.map((r) => render(parts, r) + '\n').join(''));
  } else {
    ctx.out(table(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], nets.map((n) => [id(n), n.Name, n.Driver, n.Scope])));
  }
  return 0;
};

export const inspect: Handler = (ctx) => inspectObjects(ctx, (ref) => ctx.engine.networks.inspect(ref), notFound, false);

export const rm: Handler = async (ctx) => {
  let failed = 0;
  for (const ref of ctx.args) {
    try {
      await ctx.engine.networks.remove(ref);
      ctx.out(`${ref}\n`);
    } catch (e) {
      failed++;
      daemonError(ctx, e);
    }
  }
  return failed ? 1 : 0;
};

export const connect: Handler = async (ctx) => {
  try {
    await ctx.engine.networks.connect(ctx.args[0]!, ctx.args[1]!, { aliases: list(ctx.flags.alias), ip: str(ctx.flags.ip) });
    return 0;
  } catch (e) {
    daemonError(ctx, e);
    return 1;
  }
};

export const disconnect: Handler = async (ctx) => {
  try {
    await ctx.engine.networks.disconnect(ctx.args[0]!, ctx.args[1]!, { force: bool(ctx.flags.force) });
    return 0;
  } catch (e) {
    daemonError(ctx, e);
    return 1;
  }
};

export const prune: Handler = async (ctx) => {
  if (!bool(ctx.flags.force) && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) return 0;
  try {
    const deleted = await ctx.engine.networks.prune({ filters: list(ctx.flags.filter) });
    if (deleted.length) ctx.out(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    return 0;
  } catch (e) {
    daemonError(ctx, e);
    return 1;
  }
};
