import { GlassError } from '../../engine/index.js';
import { bool, eachTarget, list, str, type Handler } from '../context.js';

export const tag: Handler = async (ctx) => {
  await ctx.engine.images.tag(ctx.args[0]!, ctx.args[1]!);
  return 0;
};

export const rmi: Handler = (ctx) =>
  eachTarget(ctx, ctx.args, async (ref) => {
    const lines = await ctx.engine.images.remove(ref, { force: bool(ctx.flags.force) });
    return lines.join('\n');
  });

export const importCmd: Handler = async (ctx) => {
  const [source, reference] = ctx.args;
  if (source === '-' && process.stdin.isTTY) throw new GlassError('INVALID_ARGUMENT', 'import from "-" reads a tarball from stdin: pipe one in, e.g. `tar -C rootfs -c . | glass import - myimage`');
  const img = await ctx.engine.images.import(source === '-' ? process.stdin : source!, {
    reference,
    message: str(ctx.flags.message),
    changes: list(ctx.flags.change),
  });
  ctx.out(img.id + '\n');
  return 0;
};
