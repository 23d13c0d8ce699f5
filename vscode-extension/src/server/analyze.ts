/**
 * What each word of a glass (or docker) command line is, from the command
 * catalog: the program, a global flag, the command, a command's flag, a
 * flag's value, or an argument (and which one: IMAGE, CONTAINER...). This is
 * for pointing at words (hover, completion, where a diagnostic goes); whether
 * the line is valid is the CLI parser's call (diagnostics.ts).
 *
 * The walk follows the parser's rules (runtime/cli/parse.ts): global flags
 * before the command, command flags before global ones, `--` ends flags, and
 * for run/create the first positional (the image) ends them.
 */
import { GLOBAL_FLAGS, findCommand, type ArgSpec, type CommandSpec, type FlagSpec } from '../../../runtime/catalog/commands.js';
import type { Word } from './shell.js';

export type Role =
  | { kind: 'program' }
  | { kind: 'command'; command?: CommandSpec; name: string }
  | { kind: 'flag'; flags: FlagSpec[]; command?: CommandSpec; unknown?: string }
  | { kind: 'value'; flag: FlagSpec; command?: CommandSpec }
  | { kind: 'arg'; command: CommandSpec; arg?: ArgSpec; index: number }
  /** After the image of run/create: the container's own command and its arguments. */
  | { kind: 'container-command'; command: CommandSpec };

export interface Analysis {
  command?: CommandSpec;
  roles: Role[];
}

function lookup(specs: FlagSpec[], word: string): { flags: FlagSpec[]; unknown?: string; takesNext: boolean } {
  if (word.startsWith('--')) {
    const body = word.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = specs.find((f) => f.name === name);
    if (!spec) return { flags: [], unknown: `--${name}`, takesNext: false };
    return { flags: [spec], takesNext: eq < 0 && spec.type !== 'bool' };
  }
  // A cluster of shorthands: -dit, -e FOO=1, -eFOO=1.
  const flags: FlagSpec[] = [];
  const letters = word.slice(1);
  for (let k = 0; k < letters.length; k++) {
    const spec = specs.find((f) => f.short === letters[k]);
    if (!spec) return { flags, unknown: `-${letters[k]}`, takesNext: false };
    flags.push(spec);
    if (spec.type !== 'bool') return { flags, takesNext: k === letters.length - 1 };
  }
  return { flags, takesNext: false };
}

/** The ArgSpec of the n-th positional (0-based) of a command. */
export function argSpec(cmd: CommandSpec, n: number): ArgSpec | undefined {
  if (n < cmd.args.length) return cmd.args[n];
  const last = cmd.args[cmd.args.length - 1];
  return last?.variadic ? last : undefined;
}

/** Roles of `words` (words[0] is the program). */
export function analyze(words: Pick<Word, 'text'>[]): Analysis {
  const roles: Role[] = [{ kind: 'program' }];
  let command: CommandSpec | undefined;
  let flagsDone = false;
  let positionals = 0;
  let pendingValue: FlagSpec | undefined;
  let named = false;
  for (let i = 1; i < words.length; i++) {
    const t = words[i]!.text;
    if (pendingValue) {
      roles.push({ kind: 'value', flag: pendingValue, command });
      pendingValue = undefined;
      continue;
    }
    const isFlag = !flagsDone && t.length >= 2 && t.startsWith('-');
    if (isFlag && t === '--') {
      flagsDone = true;
      roles.push({ kind: 'flag', flags: [], command });
      continue;
    }
    if (isFlag) {
      const specs = command ? [...command.flags, ...GLOBAL_FLAGS] : GLOBAL_FLAGS;
      const r = lookup(specs, t);
      roles.push({ kind: 'flag', flags: r.flags, command, unknown: r.unknown });
      if (r.takesNext) pendingValue = r.flags[r.flags.length - 1];
      continue;
    }
    if (!named) {
      named = true;
      // A management command's subcommand is two words: `glass container prune`.
      const two = words[i + 1] ? findCommand(`${t} ${words[i + 1]!.text}`) : undefined;
      if (two) {
        command = two;
        roles.push({ kind: 'command', command, name: t }, { kind: 'command', command, name: two.name });
        i++;
        continue;
      }
      command = findCommand(t);
      roles.push({ kind: 'command', command, name: t });
      if (!command) flagsDone = true;
      continue;
    }
    if (!command) {
      roles.push({ kind: 'flag', flags: [], unknown: t });
      continue;
    }
    if (!command.interspersed && positionals >= 1) {
      roles.push({ kind: 'container-command', command });
      positionals++;
      continue;
    }
    roles.push({ kind: 'arg', command, arg: argSpec(command, positionals), index: positionals });
    positionals++;
    if (!command.interspersed) flagsDone = true;
  }
  return { command, roles };
}

/** The value a flag takes after it, for completion: is `word` a flag that waits for one? */
export function flagTakingValue(command: CommandSpec | undefined, word: string): FlagSpec | undefined {
  if (!word.startsWith('-') || word === '--' || word.includes('=')) return undefined;
  const r = lookup(command ? [...command.flags, ...GLOBAL_FLAGS] : GLOBAL_FLAGS, word);
  return r.takesNext ? r.flags[r.flags.length - 1] : undefined;
}
