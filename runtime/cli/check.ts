/**
 * A command line checked without running it: the parser's errors, then the
 * values the CLI refuses before it does anything (a bad `-e`, a `--format`
 * template it cannot read, a filter without `=`, an unknown `--type`). Each
 * check is the function the command itself calls, and the text is what the
 * CLI would print, so the language server's diagnostics and the terminal
 * always agree.
 */
import { isGlassError, resolveEnvArg } from '../engine/index.js';
import { parseFilterArgs, checkEventTemplate } from './commands/events.js';
import { IMAGE_HEADERS, PS_HEADERS, parseFilters, parseListFormat } from './commands/listing.js';
import { list, str } from './context.js';
import { formatUsageError, parseArgs, UsageError, type ParsedCommand } from './parse.js';
import { parseTemplate } from './template.js';

/** What the CLI would print (its whole error text) for a malformed command line. */
export interface CommandLineProblem {
  message: string;
  /** The parser's UsageError, when that was the problem (its kind says flag, args or command). */
  usage?: UsageError;
}

/** Commands whose errors read "glass: ..." (Docker's run and create); the others print "Error: ...". */
const RUN_LIKE = new Set(['run', 'create']);

/** undefined when the CLI would accept the line (it may still fail when it runs: a missing image, a name in use). */
export function checkCommandLine(argv: string[]): CommandLineProblem | undefined {
  let parsed: ParsedCommand;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return { message: formatUsageError(e), usage: e };
    throw e;
  }
  const cmd = parsed.command;
  if (!cmd || parsed.global.help) return undefined;
  const prefix = RUN_LIKE.has(cmd.name) ? 'glass:' : 'Error:';
  try {
    checkValues(cmd.name, parsed);
  } catch (e) {
    if (e instanceof UsageError) return { message: formatUsageError(e), usage: e };
    if (e instanceof FormatProblem) return { message: `Error parsing format: ${e.message}` };
    if (isGlassError(e)) return { message: `${prefix} ${e.message}` };
    throw e;
  }
  return undefined;
}

/** events prints its template errors under its own heading (and exits 64, as docker does). */
class FormatProblem extends Error {}

function checkValues(name: string, parsed: ParsedCommand): void {
  const flags = parsed.flags;
  const format = str(flags.format);
  switch (name) {
    case 'run':
    case 'create':
      // A bare KEY takes the caller's value when it runs; only its shape can be checked here.
      for (const e of list(flags.env)) resolveEnvArg(e, {});
      break;
    case 'ps':
      parseFilters(list(flags.filter));
      if (format) parseListFormat('ps', format, PS_HEADERS);
      break;
    case 'images':
      if (format) parseListFormat('images', format, IMAGE_HEADERS);
      break;
    case 'inspect':
      if (format) parseTemplate(format);
      break;
    case 'events':
      parseFilterArgs(list(flags.filter));
      if (format !== undefined) {
        try {
          checkEventTemplate(parseTemplate(format), format);
        } catch (e) {
          if (isGlassError(e)) throw new FormatProblem(e.message);
          throw e;
        }
      }
      break;
  }
}
