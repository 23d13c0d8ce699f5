/**
 * The language features over one document's text, without the protocol:
 * hover, completion, diagnostics and code lenses for the glass and docker
 * command lines in it. server.ts wires them to LSP.
 */
import { COMMANDS, GLOBAL_FLAGS, LEFT_OUT, findCommand, type CommandSpec, type FlagSpec } from '../../../runtime/catalog/commands.js';
import { analyze, flagTakingValue, type Role } from './analyze.js';
import { invocationsIn, type DocumentKind } from './documents.js';
import { dockerfileCompletions, dockerfileHover, dockerfileProblems } from './dockerfile.js';
import { commandHover, flagHover, flagLabel, missingCommandHover, missingFlagHover, plan, problemOf } from './explain.js';
import type { Lessons } from './lessons.js';
import type { LiveNames } from './names.js';
import type { Invocation, Word } from './shell.js';

export interface Span {
  start: number;
  end: number;
}

export interface HoverResult extends Span {
  markdown: string;
}

/** The invocation whose words (or the gap after its last word, on its line) hold `offset`. */
function invocationAt(text: string, kind: DocumentKind, offset: number): Invocation | undefined {
  return invocationsIn(text, kind).find((inv) => {
    // The blanks after the last word still belong to it: the cursor there starts its next word.
    let end = inv.end;
    while (text[end] === ' ' || text[end] === '\t') end++;
    return offset >= inv.words[0]!.start && offset <= end;
  });
}

export function hoverAt(text: string, kind: DocumentKind, offset: number, lessons: Lessons): HoverResult | undefined {
  if (kind === 'dockerfile') return dockerfileHover(text, offset, lessons);
  const inv = invocationAt(text, kind, offset);
  if (!inv) return undefined;
  const i = inv.words.findIndex((w) => offset >= w.start && offset < w.end);
  if (i < 0) return undefined;
  const word = inv.words[i]!;
  const a = analyze(inv.words);
  const role = a.roles[i]!;
  const args = inv.words.slice(1).map((w) => w.text);
  const md = hoverFor(role, word, inv, args, lessons);
  return md ? { start: word.start, end: word.end, markdown: md } : undefined;
}

function hoverFor(role: Role, word: Word, inv: Invocation, args: string[], lessons: Lessons): string | undefined {
  switch (role.kind) {
    case 'program':
      return inv.tool === 'docker'
        ? '**docker**: glass takes the same commands and flags. Hover a command or a flag to read what glass makes the kernel do for it, and whether glass has it yet.'
        : '**glass**: a see-through container runtime. Hover a command or flag for what it does in the kernel; `--explain` prints every step as it happens.';
    case 'command':
      return role.command ? commandHover(role.command, inv.tool, lessons, plan(args)) : missingCommandHover(role.name, inv.tool);
    case 'flag': {
      if (role.unknown && !role.flags.length) return missingFlagHover(role.unknown, role.command);
      const parts = role.flags.map((f) => flagHover(f, role.command, inv.tool, lessons));
      if (role.unknown) parts.push(missingFlagHover(role.unknown, role.command));
      return parts.join('\n\n---\n\n') || undefined;
    }
    case 'value':
      return flagHover(role.flag, role.command, inv.tool, lessons);
    case 'arg':
      return role.arg ? `**${role.arg.name}** of \`glass ${role.command.name}\`\n\n\`\`\`\n${role.command.usage}\n\`\`\`` : undefined;
    case 'container-command':
      return `The container's own command (after the image, nothing is read as a ${inv.tool} flag): it runs as PID 1 inside the container.`;
  }
  void word;
}

// ---------------------------------------------------------------------------
// Completion

export interface CompletionEntry {
  label: string;
  kind: 'command' | 'flag' | 'container' | 'image' | 'value';
  detail?: string;
  documentation?: string;
  /** Replace this span (the part of the word typed so far). */
  replace: Span;
}

export function completionsAt(text: string, kind: DocumentKind, offset: number, names: LiveNames | undefined, lessons: Lessons): CompletionEntry[] | 'needs-names' {
  if (kind === 'dockerfile') return dockerfileCompletions(text, offset);
  const inv = invocationAt(text, kind, offset);
  if (!inv) return [];
  // The word being typed (possibly empty: the cursor after a space).
  let idx = inv.words.findIndex((w) => offset >= w.start && offset <= w.end);
  let prefix = '';
  let replace: Span = { start: offset, end: offset };
  const words = [...inv.words];
  if (idx >= 0) {
    const w = words[idx]!;
    prefix = text.slice(w.start, offset);
    replace = { start: w.start, end: w.end };
  } else {
    idx = words.filter((w) => w.end <= offset).length;
    words.splice(idx, 0, { text: '', start: offset, end: offset, dynamic: false });
  }
  if (idx === 0) return [];
  const before = words.slice(0, idx);
  const a = analyze([...before, { text: prefix === '-' ? '-?' : prefix || 'x' }]);
  const role = a.roles[idx]!;
  const cmd = a.command;
  const out: CompletionEntry[] = [];
  const prev = before[before.length - 1]!.text;
  const valueOf = flagTakingValue(cmd, prev);
  if (valueOf) return valueCompletions(valueOf, replace);
  if (prefix.startsWith('-') && role.kind === 'flag') {
    const specs: FlagSpec[] = cmd ? [...cmd.flags, ...GLOBAL_FLAGS] : GLOBAL_FLAGS;
    for (const f of specs) {
      const entry = (label: string) => ({ label, kind: 'flag' as const, detail: f.summary, documentation: flagHover(f, cmd, inv.tool, lessons), replace });
      out.push(entry(`--${f.name}`));
      if (f.short && !prefix.startsWith('--')) out.push(entry(`-${f.short}`));
    }
    return out.filter((e) => e.label.startsWith(prefix));
  }
  if (role.kind === 'command') {
    for (const c of COMMANDS) {
      if (c.name.startsWith(prefix)) out.push({ label: c.name, kind: 'command', detail: c.summary, documentation: commandHover(c, inv.tool, lessons), replace });
    }
    return out;
  }
  if (role.kind === 'arg' && role.arg) {
    if (!names) return 'needs-names';
    const n = role.arg.name;
    const wantsContainers = /CONTAINER|NAME\|ID/.test(n);
    const wantsImages = /IMAGE|REPOSITORY/.test(n) || n === 'NAME|ID';
    if (wantsContainers) for (const c of names.containers) out.push({ label: c.name, kind: 'container', detail: c.detail, replace });
    if (wantsImages) for (const i of names.images) out.push({ label: i.name, kind: 'image', detail: i.detail, replace });
    if (role.command.name === 'help' || role.command.name === 'learn') return out;
    return out.filter((e) => e.label.startsWith(prefix));
  }
  return out;
}

function valueCompletions(flag: FlagSpec, replace: Span): CompletionEntry[] {
  if (flag.name === 'type') return ['container', 'image'].map((label) => ({ label, kind: 'value' as const, replace }));
  if (flag.name === 'log-driver') return [{ label: 'json-file', kind: 'value', replace }];
  if (flag.name === 'signal') return ['KILL', 'TERM', 'INT', 'HUP', 'USR1'].map((label) => ({ label, kind: 'value' as const, replace }));
  return [];
}

// ---------------------------------------------------------------------------
// Diagnostics

export interface Problem extends Span {
  message: string;
  severity: 'error' | 'warning' | 'information';
}

export function diagnose(text: string, kind: DocumentKind): Problem[] {
  if (kind === 'dockerfile') return dockerfileProblems(text);
  const problems: Problem[] = [];
  for (const inv of invocationsIn(text, kind)) {
    const p = diagnoseOne(inv);
    if (p) problems.push(p);
  }
  return problems;
}

function diagnoseOne(inv: Invocation): Problem | undefined {
  const args = inv.words.slice(1);
  const problem = problemOf(args.map((w) => w.text));
  if (!problem) return undefined;
  // A word that holds an expansion ($NAME, $(...)) is known only when the line runs: no verdict on it.
  const dynamic = args.filter((w) => w.dynamic).map((w) => w.text);
  if (dynamic.some((d) => problem.message.includes(d))) return undefined;
  const at = locate(problem.message, args, inv);
  if (inv.tool === 'glass') return { ...at, message: problem.message, severity: 'error' };
  // A docker line is right for docker: say what glass lacks, or what it would refuse.
  const firstLine = problem.message.split('\n')[0]!;
  const kindOf = problem.usage?.kind;
  const cmd = findCommand(args.find((w) => !w.text.startsWith('-'))?.text ?? '');
  if (kindOf === 'command') {
    const name = args.find((w) => !w.text.startsWith('-'))?.text ?? '';
    const what = Object.hasOwn(LEFT_OUT, name) ? `glass leaves out the '${name}' command` : `glass has no '${name}' command yet`;
    return { ...at, message: `${what} (glass would say: ${firstLine})`, severity: 'information' };
  }
  if (kindOf === 'flag' && /unknown (shorthand )?flag/.test(firstLine)) {
    return { ...at, message: `glass${cmd ? ` ${cmd.name}` : ''} lacks this flag (glass would say: ${firstLine})`, severity: 'information' };
  }
  return { ...at, message: `glass would refuse this line: ${problem.message}`, severity: 'warning' };
}

/** Which word a CLI message is about, from what it quotes. */
function locate(message: string, args: Word[], inv: Invocation): Span {
  const whole = { start: inv.words[0]!.start, end: inv.end };
  const find = (pred: (w: Word) => boolean): Span | undefined => {
    const w = args.find(pred);
    return w && { start: w.start, end: w.end };
  };
  let m = /unknown flag: (--[^\s=]+)/.exec(message);
  if (m) return find((w) => w.text === m![1] || w.text.startsWith(`${m![1]}=`)) ?? whole;
  m = /unknown shorthand flag: '(.)' in (-\S+)/.exec(message);
  if (m) return find((w) => w.text.startsWith('-') && !w.text.startsWith('--') && w.text.slice(1).includes(m![1]!)) ?? whole;
  m = /flag needs an argument: (?:'(.)' in )?(-\S+)/.exec(message);
  if (m) return find((w) => w.text === m![2] || (m![1] !== undefined && w.text.startsWith('-') && w.text.includes(m![1]))) ?? whole;
  m = /^glass: '([^']*)' is not a glass command/.exec(message);
  if (m) return find((w) => w.text === m![1]) ?? whole;
  m = /invalid argument "((?:[^"\\]|\\.)*)" for "([^"]+)"/.exec(message);
  if (m) {
    const value = m[1]!;
    return find((w) => w.text === value || w.text.endsWith(`=${value}`) || (w.text.startsWith('-') && !w.text.startsWith('--') && w.text.endsWith(value) && value.length > 0)) ?? whole;
  }
  m = /invalid environment variable: (\S+)/.exec(message);
  if (m) return find((w) => w.text === m![1] || w.text.endsWith(m![1]!)) ?? whole;
  if (/template|format/.test(message)) {
    const fmtIdx = args.findIndex((w) => /^--format(=|$)|^-f$/.test(w.text) || (w.text === '--format'));
    const valueWord = fmtIdx >= 0 ? (args[fmtIdx]!.text.includes('=') ? args[fmtIdx] : args[fmtIdx + 1]) : undefined;
    if (valueWord) return { start: valueWord.start, end: valueWord.end };
  }
  // A wrong number of arguments, or anything else: the command's name, else the whole line.
  const cmdWord = args.find((w) => !w.text.startsWith('-'));
  return cmdWord ? { start: cmdWord.start, end: cmdWord.end } : whole;
}

// ---------------------------------------------------------------------------
// Code lenses: ▶ Run and Explain above each line with a glass command.

export interface Lens {
  /** Where the lens sits (the start of the line's first glass command). */
  at: number;
  /** The shell line to run: each glass invocation's `sudo bin/glass` (or other prefix) written as plain `glass`. */
  command: string;
  /** The first glass command's arguments (for the Explain panel's title and its "what will happen"). */
  args: string[];
  plan: string[];
}

export function lenses(text: string, kind: DocumentKind): Lens[] {
  const out: Lens[] = [];
  const invs = invocationsIn(text, kind).filter((i) => i.tool === 'glass');
  const lineStart = (o: number) => text.lastIndexOf('\n', o - 1) + 1;
  /** The end of the logical line holding `o` (a `\` at a line's end continues it). */
  const lineEnd = (o: number) => {
    let e = text.indexOf('\n', o);
    while (e > 0 && text[e - 1] === '\\') e = text.indexOf('\n', e + 1);
    return e < 0 ? text.length : e;
  };
  const seenLines = new Set<number>();
  for (const inv of invs) {
    const ls = lineStart(inv.start);
    if (seenLines.has(ls)) continue;
    seenLines.add(ls);
    const le = Math.max(lineEnd(inv.end), lineEnd(inv.start));
    // The line as it would run, with each glass on it written as `glass` (our glass: the configured command).
    let line = '';
    let pos = ls;
    for (const other of invs.filter((x) => x.start >= ls && x.start < le)) {
      line += text.slice(pos, other.start) + 'glass';
      pos = other.words[0]!.end;
    }
    line += text.slice(pos, le);
    line = line.replace(/^\s*[$#] /, '').trim();
    const args = inv.words.slice(1).map((w) => w.text);
    out.push({ at: inv.words[0]!.start, command: line, args, plan: plan(args) });
  }
  return out;
}

export function labelOf(f: FlagSpec): string {
  return flagLabel(f);
}

export type { CommandSpec };
