import { GlassError } from '../../engine/errors.js';
import type { ContainerInfo } from '../../engine/containers/types.js';
import { bool, list, type Handler } from '../context.js';
import { UsageError } from '../parse.js';
import type { ContainerFilters } from '../../engine/containers/filters.js';
import { createdAgo, humanSize, psCommand, psStatus, shortId, table } from '../format.js';
import { checkFields, parseTemplate, render } from '../template.js';
import { parseReference } from '../../engine/images/reference.js';

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
  let items = await ctx.rt.list({ all: bool(ctx.flags.all) || limit > 0, filters: parseFilters(list(ctx.flags.filter)) });
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
    ctx.out(formatted('ps', format, records, PS_HEADERS));
    return 0;
  }
  const columns = ['ID', 'Image', 'Command', 'RunningFor', 'Status', 'Ports', 'Names'] as const;
  ctx.out(table(columns.map((c) => PS_HEADERS[c]!), records.map((r) => columns.map((c) => r[c]))));
  return 0;
};

/** `--filter KEY=VALUE` arguments, grouped by key (the runtime checks keys and values). */
function parseFilters(args: string[]): ContainerFilters {
  const filters: ContainerFilters = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid argument "${arg}" for "-f, --filter" flag: bad format of filter (expected name=value)`, 'ps');
    (filters[arg.slice(0, eq).trim().toLowerCase()] ??= []).push(arg.slice(eq + 1));
  }
  return filters;
}

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
function formatted(command: string, format: string, records: object[], headers: Record<string, string>): string {
  const isTable = format.startsWith('table ') || format === 'table';
  const parts = parseTemplate(isTable ? format.slice(5).trimStart() || '{{.ID}}' : format);
  checkFields(parts, Object.keys(headers), command);
  const lines = records.map((r) => render(parts, r));
  if (!isTable) return lines.map((l) => l + '\n').join('');
  const header = render(parts, new Proxy({}, { get: (_t, k) => headers[String(k)] ?? String(k).toUpperCase(), has: () => true }));
  return table(header.split('\t'), lines.map((l) => l.split('\t')));
}

export const images: Handler = async (ctx) => {
  const pattern = ctx.args[0];
  const matches = pattern === undefined ? () => true : referenceMatcher(pattern);
  const noTrunc = bool(ctx.flags['no-trunc']);
  const idOf = (id: string) => (noTrunc ? id : shortId(id));
  const now = new Date();
  // One row per name; an image with no name is one <none> row (hidden by a pattern).
  const records = (await ctx.rt.images.list()).flatMap((img) =>
    (img.repoTags.length ? img.repoTags : pattern === undefined ? ['<none>:<none>'] : [])
      .filter((t) => matches(t))
      .map((t) => ({
        ID: idOf(img.id),
        Repository: t.slice(0, t.lastIndexOf(':')),
        Tag: t.slice(t.lastIndexOf(':') + 1),
        Digest: '<none>',
        CreatedSince: createdAgo(img.created, now),
        CreatedAt: goTime(img.created),
        Size: humanSize(img.size),
        Containers: 'N/A',
      })),
  );
  if (bool(ctx.flags.quiet)) {
    ctx.out([...new Set(records.map((r) => r.ID))].map((l) => l + '\n').join(''));
    return 0;
  }
  const format = String(ctx.flags.format ?? '');
  if (format) {
    ctx.out(formatted('images', format, records, IMAGE_HEADERS));
    return 0;
  }
  const columns = ['Repository', 'Tag', 'ID', 'CreatedSince', 'Size'] as const;
  ctx.out(table(columns.map((c) => IMAGE_HEADERS[c]!), records.map((r) => columns.map((c) => r[c]))));
  return 0;
};

const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT', Size: 'SIZE', Containers: 'CONTAINERS',
};

/**
 * `docker images PATTERN`: the pattern is matched, shell-glob style (`*`, `?`
 * within one path component), against "name:tag" and against the bare name,
 * so `busybox` lists every busybox tag and `busybox:1.*` some of them.
 */
function referenceMatcher(pattern: string): (repoTag: string) => boolean {
  if (!/[*?]/.test(pattern)) {
    // A plain reference may be written in full: docker.io/library/busybox is busybox.
    try {
      const r = parseReference(pattern);
      if (!r.digest) pattern = r.repository + (r.tag ? `:${r.tag}` : '');
    } catch { /* not a valid name: it matches nothing */ }
  }
  const re = new RegExp(
    '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$',
  );
  return (repoTag) => re.test(repoTag) || re.test(repoTag.slice(0, repoTag.lastIndexOf(':')));
}

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
