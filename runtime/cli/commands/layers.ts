import { bool, list, str, type Handler } from '../context.js';
import { ellipsis, humanDuration, humanSize, shortId, table } from '../format.js';
import { checkFields, parseTemplate, render } from '../template.js';

/** Docker's letters for a change's Kind: 0 changed, 1 added, 2 deleted. */
const LETTER = ['C', 'A', 'D'] as const;

/** `glass diff CONTAINER`: one "KIND PATH" line per change, as `docker diff`. */
export const diff: Handler = async (ctx) => {
  const changes = await ctx.engine.containers.changes(ctx.args[0]!);
  ctx.out(changes.map((c) => `${LETTER[c.Kind]} ${c.Path}\n`).join(''));
  return 0;
};

/** `glass commit`: prints the new image's ID ("sha256:..."), as `docker commit`. */
export const commit: Handler = async (ctx) => {
  const [container, reference] = ctx.args;
  const { id } = await ctx.engine.images.commit(container!, {
    reference,
    message: str(ctx.flags.message),
    author: str(ctx.flags.author),
    changes: list(ctx.flags.change),
    pause: ctx.flags.pause === undefined ? true : bool(ctx.flags.pause),
  });
  ctx.out(id + '\n');
  return 0;
};

export const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT',
};

/** Go's time.Format(time.RFC3339) of Unix seconds, in the local time zone (docker history -H=false). */
export function rfc3339Local(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offsetMin * 60_000).toISOString().slice(0, 19);
  if (offsetMin === 0) return `${local}Z`;
  const abs = Math.abs(offsetMin);
  return `${local}${offsetMin < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * `glass history IMAGE`: docker/cli's history formatter. CREATED BY is cut to
 * 45 runes ("…") and IDs to 12 characters unless --no-trunc; -H=false shows
 * CREATED AT and sizes in bytes; -q only the IDs (<missing> rows too).
 */
export const history: Handler = async (ctx) => {
  const rows = await ctx.engine.images.history(ctx.args[0]!);
  const trunc = !bool(ctx.flags['no-trunc']);
  const human = ctx.flags.human === undefined ? true : bool(ctx.flags.human);
  const now = Date.now();
  const records = rows.map((r) => {
    const createdBy = r.CreatedBy.replace(/\t/g, ' ');
    return {
      ID: trunc && r.Id !== '<missing>' ? shortId(r.Id) : r.Id,
      CreatedSince: `${humanDuration(now - r.Created * 1000)} ago`,
      CreatedAt: rfc3339Local(r.Created),
      CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
      Size: human ? humanSize(r.Size) : String(r.Size),
      Comment: r.Comment,
    };
  });
  if (bool(ctx.flags.quiet)) {
    ctx.out(records.map((r) => r.ID + '\n').join(''));
    return 0;
  }
  const format = String(ctx.flags.format ?? '') || `table {{.ID}}\t{{${human ? '.CreatedSince' : '.CreatedAt'}}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`;
  const isTable = format.startsWith('table ') || format === 'table';
  const parts = parseTemplate(isTable ? format.slice(5).trimStart() || '{{.ID}}' : format);
  checkFields(parts, Object.keys(HISTORY_HEADERS), 'history');
  const lines = records.map((r) => render(parts, r));
  if (!isTable) {
    ctx.out(lines.map((l) => l + '\n').join(''));
    return 0;
  }
  const header = render(parts, new Proxy({}, { get: (_t, k) => HISTORY_HEADERS[String(k)] ?? String(k).toUpperCase(), has: () => true }));
  ctx.out(table(header.split('\t'), lines.map((l) => l.split('\t'))));
  return 0;
};
