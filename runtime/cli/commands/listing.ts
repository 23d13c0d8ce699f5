import { describeHostError, displayablePorts, GlassError, isGlassError, type ContainerFilters } from '../../engine/index.js';
import { bool, list, type Handler } from '../context.js';
import { UsageError } from '../parse.js';
import { createdAgo, humanSize, psCommand, shortId, table } from '../format.js';
import { checkFields, parseTemplate, render } from '../template.js';

export const ps: Handler = async (ctx) => {
  const last = Number(ctx.flags.last ?? -1);
  const latest = bool(ctx.flags.latest);
  const limit = latest ? 1 : last;
  // -n and -l imply -a, as in Docker.
  let items = await ctx.engine.containers.list({ all: bool(ctx.flags.all) || limit > 0, filters: parseFilters(list(ctx.flags.filter)) });
  if (limit > 0) items = items.slice(0, limit);
  const noTrunc = bool(ctx.flags['no-trunc']);
  if (bool(ctx.flags.quiet)) {
    ctx.out(items.map((i) => (noTrunc ? i.Id : shortId(i.Id)) + '\n').join(''));
    return 0;
  }
  const now = new Date();
  const records = items.map((i) => ({
    ID: noTrunc ? i.Id : shortId(i.Id),
    Image: i.Image,
    Command: psCommand(i.Command, noTrunc),
    CreatedAt: goTime(i.config.created),
    RunningFor: createdAgo(i.config.created, now),
    Ports: displayablePorts(i.Ports ?? []),
    Status: i.Status,
    State: i.State,
    Names: i.Names[0]!.slice(1),
    Labels: labelList(i.Labels),
    // Docker's ContainerContext.Label: one label's value, "" when the container has no such label.
    Label: (key: string) => (Object.hasOwn(i.Labels, key) ? i.Labels[key]! : ''),
  }));
  const format = String(ctx.flags.format ?? '');
  if (format) {
    ctx.out(formatted('ps', format, records, PS_HEADERS));
    return 0;
  }
  const columns = ['ID', 'Image', 'Command', 'RunningFor', 'Status', 'Ports', 'Names'] as const;
  ctx.out(table(columns.map((c) => PS_HEADERS[c]!), records.map((r) => columns.map((c) => r[c]))));
  return 0;
};

/** ps's {{.Labels}}: k=v pairs joined by commas, sorted by key (Docker prints them in map order, which varies). */
export function labelList(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** `--filter KEY=VALUE` arguments, grouped by key (the runtime checks keys and values). */
export function parseFilters(args: string[]): ContainerFilters {
  const filters: ContainerFilters = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid argument "${arg}" for "-f, --filter" flag: bad format of filter (expected name=value)`, 'ps');
    (filters[arg.slice(0, eq).trim().toLowerCase()] ??= []).push(arg.slice(eq + 1));
  }
  return filters;
}

/** Column headers for `ps --format 'table ...'`, as Docker names them. */
export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', Status: 'STATUS', State: 'STATE', Names: 'NAMES', Labels: 'LABELS',
  // A method, not a field: its header is worked out from its argument (headerLabel).
  Label: 'LABEL',
};

/**
 * The header of a {{.Label "KEY"}} column, as Docker's SubHeaderContext.Label
 * makes it: the last dot-separated part of the key, "-" and "_" as spaces
 * ("com.example.team-name" → "team name").
 */
function headerLabel(key: string): string {
  return key.split('.').pop()!.replace(/[-_]/g, ' ');
}

/** Docker prints times in --format output the way Go prints a time.Time. */
function goTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' +0000 UTC');
}

/** A ps or images --format template, parsed and its fields checked (also what the language server checks as you type). */
export function parseListFormat(command: string, format: string, headers: Record<string, string>) {
  const isTable = format.startsWith('table ') || format === 'table';
  const parts = parseTemplate(isTable ? format.slice(5).trimStart() || '{{.ID}}' : format);
  checkFields(parts, Object.keys(headers), command);
  return { isTable, parts };
}

/**
 * Render rows with a --format template. "table " in front means aligned
 * columns under a header row, as in Docker.
 */
function formatted(command: string, format: string, records: object[], headers: Record<string, string>): string {
  const { isTable, parts } = parseListFormat(command, format, headers);
  const lines = records.map((r) => render(parts, r));
  if (!isTable) return lines.map((l) => l + '\n').join('');
  const header = render(parts, new Proxy({}, { get: (_t, k) => (k === 'Label' ? headerLabel : (headers[String(k)] ?? String(k).toUpperCase())), has: () => true }));
  return table(header.split('\t'), lines.map((l) => l.split('\t')));
}

export const images: Handler = async (ctx) => {
  const noTrunc = bool(ctx.flags['no-trunc']);
  const idOf = (id: string) => (noTrunc ? id : shortId(id));
  const now = new Date();
  const records = (await ctx.engine.images.list({ pattern: ctx.args[0], all: bool(ctx.flags.all) })).map((img) => ({
    ID: idOf(img.Id),
    Repository: img.Repository,
    Tag: img.Tag,
    Digest: img.Digest ?? '<none>',
    CreatedSince: createdAgo(img.Created, now),
    CreatedAt: goTime(img.Created),
    Size: humanSize(img.Size),
    Containers: 'N/A',
  }));
  if (bool(ctx.flags.quiet)) {
    ctx.out([...new Set(records.map((r) => r.ID))].map((l) => l + '\n').join(''));
    return 0;
  }
  const format = String(ctx.flags.format ?? '');
  if (format) {
    ctx.out(formatted('images', format, records, IMAGE_HEADERS));
    return 0;
  }
  const columns = bool(ctx.flags.digests)
    ? (['Repository', 'Tag', 'Digest', 'ID', 'CreatedSince', 'Size'] as const)
    : (['Repository', 'Tag', 'ID', 'CreatedSince', 'Size'] as const);
  ctx.out(table(columns.map((c) => IMAGE_HEADERS[c]!), records.map((r) => columns.map((c) => r[c]))));
  return 0;
};

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT', Size: 'SIZE', Containers: 'CONTAINERS',
};

/** Containers first, then images, like `docker inspect` without --type. */
export const inspect: Handler = async (ctx) => {
  const type = String(ctx.flags.type ?? '');
  if (type && type !== 'container' && type !== 'image') throw new GlassError('INVALID_ARGUMENT', `"${type}" is not a valid value for --type: use container or image`);
  const found: unknown[] = [];
  let failed = 0;
  // Only "no such" means "try the other kind"; any other failure (a broken container, a host error) is told as it is.
  const unlessMissing = (e: unknown): undefined => {
    // (INVALID_ARGUMENT: not even a valid image reference, e.g. a container name with capitals.)
    if (isGlassError(e) && ['NO_SUCH_CONTAINER', 'NO_SUCH_IMAGE', 'INVALID_ARGUMENT'].includes(e.code)) return undefined;
    throw e;
  };
  for (const ref of ctx.args) {
    let obj: unknown;
    try {
      if (type !== 'image') obj = await ctx.engine.containers.inspect(ref).catch(unlessMissing);
      if (obj === undefined && type !== 'container') obj = await ctx.engine.images.inspect(ref).catch(unlessMissing);
    } catch (e) {
      failed++;
      ctx.err(`Error: ${describeHostError(e, ctx.engine.root) ?? (e as Error).message}\n`);
      continue;
    }
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
