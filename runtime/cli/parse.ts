/**
 * Argument parser driven by the catalog, following the rules of cobra/pflag
 * (the library behind the docker CLI) so that command lines and error
 * messages carry over from Docker unchanged.
 */
import { COMMANDS, GLOBAL_FLAGS, LEFT_OUT, findCommand, type CommandSpec, type FlagSpec } from '../catalog/commands.js';
import { parseGoDurationNs } from '../engine/index.js';

export type FlagValue = string | number | boolean | string[];

export interface GlobalOptions {
  /** --root, when given; core's resolveRoot() falls back to $GLASS_ROOT, then the default. */
  root?: string;
  explain: boolean;
  help: boolean;
  color: boolean;
}

export interface ParsedCommand {
  /** undefined: no command was given (top-level help, or a group's help: see `group`). */
  command: CommandSpec | undefined;
  /** `glass container` alone (or with --help): the management command whose subcommands to list. */
  group?: string;
  /** Every flag of the command by long name, defaults filled in (durations in milliseconds). */
  flags: Record<string, FlagValue>;
  /** Long names of the flags given on the command line (pflag's `Changed`). */
  changed: Set<string>;
  args: string[];
  global: GlobalOptions;
}

/**
 * What was wrong with a command line. Docker's CLI (cobra) exits with a
 * different code for each: a flag it cannot parse goes through its
 * FlagErrorFunc, which returns a status error with code 125; a wrong number
 * of arguments (cli/required.go) and an unknown command are plain errors,
 * which docker exits 1 for.
 */
export type UsageErrorKind = 'flag' | 'args' | 'command';

/** A malformed command line. */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(
    message: string,
    /** The command whose usage was wrong; undefined for the top level. */
    readonly command?: string,
    readonly kind: UsageErrorKind = 'flag',
  ) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = kind === 'flag' ? 125 : 1;
  }
}

/**
 * What the CLI prints for a UsageError, in Docker's shape: the message, where
 * to read more, and for a wrong number of arguments the usage line and
 * summary too, as cli/required.go adds them.
 */
export function formatUsageError(e: UsageError): string {
  const lines = [`glass: ${e.message}`, `See 'glass${e.command ? ` ${e.command}` : ''} --help'.`];
  const cmd = e.kind === 'args' && e.command ? findCommand(e.command) : undefined;
  if (cmd) lines.push('', `Usage:  ${cmd.usage}`, '', cmd.summary);
  return lines.join('\n');
}

type Scope = 'global' | 'command';
interface Known {
  spec: FlagSpec;
  scope: Scope;
}

/** Lookup tables for one parse. Command flags come first, so run's -h (hostname) wins over -h (help). */
class FlagSet {
  readonly long = new Map<string, Known>();
  readonly short = new Map<string, Known>();
  constructor(groups: Array<[Scope, FlagSpec[]]>) {
    for (const [scope, specs] of groups) {
      for (const spec of specs) {
        if (!this.long.has(spec.name)) this.long.set(spec.name, { spec, scope });
        if (spec.short && !this.short.has(spec.short)) this.short.set(spec.short, { spec, scope });
      }
    }
  }
}

interface ScanResult {
  positionals: string[];
  set: Array<{ known: Known; raw: string }>;
}

/**
 * Walk argv the way pflag does. With `interspersed` false, the first
 * positional ends flag parsing and it and everything after it are returned
 * untouched; `--` always ends flag parsing and is dropped.
 */
function scan(argv: string[], flags: FlagSet, interspersed: boolean, command: string | undefined): ScanResult {
  const positionals: string[] = [];
  const set: ScanResult['set'] = [];
  const fail = (message: string): never => {
    throw new UsageError(message, command);
  };
  let rest = [...argv];
  while (rest.length > 0) {
    const s = rest.shift()!;
    if (s.length < 2 || !s.startsWith('-')) {
      // A positional ("-" alone is one too: it means stdin).
      positionals.push(s);
      if (!interspersed) {
        positionals.push(...rest);
        break;
      }
      continue;
    }
    if (s === '--') {
      positionals.push(...rest);
      break;
    }
    if (s.startsWith('--')) {
      const body = s.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) fail(`bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const flagName = eq === -1 ? body : body.slice(0, eq);
      const known = flags.long.get(flagName);
      if (!known) fail(`unknown flag: --${flagName}`);
      let raw: string;
      if (eq !== -1) raw = body.slice(eq + 1);
      else if (known!.spec.type === 'bool') raw = 'true';
      else if (rest.length > 0) raw = rest.shift()!; // taken even if it starts with '-', as pflag does
      else return fail(`flag needs an argument: ${s}`);
      set.push({ known: known!, raw });
      continue;
    }
    // A cluster of shorthands: -it, -dit, -de FOO=1, -eK=V, -e=K=V, -d=false.
    let shorthands = s.slice(1);
    while (shorthands.length > 0) {
      const c = shorthands[0]!;
      const known = flags.short.get(c);
      if (!known) fail(`unknown shorthand flag: '${c}' in -${shorthands}`);
      let raw: string;
      let next = shorthands.slice(1);
      if (shorthands.length > 2 && shorthands[1] === '=') {
        raw = shorthands.slice(2);
        next = '';
      } else if (known!.spec.type === 'bool') {
        raw = 'true';
      } else if (shorthands.length > 1) {
        raw = shorthands.slice(1);
        next = '';
      } else if (rest.length > 0) {
        raw = rest.shift()!;
      } else {
        return fail(`flag needs an argument: '${c}' in -${shorthands}`);
      }
      set.push({ known: known!, raw });
      shorthands = next;
    }
  }
  return { positionals, set };
}

/** How pflag names a flag in "invalid argument" errors. */
function flagLabel(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

/** Go's strconv.ParseBool. */
function parseBool(raw: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  return undefined;
}

/** Go's time.ParseDuration ("1m30s", "1.5h", "-2s", "0"), in milliseconds (the engine's rule). */
export function parseGoDuration(raw: string): number | undefined {
  const ns = parseGoDurationNs(raw);
  return ns === undefined ? undefined : ns / 1e6;
}

/** Convert one raw value to the flag's type, with pflag's error wording. */
function convert(spec: FlagSpec, raw: string, command: string | undefined): string | number | boolean {
  const invalid = (why: string): never => {
    throw new UsageError(`invalid argument "${raw}" for "${flagLabel(spec)}" flag: ${why}`, command);
  };
  switch (spec.type) {
    case 'bool': {
      const b = parseBool(raw);
      return b ?? invalid(`strconv.ParseBool: parsing "${raw}": invalid syntax`);
    }
    case 'int':
      // Decimal only: Go would also read 0x10 and 010 (octal), which surprises more than it helps.
      if (!/^[+-]?\d+$/.test(raw)) return invalid(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
      return Number.parseInt(raw, 10);
    case 'duration': {
      const ms = parseGoDuration(raw);
      return ms ?? invalid(`time: invalid duration "${raw}"`);
    }
    case 'string':
    case 'list':
      return raw;
  }
}

/** The value a flag has when it is not given. */
export function defaultValue(spec: FlagSpec): FlagValue {
  switch (spec.type) {
    case 'bool':
      return spec.default === undefined ? false : spec.default === true || spec.default === 'true';
    case 'int':
      return typeof spec.default === 'number' ? spec.default : Number(spec.default ?? 0);
    case 'duration':
      return typeof spec.default === 'number' ? spec.default : (parseGoDuration(String(spec.default ?? '0')) ?? 0);
    case 'string':
      return spec.default === undefined ? '' : String(spec.default);
    case 'list':
      return [];
  }
}

/** Docker's positional-count checks (cli/required.go), derived from the command's ArgSpecs. */
function checkArgs(cmd: CommandSpec, args: string[]): void {
  const min = cmd.args.filter((a) => a.required).length;
  const max = cmd.args.some((a) => a.variadic) ? Infinity : cmd.args.length;
  const n = args.length;
  if (n >= min && n <= max) return;
  const path = `"glass ${cmd.name}"`;
  const plural = (k: number) => (k === 1 ? 'argument' : 'arguments');
  let message: string;
  if (max === 0) message = `${path} accepts no arguments.`;
  else if (min === max) message = `${path} requires exactly ${min} ${plural(min)}.`;
  else if (max === Infinity) message = `${path} requires at least ${min} ${plural(min)}.`;
  else if (min === 0) message = `${path} accepts at most ${max} ${plural(max)}.`;
  else message = `${path} requires at least ${min} and at most ${max} ${plural(max)}.`;
  throw new UsageError(message, cmd.name, 'args');
}

function applyGlobal(global: GlobalOptions, spec: FlagSpec, value: string | number | boolean): void {
  switch (spec.name) {
    case 'root':
      global.root = String(value);
      break;
    case 'explain':
      global.explain = value === true;
      break;
    case 'help':
      global.help = value === true;
      break;
    case 'no-color':
      global.color = value !== true;
      break;
  }
}

/**
 * Parse a glass command line (argv without "node" and the script path).
 *
 * Global flags may come before the command and among the command's flags.
 * Throws UsageError for unknown flags, missing values, bad values and a wrong
 * number of arguments (not when --help is given: help is always reachable).
 */
export function parseArgs(argv: string[]): ParsedCommand {
  const global: GlobalOptions = { explain: false, help: false, color: true };
  const apply = (result: ScanResult, cmd: CommandSpec | undefined, flags: Record<string, FlagValue>, changed: Set<string>) => {
    for (const { known, raw } of result.set) {
      const value = convert(known.spec, raw, cmd?.name);
      if (known.scope === 'global') {
        applyGlobal(global, known.spec, value);
      } else if (known.spec.type === 'list') {
        (flags[known.spec.name] as string[]).push(String(value));
        changed.add(known.spec.name);
      } else {
        flags[known.spec.name] = value;
        changed.add(known.spec.name);
      }
    }
  };

  // Before the command only global flags are known; the first positional is the command's name.
  const top = scan(argv, new FlagSet([['global', GLOBAL_FLAGS]]), false, undefined);
  apply(top, undefined, {}, new Set());
  const [name, ...rest] = top.positionals;
  if (name === undefined) return { command: undefined, flags: {}, changed: new Set(), args: [], global };

  // A management command ("container", "image", "system", "volume") names a
  // group; its subcommand is the next word, as in Docker's `docker container prune`.
  if (isGroup(name)) {
    const sub = rest[0];
    if (sub === undefined || (sub.length >= 2 && sub.startsWith('-'))) {
      // `glass container` or `glass container --help`: the group's own help.
      apply(scan(rest, new FlagSet([['global', GLOBAL_FLAGS]]), true, name), undefined, {}, new Set());
      return { command: undefined, group: name, flags: {}, changed: new Set(), args: [], global };
    }
    if (!findCommand(`${name} ${sub}`)) throw new UsageError(`'${name} ${sub}' is not a glass command.`, name, 'command');
    return parseCommand(`${name} ${sub}`, rest.slice(1), global, apply);
  }
  return parseCommand(name, rest, global, apply);
}

type Apply = (result: ScanResult, cmd: CommandSpec | undefined, flags: Record<string, FlagValue>, changed: Set<string>) => void;

function parseCommand(name: string, rest: string[], global: GlobalOptions, apply: Apply): ParsedCommand {
  const command = findCommand(name);
  if (!command) {
    const why = Object.hasOwn(LEFT_OUT, name) ? `: ${LEFT_OUT[name]}` : '';
    throw new UsageError(`'${name}' is not a glass command${why}.`, undefined, 'command');
  }

  const flags: Record<string, FlagValue> = {};
  for (const spec of command.flags) flags[spec.name] = defaultValue(spec);
  const changed = new Set<string>();
  const result = scan(
    rest,
    new FlagSet([
      ['command', command.flags],
      ['global', GLOBAL_FLAGS],
    ]),
    command.interspersed,
    command.name,
  );
  apply(result, command, flags, changed);
  if (!global.help) checkArgs(command, result.positionals);
  return { command, flags, changed, args: result.positionals, global };
}

/** Every command name and alias, for completion (a subcommand as "container prune"). */
export function commandNames(): string[] {
  return COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]).sort();
}

/** Is `word` a management command: the first word of some two-word command (`container` of `container prune`)? */
export function isGroup(word: string): boolean {
  return !findCommand(word) && COMMANDS.some((c) => c.name.startsWith(`${word} `));
}
