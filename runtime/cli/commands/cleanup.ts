import { isGlassError, shownFilters, type DiskUsage } from '../../engine/index.js';
import { createdAgo, humanSize, psCommand, shortId, table } from '../format.js';
import { bool, list, type Ctx, type Handler } from '../context.js';

/**
 * The clean-up commands with Docker 20.10's output: container prune, image
 * prune, system df, system prune. Sizes are go-units' HumanSize (1000-based,
 * 4 significant digits: "1.234MB"), as Docker prints reclaimed space and df.
 */

const size = (bytes: number) => humanSize(bytes, 4);

/**
 * Docker's PromptForConfirmation: the question on stdout, then one word read
 * from stdin (no terminal needed: `echo y | glass container prune`); only y
 * or Y goes ahead, and the end of input is a no.
 */
async function confirm(ctx: Ctx, warning: string): Promise<boolean> {
  ctx.out(`${warning} [y/N] `);
  const answer = await readWord();
  return answer === 'y' || answer === 'Y';
}

function readWord(): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const stdin = process.stdin;
    const done = () => {
      stdin.off('data', onData);
      stdin.off('end', done);
      stdin.off('error', done);
      stdin.pause();
      resolve(text.trim().split(/\s+/)[0] ?? '');
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (/\S\s/.test(text)) done();
    };
    stdin.on('data', onData);
    stdin.once('end', done);
    stdin.once('error', done);
  });
}

/** A daemon-side error (a bad filter) as Docker prints it; anything else goes to main. */
function daemonError(ctx: Ctx, e: unknown): number {
  if (!isGlassError(e)) throw e;
  ctx.err(e.message.startsWith('bad format of filter') ? `${e.message}\n` : `Error response from daemon: ${e.message}\n`);
  return 1;
}

type Section = { bytes: number; text: string };

async function pruneContainers(ctx: Ctx, filters: string[]): Promise<Section> {
  const r = await ctx.engine.containers.prune({ filters });
  const text = r.containersDeleted.length ? `Deleted Containers:\n${r.containersDeleted.map((id) => `${id}\n`).join('')}` : '';
  return { bytes: r.spaceReclaimed, text };
}

async function pruneImages(ctx: Ctx, all: boolean, filters: string[]): Promise<Section> {
  const r = await ctx.engine.images.prune({ all, filters });
  const text = r.imagesDeleted.length
    ? `Deleted Images:\n${r.imagesDeleted.map((d) => (d.untagged !== undefined ? `untagged: ${d.untagged}\n` : `deleted: ${d.deleted}\n`)).join('')}`
    : '';
  return { bytes: r.spaceReclaimed, text };
}

async function pruneVolumes(ctx: Ctx, filters: string[]): Promise<Section> {
  const labels = filters.filter((f) => f.startsWith('label=')).map((f) => f.slice('label='.length));
  const r = await ctx.engine.volumes.prune({ filters: labels.length ? { label: labels } : {} });
  return { bytes: r.spaceReclaimed, text: r.deleted.length ? `Deleted Volumes:\n${r.deleted.map((n) => `${n}\n`).join('')}` : '' };
}

/** Each section that has something, then the total: fmt.Println(output) adds the blank line. */
function report(ctx: Ctx, sections: Section[]): void {
  for (const s of sections) if (s.text) ctx.out(`${s.text}\n`);
  ctx.out(`Total reclaimed space: ${size(sections.reduce((sum, s) => sum + s.bytes, 0))}\n`);
}

export const containerPrune: Handler = async (ctx) => {
  if (!bool(ctx.flags.force) && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?'))) {
    report(ctx, []);
    return 0;
  }
  try {
    report(ctx, [await pruneContainers(ctx, list(ctx.flags.filter))]);
  } catch (e) {
    return daemonError(ctx, e);
  }
  return 0;
};

export const imagePrune: Handler = async (ctx) => {
  const all = bool(ctx.flags.all);
  const warning = all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.';
  if (!bool(ctx.flags.force) && !(await confirm(ctx, `${warning}\nAre you sure you want to continue?`))) {
    report(ctx, []);
    return 0;
  }
  try {
    report(ctx, [await pruneImages(ctx, all, list(ctx.flags.filter))]);
  } catch (e) {
    return daemonError(ctx, e);
  }
  return 0;
};

export const systemPrune: Handler = async (ctx) => {
  const all = bool(ctx.flags.all);
  const volumes = bool(ctx.flags.volumes);
  const filters = list(ctx.flags.filter);
  if (!bool(ctx.flags.force)) {
    // Docker's confirmationTemplate, its warnings in its order.
    const warnings = [
      'all stopped containers',
      'all networks not used by at least one container',
      ...(volumes ? ['all volumes not used by at least one container'] : []),
      all ? 'all images without at least one container associated to them' : 'all dangling images',
      all ? 'all build cache' : 'all dangling build cache',
    ];
    const shown = shownFilters(filters);
    const filterText = shown.length ? `\n  Items to be pruned will be filtered with:${shown.map((f) => `\n  - ${f}`).join('')}\n` : '';
    const message = `WARNING! This will remove:${warnings.map((w) => `\n  - ${w}`).join('')}\n${filterText}\nAre you sure you want to continue?`;
    if (!(await confirm(ctx, message))) return 0;
  }
  try {
    // Docker's order: containers, networks (glass has no user networks yet), volumes, images, build cache (none).
    const sections = [await pruneContainers(ctx, filters)];
    if (volumes) sections.push(await pruneVolumes(ctx, filters));
    sections.push(await pruneImages(ctx, all, filters));
    report(ctx, sections);
  } catch (e) {
    return daemonError(ctx, e);
  }
  return 0;
};

/** "1.2MB (50%)": the share is integer division, as Go's int64 arithmetic does it. */
function withShare(part: number, total: number): string {
  return total > 0 ? `${size(part)} (${Math.floor((part * 100) / total)}%)` : size(part);
}

const ACTIVE_STATES = ['running', 'paused', 'restarting'];

export const systemDf: Handler = async (ctx) => {
  const du = await ctx.engine.system.df();
  ctx.out(bool(ctx.flags.verbose) ? verbose(du) : summary(du));
  return 0;
};

/** TYPE TOTAL ACTIVE SIZE RECLAIMABLE, Docker's formatter/disk_usage.go rules. */
function summary(du: DiskUsage): string {
  const used = du.Images.filter((i) => i.Containers > 0).reduce((sum, i) => sum + i.Size - i.SharedSize, 0);
  const containersTotal = du.Containers.reduce((sum, c) => sum + c.SizeRw, 0);
  const containersIdle = du.Containers.filter((c) => !ACTIVE_STATES.includes(c.State)).reduce((sum, c) => sum + c.SizeRw, 0);
  const volumesTotal = du.Volumes.reduce((sum, v) => sum + v.UsageData.Size, 0);
  const volumesIdle = du.Volumes.filter((v) => v.UsageData.RefCount === 0).reduce((sum, v) => sum + v.UsageData.Size, 0);
  const rows = [
    ['Images', String(du.Images.length), String(du.Images.filter((i) => i.Containers > 0).length), size(du.LayersSize), withShare(Math.max(0, du.LayersSize - used), du.LayersSize)],
    ['Containers', String(du.Containers.length), String(du.Containers.filter((c) => ACTIVE_STATES.includes(c.State)).length), size(containersTotal), withShare(containersIdle, containersTotal)],
    ['Local Volumes', String(du.Volumes.length), String(du.Volumes.filter((v) => v.UsageData.RefCount > 0).length), size(volumesTotal), withShare(volumesIdle, volumesTotal)],
    ['Build Cache', '0', '0', '0B', '0B'],
  ];
  return table(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], rows);
}

/** `system df -v`: Docker's verbose template, one table per kind. */
function verbose(du: DiskUsage): string {
  const now = new Date();
  const images = du.Images.map((i) => {
    const tag = i.RepoTags[0];
    const [repo, t] = tag ? [tag.slice(0, tag.lastIndexOf(':')), tag.slice(tag.lastIndexOf(':') + 1)] : ['<none>', '<none>'];
    return [repo, t, shortId(i.Id), createdAgo(new Date(i.Created * 1000).toISOString(), now), humanSize(i.Size), size(i.SharedSize), size(i.Size - i.SharedSize), String(i.Containers)];
  });
  const containers = du.Containers.map((c) => [
    shortId(c.Id),
    c.Image,
    psCommand(c.Command, false),
    String(c.LocalVolumes),
    humanSize(c.SizeRw),
    createdAgo(new Date(c.Created * 1000).toISOString(), now),
    c.Status,
    c.Names.map((n) => n.replace(/^\//, '')).join(','),
  ]);
  const volumes = du.Volumes.map((v) => [v.Name, String(v.UsageData.RefCount), size(v.UsageData.Size)]);
  return [
    'Images space usage:\n',
    table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], images),
    'Containers space usage:\n',
    table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], containers),
    'Local Volumes space usage:\n',
    table(['VOLUME NAME', 'LINKS', 'SIZE'], volumes),
    'Build cache usage: 0B\n',
    table(['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED'], []),
  ].join('\n');
}
