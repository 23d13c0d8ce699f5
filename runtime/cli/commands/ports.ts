import { askedPortKey, GlassError, PortSpecError, portLines, type PortBinding } from '../../engine/index.js';
import type { Handler } from '../context.js';

/**
 * `glass port CONTAINER [PRIVATE_PORT[/PROTO]]`, as Docker prints it:
 * "80/tcp -> 0.0.0.0:8080" per binding, or with a port only "0.0.0.0:8080".
 */
export const port: Handler = async (ctx) => {
  const [ref, asked] = ctx.args;
  let key: string | undefined;
  if (asked !== undefined) {
    try {
      key = askedPortKey(asked);
    } catch (e) {
      if (e instanceof PortSpecError) throw new GlassError('INVALID_ARGUMENT', `invalid port (${asked})`, 1);
      throw e;
    }
  }
  const info = (await ctx.engine.containers.inspect(ref!)) as { NetworkSettings?: { Ports?: Record<string, PortBinding[] | null> } };
  const ports = info.NetworkSettings?.Ports ?? {};
  const lines = portLines(ports, key);
  if (lines === undefined) throw new GlassError('INVALID_ARGUMENT', `No public port '${key}' published for ${ref}`, 1);
  ctx.out(lines.map((l) => l + '\n').join(''));
  return 0;
};
