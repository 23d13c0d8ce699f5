import { GlassError } from '../../engine/errors.js';
import { bool, eachTarget, list, str, type Handler } from '../context.js';

export const tag: Handler = async (ctx) => {
  await ctx.rt.images.tag(ctx.args[0]!, ctx.args[1]!);
  return 0;
};

export const rmi: Handler = (ctx) =>
  eachTarget(ctx, ctx.args, async (ref) => {
    const force = bool(ctx.flags.force);
    const result = await ctx.rt.images.remove(ref, {
      force,
      // The first container using it, so the error can name it as Docker does.
      isInUse: async (imageId) => (await ctx.rt.imageUsers(imageId))[0]?.id ?? false,
    });
    return result.lines.join('\n');
  });

export const importCmd: Handler = async (ctx) => {
  const [source, reference] = ctx.args;
  if (source === '-' && process.stdin.isTTY) throw new GlassError('INVALID_ARGUMENT', 'import from "-" reads a tarball from stdin: pipe one in, e.g. `tar -C rootfs -c . | glass import - myimage`');
  const img = await ctx.rt.images.importTarball(source === '-' ? process.stdin : source!, {
    reference,
    message: str(ctx.flags.message),
    changes: list(ctx.flags.change),
  });
  ctx.out(img.id + '\n');
  return 0;
};
