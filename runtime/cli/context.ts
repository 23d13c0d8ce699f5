import { describeHostError, type Engine } from '../engine/index.js';
import type { FlagValue } from './parse.js';

/** What every command handler gets. Handlers return the exit code. */
export interface Ctx {
  engine: Engine;
  name: string;
  flags: Record<string, FlagValue>;
  /** Flags given on the command line (not defaults), like cobra's Changed. */
  changed: Set<string>;
  args: string[];
  /** The global --explain: the engine's steps are printed; a command may add its own explanations (build's cache verdicts). */
  explain?: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

export type Handler = (ctx: Ctx) => Promise<number>;

export const str = (v: FlagValue | undefined): string | undefined => (v === undefined || v === '' ? undefined : String(v));
export const list = (v: FlagValue | undefined): string[] => (Array.isArray(v) ? v : v === undefined || v === '' ? [] : [String(v)]);
export const bool = (v: FlagValue | undefined): boolean => v === true || v === 'true';

/**
 * Run `fn` for each target, printing errors as Docker does (one line each on
 * stderr) and exiting 1 if any failed.
 */
export async function eachTarget(ctx: Ctx, targets: string[], fn: (ref: string) => Promise<string | void>): Promise<number> {
  let failed = 0;
  for (const ref of targets) {
    try {
      const line = await fn(ref);
      if (line !== undefined) ctx.out(line + '\n');
    } catch (e) {
      failed++;
      ctx.err(`Error: ${describeHostError(e, ctx.engine.root) ?? (e as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}
