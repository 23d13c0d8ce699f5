import { GlassError } from '../../engine/index.js';
import { bool, str, type Handler } from '../context.js';
import { jsonMessageRenderer } from '../jsonmessage.js';
import { writeToFile } from '../output-file.js';

/** `glass save [-o FILE] IMAGE...`: the archive to FILE (written aside, then renamed) or to a non-terminal stdout. */
export const save: Handler = async (ctx) => {
  const output = str(ctx.flags.output);
  if (!output && process.stdout.isTTY) {
    throw new GlassError('INVALID_ARGUMENT', 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  if (output) await writeToFile(output, (out) => ctx.engine.images.save(ctx.args, out).then(() => undefined));
  else await ctx.engine.images.save(ctx.args, process.stdout);
  return 0;
};

/**
 * `glass load [-i FILE] [-q]`. Output as Docker's: a renaming line for a
 * name that moves from another image, then `Loaded image: NAME` per name, or
 * `Loaded image ID: sha256:...` for an image without one. On a terminal,
 * each layer's "Loading layer" progress first; -q hides that progress only,
 * never these lines (as Docker's -q; off a terminal there is no progress).
 */
export const load: Handler = async (ctx) => {
  const input = str(ctx.flags.input);
  if (!input && process.stdin.isTTY) {
    throw new GlassError('INVALID_ARGUMENT', 'requested load from stdin, but stdin is empty');
  }
  // Docker shows "<layer>: Loading layer [==>  ]" on a terminal only, and not with -q.
  const progress = process.stdout.isTTY && !bool(ctx.flags.quiet) ? jsonMessageRenderer(ctx.out, true, process.stdout.columns ?? 80) : undefined;
  const loaded = await ctx.engine.images.load(input ?? process.stdin, { onProgress: progress });
  const lines: string[] = [];
  for (const img of loaded) {
    for (const r of img.retagged) lines.push(`The image ${r.tag} already exists, renaming the old one with ID ${r.fromId} to empty string`);
    for (const t of img.repoTags) lines.push(`Loaded image: ${t}`);
    if (img.repoTags.length === 0) lines.push(`Loaded image ID: ${img.id}`);
  }
  if (lines.length) ctx.out(lines.join('\n') + '\n');
  return 0;
};
