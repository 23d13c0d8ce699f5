import { describeHostError, isGlassError } from '../../engine/index.js';
import { str, type Ctx } from '../context.js';
import { parseTemplate, render } from '../template.js';

/**
 * How Docker's CLI reports a failed call about a volume or a network: an
 * object it could not find is its own lookup's "Error: No such …"; anything
 * else the daemon said is "Error response from daemon: …"; a host error is
 * one line naming the path and what to do.
 */
export function objectError(ctx: Ctx, e: unknown, notFound: (code: string, message: string) => boolean): void {
  if (isGlassError(e) && notFound(e.code, e.message)) ctx.err(`Error: ${e.message}\n`);
  else if (isGlassError(e)) ctx.err(`Error response from daemon: ${e.message}\n`);
  else ctx.err(`Error: ${describeHostError(e, ctx.engine.root) ?? (e as Error).message}\n`);
}

/**
 * `docker volume inspect` / `docker network inspect`: each object found, as
 * one JSON array (or one --format line each); every one not found is an
 * error line, and the exit status is 1 if any was. `emptyArrayOnFailure`:
 * whether "[]" is printed when none was found (volume inspect does).
 */
export async function inspectObjects<T>(
  ctx: Ctx,
  get: (ref: string) => Promise<T>,
  notFound: (code: string, message: string) => boolean,
  emptyArrayOnFailure: boolean,
): Promise<number> {
  const found: T[] = [];
  let failed = 0;
  for (const ref of ctx.args) {
    try {
      found.push(await get(ref));
    } catch (e) {
      failed++;
      objectError(ctx, e, notFound);
    }
  }
  const format = str(ctx.flags.format);
  if (format) {
    const parts = parseTemplate(format);
    ctx.out(found.map((o) => render(parts, o) + '\n').join(''));
  } else if (found.length || !failed || emptyArrayOnFailure) {
    ctx.out(JSON.stringify(found, null, 4) + '\n');
  }
  return failed ? 1 : 0;
}
