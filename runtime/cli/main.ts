#!/usr/bin/env node
import chalk from 'chalk';
import { createEngine, describeHostError, isGlassError, type Engine } from '../engine/index.js';
import { formatUsageError, parseArgs, UsageError } from './parse.js';
import { formatHelp } from './help.js';
import { colorLevel } from './color.js';
import { appendTrace, printStep } from './explain.js';
import { commandFinished, handleClosedOutput, outputClosed, outputFailure, reportOutputFailure } from './stdio.js';
import type { Ctx, Handler } from './context.js';
import * as containers from './commands/containers.js';
import * as listing from './commands/listing.js';
import * as images from './commands/images.js';
import * as layers from './commands/layers.js';
import * as system from './commands/system.js';
import * as volumes from './commands/volumes.js';
import * as networks from './commands/networks.js';
import * as events from './commands/events.js';
import * as observe from './commands/observe.js';
import { learn } from './commands/learn.js';
import { exec } from './commands/exec.js';
import { cp } from './commands/cp.js';
import * as cleanup from './commands/cleanup.js';
import * as archive from './commands/archive.js';
import * as registry from './commands/push.js';
import * as pullCmd from './commands/pull.js';
import { port } from './commands/ports.js';
import { build } from './commands/build.js';

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
  exec,
  logs: containers.logs,
  export: containers.exportCmd,
  rename: containers.rename,
  update: containers.update,
  pause: containers.pause,
  unpause: containers.unpause,
  ps: listing.ps,
  inspect: listing.inspect,
  images: listing.images,
  tag: images.tag,
  rmi: images.rmi,
  import: images.importCmd,
  diff: layers.diff,
  commit: layers.commit,
  history: layers.history,
  save: archive.save,
  load: archive.load,
  push: registry.push,
  pull: pullCmd.pull,
  build,
  login: registry.login,
  logout: registry.logout,
  events: events.events,
  top: observe.top,
  stats: observe.stats,
  xray: observe.xray,
  learn,
  'volume create': volumes.create,
  'volume ls': volumes.ls,
  'volume inspect': volumes.inspect,
  'volume rm': volumes.rm,
  'volume prune': volumes.prune,
  'network create': networks.create,
  'network ls': networks.ls,
  'network inspect': networks.inspect,
  'network rm': networks.rm,
  'network connect': networks.connect,
  'network disconnect': networks.disconnect,
  'network prune': networks.prune,
  cp,
  port,
  'container prune': cleanup.containerPrune,
  'image prune': cleanup.imagePrune,
  'system df': cleanup.systemDf,
  'system prune': cleanup.systemPrune,
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
  chalk.level = colorLevel({ flag: parsed.global.color, env: process.env, isTTY: process.stdout.isTTY === true, detected: chalk.level });
  const cmd = parsed.command;
  if (!cmd || parsed.global.help) {
    out(formatHelp(cmd, parsed.group));
    return 0;
  }
  const handler = HANDLERS[cmd.name];
  if (!handler) {
    err(`glass: '${cmd.name}' is described but not implemented yet\n`);
    return 1;
  }
  // Docker's CLI: errors of run and create read "docker: ..." and exit 125; other commands' "Error: ..." exit 1.
  const runLike = RUN_LIKE.has(cmd.name);
  const fail = (message: string, code: number) => {
    err(`${runLike ? 'glass:' : 'Error:'} ${message}\n`);
    return code;
  };
  let engine: Engine | undefined;
  try {
    engine = createEngine({ root: parsed.global.root });
    if (parsed.global.explain) engine.onStep((s) => printStep(s));
    // glass learn runs a lesson's commands with GLASS_TRACE_FILE set: their steps go there, for its "under the hood" panel.
    const traceFile = process.env.GLASS_TRACE_FILE;
    if (traceFile) engine.onStep((s) => appendTrace(traceFile, s));
    const ctx: Ctx = { engine, name: cmd.name, flags: parsed.flags, changed: parsed.changed, args: parsed.args, explain: parsed.global.explain, out, err };
    const code = await handler(ctx);
    if (outputFailure()) return reportOutputFailure();
    return outputClosed() ? 141 : code;
  } catch (e) {
    // Output that failed (> /dev/full) ends the command with its own one line, whatever the handler threw after it.
    if (outputFailure()) return reportOutputFailure();
    // Our reader went away (`glass export c | head`): end quietly, as a process
    // killed by SIGPIPE would (128 + 13).
    if ((e as NodeJS.ErrnoException).code === 'EPIPE' || outputClosed()) return 141;
    // A handler may find a flag's value malformed only once it reads it (ps --filter).
    if (e instanceof UsageError) {
      err(formatUsageError(e) + '\n');
      return e.exitCode;
    }
    if (isGlassError(e)) {
      if (runLike) return fail(e.message, e.exitCode);
      return fail(e.message, e.code === 'NOT_ROOT' ? 125 : 1);
    }
    // A system call that failed (ENOSPC, EROFS, EACCES...): say where and what to do.
    const host = describeHostError(e, engine?.root ?? '/var/lib/glass');
    if (host) return fail(host, runLike ? 125 : 1);
    // Anything else is glass's own fault: say so, and how to see where.
    err(`glass: internal error: ${(e as Error).message}${process.env.GLASS_DEBUG ? '' : ' (a bug in glass; GLASS_DEBUG=1 shows where)'}\n`);
    if (process.env.GLASS_DEBUG) err(String((e as Error).stack) + '\n');
    return 125;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    commandFinished();
    // A failed or lost output wins: 1 with its line, or 141 as a process killed by SIGPIPE would.
    process.exitCode = outputFailure() ? reportOutputFailure() : outputClosed() ? 141 : code;
  },
  (e) => {
    process.stderr.write(`glass: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 125;
  },
);
