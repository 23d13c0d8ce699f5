#!/usr/bin/env node
import chalk from 'chalk';
import { createEngine, isGlassError } from '../engine/index.js';
import { formatUsageError, parseArgs, UsageError } from './parse.js';
import { formatHelp } from './help.js';
import { printStep } from './explain.js';
import { handleClosedOutput, outputClosed } from './stdio.js';
import type { Ctx, Handler } from './context.js';
import * as containers from './commands/containers.js';
import * as listing from './commands/listing.js';
import * as images from './commands/images.js';
import * as system from './commands/system.js';
import * as events from './commands/events.js';

/** Command name (from the catalog) → handler. The catalog holds the flags. */
const HANDLERS: Record<string, Handler> = {
  run: containers.run,
  create: containers.create,
  start: containers.start,
  stop: containers.stop,
  restart: containers.restart,
  kill: containers.kill,
  rm: containers.rm,
  wait: containers.wait,
  attach: containers.attach,
  logs: containers.logs,
  export: containers.exportCmd,
  rename: containers.rename,
  ps: listing.ps,
  inspect: listing.inspect,
  images: listing.images,
  tag: images.tag,
  rmi: images.rmi,
  import: images.importCmd,
  events: events.events,
  version: system.version,
  help: system.help,
};

/** Commands whose failures carry Docker's run exit codes (125/126/127). */
const RUN_LIKE = new Set(['run', 'create']);

export async function main(argv: string[]): Promise<number> {
  handleClosedOutput();
  const out = (s: string) => void (outputClosed() || process.stdout.write(s));
  const err = (s: string) => void (outputClosed() || process.stderr.write(s));
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(formatUsageError(e) + '\n');
      return e.exitCode;
    }
    throw e;
  }
  if (!parsed.global.color) chalk.level = 0;
  const cmd = parsed.command;
  if (!cmd || parsed.global.help) {
    out(formatHelp(cmd));
    return 0;
  }
  const handler = HANDLERS[cmd.name];
  if (!handler) {
    err(`glass: '${cmd.name}' is described but not implemented yet\n`);
    return 1;
  }
  const engine = createEngine({ root: parsed.global.root });
  if (parsed.global.explain) engine.onStep((s) => printStep(s));
  const ctx: Ctx = { engine, name: cmd.name, flags: parsed.flags, changed: parsed.changed, args: parsed.args, out, err };
  try {
    const code = await handler(ctx);
    return outputClosed() ? 141 : code;
  } catch (e) {
    // A handler may find a flag's value malformed only once it reads it (ps --filter).
    if (e instanceof UsageError) {
      err(formatUsageError(e) + '\n');
      return e.exitCode;
    }
    if (isGlassError(e)) {
      if (RUN_LIKE.has(cmd.name)) {
        err(`glass: ${e.message}\n`);
        return e.exitCode;
      }
      err(`Error: ${e.message}\n`);
      return e.code === 'NOT_ROOT' ? 125 : 1;
    }
    // Our reader went away (`glass export c | head`): end quietly, as a process
    // killed by SIGPIPE would (128 + 13).
    if ((e as NodeJS.ErrnoException).code === 'EPIPE' || outputClosed()) return 141;
    err(`glass: internal error: ${(e as Error).message}\n`);
    if (process.env.GLASS_DEBUG) err(String((e as Error).stack) + '\n');
    return 125;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // A lost reader wins: glass ends as a process killed by SIGPIPE would.
    process.exitCode = outputClosed() ? 141 : code;
  },
  (e) => {
    process.stderr.write(`glass: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 125;
  },
);
