import { inspect } from 'node:util';
import { describeHostError, isGlassError, isHostError } from '../engine/index.js';

/**
 * A notebook cell that fails because of what it asked glass to do (a missing
 * image, a bad option, no root) should show glass's own one line, as the CLI
 * prints it, not a stack trace from deep inside the engine. tslab prints a
 * failed cell's error with console.error, that is util.inspect: this error
 * inspects as its message alone.
 */
export class NotebookError extends Error {
  constructor(
    message: string,
    /** glass's stable error code (NO_SUCH_IMAGE, NOT_ROOT...), or the CLI's exit code as text for a glass command line. */
    readonly code: string,
    /** The exit code Docker's CLI would give. */
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'GlassError';
    this.stack = message;
  }

  [inspect.custom](): string {
    return this.message;
  }
}

/** glass's one line for an error the engine (or the host) raised; anything else (a bug) is passed on as it is. */
export function oneLine(e: unknown, root: string): unknown {
  if (e instanceof NotebookError) return e;
  if (isGlassError(e)) return new NotebookError(`glass: ${e.message}`, e.code, e.exitCode);
  if (isHostError(e)) {
    const line = describeHostError(e, root);
    if (line) return new NotebookError(`glass: ${line}`, e.code, 125);
  }
  return e;
}

/** Run `fn`; glass's errors come out as one line (see NotebookError). */
export async function oneLineErrors<T>(root: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw oneLine(e, root);
  }
}
