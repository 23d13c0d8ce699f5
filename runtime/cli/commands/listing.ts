import { GlassError } from '../../core/errors.js';
import type { ContainerInfo } from '../../core/container-types.js';
import { bool, type Handler } from '../context.js';
import { createdAgo, humanSize, psCommand, psStatus, shortId, table } from '../format.js';
import { parseTemplate, render } from '../template.js';

function statusOf(i: ContainerInfo) {
  return {
    status: i.status === 'dead' ? ('exited' as const) : i.status,
    startedAt: i.startedAt,
    finishedAt: i.finishedAt,
    exitCode: i.exitCode,
  };
}

export const ps: Handler = async (ctx) => {
  const last = Number(ctx.flags.last ?? -1);
  const latest = bool(ctx.flags.latest);
  const limit = latest ? 1 : last;
  // -n and -l imply -a, as in Docker.
  let items = await ctx.rt.list({ all: bool(ctx.flags.all) || limit > 0 });
  if (limit > 0) items = items.slice(0, limit);
  const noTrunc = bool(ctx.flags['no-trunc']);
  if (bool(ctx.flags.quiet)) {
    ctx.out(items.map((i) => (noTrunc ? i.config.id : shortId(i.config.id)) + '\n').join(''));
    return 0;
  }
  const now = new Date();
  const records = items.map((i) => ({
    ID: noTrunc ? i.config.id : shortId(i.config.id),
    Image: i.config.image,
    Command: psCommand(i.config.path, i.config.args, noTrunc),
    CreatedAt: goTime(i.config.created),
    RunningFor: createdAgo(i.config.created, now),
    Ports: '',
    Status: psStatus(statusOf(i), now),
    State: statusOf(i).status,
    Names: i.config.name,
  }));
  const format = String(ctx.flags.format ?? '');
  if (format) {
    ctx.out(formatted(format, records, PS_HEADERS));
    return 0;
  }
  const columns = ['ID', 'Image', 'Command', 'RunningFor', 'Status', 'Ports', 'Names'] as const;
  ctx.out(table(columns.map((c) => PS_HEADERS[c]!), records.map((r) => columns.map((c) => r[c]))));
  return 0;
};

/** Column headers for `ps --format 'table ...'`, as Docker names them. */
const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', Status: 'STATUS', State: 'STATE', Names: 'NAMES',
};

/** Docker prints times in --format output the way Go prints a time.Time. */
function goTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' +0000 UTC');
}

/**
 * Render rows with a --format template. "table " in front means aligned
 * columns under a header row, as in Docker.
 */
function formatted(format: string, records: object[], headers: Record<string, string>): string {
  const isTable = format.startsWith('table ') || format === 'table';
  const parts = parseTemplate(isTable ? format.slice(5).trimStart() || '{{.ID}}' : format);
  const lines = records.map((r) => render(parts, r));
  if (!isTable) return lines.map((l) => l + '\n').join('');
  const header = render(parts, new Proxy({}, { get: (_t, k) => headers[String(k)] ?? String(k).toUpperCase(), has: () => true }));
  return table(header.split('\t'), lines.map((l) => l.split('\t')));
}

export const images: Handler = async (ctx) => {
  const list = await ctx.rt.images.list();
  const noTrunc = bool(ctx.flags['no-trunc']);
  const idOf = (id: string) => (noTrunc ? id : shortId(id));
  if (bool(ctx.flags.quiet)) {
    ctx.out([...new Set(list.map((i) => idOf(i.id)))].map((l) => l + '\n').join(''));
    return 0;
  }
  const now = new Date();
  const rows: string[][] = [];
  for (const img of list) {
    const tags = img.repoTags.length ? img.repoTags : ['<none>:<none>'];
    for (const t of tags) {
      const at = t.lastIndexOf(':');
      rows.push([t.slice(0, at), t.slice(at + 1), idOf(img.id), createdAgo(img.created, now), humanSize(img.size)]);
    }
  }
  ctx.out(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
  return 0;
};

/** Containers first, then images, like `docker inspect` without --type. */
export const inspect: Handler = async (ctx) => {
  const type = String(ctx.flags.type ?? '');
  if (type && type !== 'container' && type !== 'image') throw new GlassError('INVALID_ARGUMENT', `"${type}" is not a valid value for --type: use container or image`);
  const found: unknown[] = [];
  let failed = 0;
  for (const ref of ctx.args) {
    let obj: unknown;
    if (type !== 'image') obj = await ctx.rt.inspect(ref).catch(() => undefined);
    if (obj === undefined && type !== 'container') obj = await ctx.rt.images.inspect(ref).catch(() => undefined);
    if (obj === undefined) {
      failed++;
      ctx.err(`Error: No such ${type === 'image' ? 'image' : type === 'container' ? 'container' : 'object'}: ${ref}\n`);
    } else found.push(obj);
  }
  const format = String(ctx.flags.format ?? '');
  if (format) {
    const parts = parseTemplate(format);
    ctx.out(found.map((o) => render(parts, o) + '\n').join(''));
  } else {
    ctx.out(JSON.stringify(found, null, 4) + '\n');
  }
  return failed ? 1 : 0;
};
