import { GlassError, readEnvFile, type ExecOptions } from '../../engine/index.js';
import { bool, list, str, type Handler } from '../context.js';
import { parseDetachKeys, pump } from '../stdio.js';
import { requireTerminal } from './containers.js';

/**
 * `glass exec [OPTIONS] CONTAINER COMMAND [ARG...]`: another process in a
 * running container (runtime/engine/containers/exec.ts, native/exec.c). Its
 * exit code is the command's; the container runs on when it ends.
 */
export const exec: Handler = async (ctx) => {
  const [ref, ...command] = ctx.args;
  const detach = bool(ctx.flags.detach);
  const tty = bool(ctx.flags.tty);
  const interactive = bool(ctx.flags.interactive);
  const keys = parseDetachKeys(str(ctx.flags['detach-keys']));
  if (!detach) requireTerminal(tty, interactive);
  // Read here, as Docker's CLI does (its 64 KiB line limit).
  const envFiles: ExecOptions['envFiles'] = [];
  for (const path of list(ctx.flags['env-file'])) envFiles.push({ path, text: await readEnvFile(path) });
  let started;
  try {
    started = await ctx.engine.containers.execStart(ref!, {
      command,
      env: list(ctx.flags.env),
      envFiles,
      workdir: str(ctx.flags.workdir),
      user: str(ctx.flags.user),
      tty,
      interactive,
      privileged: bool(ctx.flags.privileged),
      detach,
    });
  } catch (e) {
    // The command could not be started inside (not found, not executable,
    // unknown user...): Docker's "OCI runtime exec failed", 127 / 126.
    const code = (e as { code?: string }).code;
    if (code === 'COMMAND_NOT_FOUND' || code === 'COMMAND_NOT_EXECUTABLE' || code === 'SHIM_FAILED') {
      ctx.err(`Error: exec failed: ${(e as Error).message}\n`);
      return code === 'COMMAND_NOT_FOUND' ? 127 : 126;
    }
    throw e;
  }
  if (detach) return 0;
  // Our reader went away (`glass exec c yes | head -1`): the command gets SIGPIPE, as it would writing to a closed pipe.
  const onOutputClosed = () => void ctx.engine.containers.execKill(started.id, started.execId, 'SIGPIPE').catch(() => {});
  const result = await pump(started.attachment!, { stdin: interactive, tty, detachKeys: keys, onOutputClosed });
  if (result === 'detached') {
    ctx.err(`glass: detached from exec ${started.execId.slice(0, 12)} in ${started.id.slice(0, 12)}; the process keeps running\n`);
    return 0;
  }
  if (result !== undefined) return result;
  const x = await ctx.engine.containers.execInspect(started.id, started.execId).catch(() => undefined);
  if (x?.exitCode !== undefined) return x.exitCode;
  throw new GlassError('CONTAINER_NOT_RUNNING', `lost the exec's stdio before it exited (its shim is gone): see ${started.id.slice(0, 12)}'s state with glass ps -a`, 1);
};
