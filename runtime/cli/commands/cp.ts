import { resolve } from 'node:path';
import { GlassError, isGlassError, splitCpArg } from '../../engine/index.js';
import { bool, type Ctx, type Handler } from '../context.js';

/**
 * `glass cp CONTAINER:SRC DEST|-` and `glass cp SRC|- CONTAINER:DEST`, as
 * Docker 20.10's CLI: nothing printed on success; its error lines, exit 1.
 */
export const cp: Handler = async (ctx) => {
  const [source = '', destination = ''] = ctx.args;
  const fail = (line: string) => {
    ctx.err(line + '\n');
    return 1;
  };
  if (source === '') return fail('source can not be empty');
  if (destination === '') return fail('destination can not be empty');
  const src = splitCpArg(source);
  const dst = splitCpArg(destination);
  if (src.container && dst.container) return fail('copying between containers is not supported');
  if (!src.container && !dst.container) return fail('must specify at least one container source');
  const opts = { archive: bool(ctx.flags.archive), followLink: bool(ctx.flags['follow-link']) };
  const containers = ctx.engine.containers;
  const container = (src.container ?? dst.container)!;
  const containerPath = src.container ? src.path : dst.path;
  try {
    if (src.container) {
      if (dst.path === '-') await containers.archive(container, src.path, process.stdout);
      else await containers.copyFrom(container, src.path, localPath(dst.path), opts);
    } else if (src.path === '-') {
      if (process.stdin.isTTY) return fail('cp from "-" reads a tar archive from stdin: pipe one in, e.g. `tar -C dir -c . | glass cp - CONTAINER:/dest`');
      await containers.extractArchive(container, dst.path, process.stdin, { copyUIDGID: opts.archive });
    } else {
      await containers.copyTo(container, localPath(src.path), dst.path, opts);
    }
    return 0;
  } catch (e) {
    return failed(ctx, e, container, containerPath);
  }
};

/** Docker's resolveLocalPath: absolute, keeping a trailing "/" or "/." (they mean "a directory", "its contents"). */
function localPath(path: string): string {
  const abs = resolve(path);
  if ((path === '.' || path.endsWith('/.')) && !abs.endsWith('/.')) return abs === '/' ? '/.' : `${abs}/.`;
  if (path.endsWith('/') && !abs.endsWith('/')) return `${abs}/`;
  return abs;
}

/** Docker's CLI wording: a 404 from the daemon, the daemon's other errors, or the client's own check as a bare line. */
function failed(ctx: Ctx, e: unknown, container: string, path: string): number {
  if (!isGlassError(e)) throw e;
  if (e.code === 'NO_SUCH_PATH' || e.code === 'NO_SUCH_CONTAINER') {
    ctx.err(`Error: No such container:path: ${container}:${(e as { path?: string }).path ?? path}\n`);
  } else if ((e as { fromDaemon?: boolean }).fromDaemon || !(e instanceof GlassError) || e.code !== 'INVALID_ARGUMENT') {
    ctx.err(`Error response from daemon: ${e.message}\n`);
  } else {
    ctx.err(`${e.message}\n`);
  }
  return 1;
}
