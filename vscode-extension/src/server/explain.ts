/**
 * The words the language server shows, all read from the command catalog:
 * a command's or a flag's summary, its plain-language explanation, the
 * kernel feature it touches, the lesson that teaches it, and "what will
 * happen": the kernel steps a command line takes, in order, before it runs.
 */
import { GLOBAL_FLAGS, LEFT_OUT, type CommandSpec, type FlagSpec } from '../../../runtime/catalog/commands.js';
import { lessonFor } from '../../../runtime/catalog/lessons.js';
import { checkCommandLine } from '../../../runtime/cli/check.js';
import { analyze } from './analyze.js';
import type { Lessons } from './lessons.js';
import type { Tool } from './shell.js';

export function flagLabel(f: FlagSpec): string {
  return f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
}

function isGlobal(f: FlagSpec): boolean {
  return GLOBAL_FLAGS.includes(f);
}

/** "Lesson 1 · Your first container" as a link, and how to take it in a terminal. */
function lessonLine(id: string | undefined, lessons: Lessons): string | undefined {
  if (!id) return undefined;
  const l = lessons.find(id);
  const n = Number(id.slice(0, 2));
  const title = l ? `Lesson ${n} · ${l.title}` : `Lesson ${n} (${id})`;
  const open = `command:glass.openLesson?${encodeURIComponent(JSON.stringify([id]))}`;
  const file = l ? ` ([the lesson file](${l.uri}))` : '';
  return `📖 Taught in [${title}](${open})${file}; in a terminal: \`glass learn ${n}\``;
}

export function commandHover(cmd: CommandSpec, tool: Tool, lessons: Lessons, plan?: string[]): string {
  const parts = [
    tool === 'docker' ? `**docker ${cmd.name}** → \`glass ${cmd.name}\`: ${cmd.summary}` : `**glass ${cmd.name}**: ${cmd.summary}`,
    cmd.explain,
  ];
  if (cmd.kernel.length) parts.push(`**Kernel:** ${cmd.kernel.join(', ')}`);
  if (plan?.length) parts.push(['**What will happen** (in the kernel, in order):', ...plan.map((s, i) => `${i + 1}. ${s}`)].join('\n'));
  parts.push('```\n' + cmd.usage + '\n```');
  const lesson = lessonLine(lessonFor(cmd.name), lessons);
  if (lesson) parts.push(lesson);
  return parts.join('\n\n');
}

export function flagHover(flag: FlagSpec, cmd: CommandSpec | undefined, tool: Tool, lessons: Lessons): string {
  const owner = isGlobal(flag) ? `a global flag of ${tool === 'docker' ? 'glass' : tool}` : `\`${tool} ${cmd?.name ?? ''}\``;
  const value = flag.type === 'bool' ? '' : ` ${flag.valueName ?? flag.type}`;
  const parts = [`**${flagLabel(flag)}**${value} (${owner}): ${flag.summary}`];
  if (flag.explain) parts.push(flag.explain);
  if (flag.kernel) parts.push(`**Kernel:** ${flag.kernel}`);
  const id = isGlobal(flag) ? `global.${flag.name}` : `${cmd?.name}.${flag.name}`;
  const lesson = lessonLine(lessonFor(id), lessons);
  if (lesson) parts.push(lesson);
  return parts.join('\n\n');
}

/** A flag glass does not have, on a docker line. */
export function missingFlagHover(word: string, cmd: CommandSpec | undefined): string {
  return `**${word}**: glass${cmd ? ` ${cmd.name}` : ''} has no such flag yet. Docker's meaning is unchanged; with glass, leave it out or see \`glass ${cmd ? `${cmd.name} ` : ''}--help\` for what glass has.`;
}

export function missingCommandHover(name: string, tool: Tool): string {
  if (tool === 'docker' && Object.hasOwn(LEFT_OUT, name)) return `**docker ${name}**: glass leaves this command out: ${LEFT_OUT[name]}.`;
  return tool === 'docker'
    ? `**docker ${name}**: glass has no \`${name}\` command (yet). \`glass help\` lists what it has.`
    : `**${name}** is not a glass command: \`glass help\` lists them.`;
}

/**
 * What a command line will do in the kernel, in order, from the catalog's
 * kernel notes: the command's own, then each flag given that touches the
 * kernel. (Not a dry run: what a particular run does depends on the host,
 * e.g. cgroup v1 or v2; `Explain` runs it and shows the real steps.)
 */
export function plan(args: string[]): string[] {
  const a = analyze([{ text: 'glass' }, ...args.map((text) => ({ text }))]);
  const cmd = a.command;
  if (!cmd) return [];
  const steps = cmd.kernel.map((k) => `**${k}**`);
  const seen = new Set<FlagSpec>();
  for (const r of a.roles) {
    if (r.kind !== 'flag') continue;
    for (const f of r.flags) {
      if (seen.has(f) || !f.kernel) continue;
      seen.add(f);
      steps.push(`**${f.kernel}** (\`--${f.name}\`): ${f.explain ?? f.summary}`);
    }
  }
  return steps;
}

/** The CLI's own verdict on a line (undefined: it would accept it). */
export function problemOf(words: string[]) {
  return checkCommandLine(words);
}
