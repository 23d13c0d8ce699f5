/**
 * `glass help` and `--help`, laid out like the docker CLI's help (cobra's
 * usage template and pflag's option table), with glass's additions: what the
 * command makes the kernel do, which features it touches, and its lesson.
 */
import { COMMANDS, GLOBAL_FLAGS, type CommandGroup, type CommandSpec, type FlagSpec } from '../catalog/commands.js';
import { lessonFor } from '../catalog/lessons.js';

/** docker wraps help to the terminal width minus one, 80 when it cannot tell. */
const COLUMNS = 79;

const GROUP_TITLES: Record<CommandGroup, string> = {
  containers: 'Container Commands',
  images: 'Image Commands',
  system: 'System Commands',
};

/** pflag's value placeholder: the type name, except bools take none. */
function valueName(spec: FlagSpec): string {
  if (spec.valueName !== undefined) return spec.valueName;
  return spec.type === 'bool' ? '' : spec.type;
}

/** pflag appends the default unless it is the type's zero value; strings are Go-quoted. */
function defaultSuffix(spec: FlagSpec): string {
  const d = spec.default;
  if (d === undefined || d === '' || d === 0 || d === false || d === 'false' || d === '0s') return '';
  return spec.type === 'string' ? ` (default ${JSON.stringify(String(d))})` : ` (default ${d})`;
}

/** pflag's wrapN: break before `i` characters at whitespace, allowing `slop` extra for the last piece. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: text starting at column `i`, wrapped to width `w`; the caller indents the first line. */
function wrap(i: number, w: number, s: string): string {
  if (w === 0) return s.replaceAll('\n', '\n' + ' '.repeat(i));
  let width = w - i;
  let r = '';
  if (width < 24) {
    // Too narrow beside the flags: start the text on its own line instead.
    i = 16;
    width = w - i;
    r += '\n' + ' '.repeat(i);
  }
  if (width < 24) return s.replaceAll('\n', r);
  const slop = 5;
  width -= slop;
  let [line, rest] = wrapN(width, slop, s);
  r += line.replaceAll('\n', '\n' + ' '.repeat(i));
  while (rest !== '') {
    [line, rest] = wrapN(width, slop, rest);
    r += '\n' + ' '.repeat(i) + line.replaceAll('\n', '\n' + ' '.repeat(i));
  }
  return r;
}

/** The Options table, exactly as pflag's FlagUsagesWrapped lays it out: sorted, aligned, wrapped. */
export function formatFlags(flags: FlagSpec[], columns = COLUMNS): string {
  const sorted = [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const heads = sorted.map((f) => {
    let head = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    const v = valueName(f);
    if (v) head += ' ' + v;
    return head;
  });
  // pflag counts a placeholder character after the longest head: usages start 3 columns after it.
  const maxlen = Math.max(0, ...heads.map((h) => h.length + 1));
  return sorted
    .map((f, k) => {
      const head = heads[k]!;
      const usage = f.summary + defaultSuffix(f);
      return `${head} ${' '.repeat(maxlen - head.length)} ${wrap(maxlen + 2, columns, usage)}\n`;
    })
    .join('');
}

/** Plain word wrap for prose: the first line indented by `first`, the others by `indent`. */
function paragraph(text: string, indent: number, first = indent, columns = COLUMNS + 1): string {
  const lines: string[] = [];
  let line = '';
  const pad = () => ' '.repeat(lines.length === 0 ? first : indent);
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && pad().length + line.length + 1 + word.length > columns) {
      lines.push(pad() + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(pad() + line);
  return lines.join('\n');
}

function commandHelp(cmd: CommandSpec): string {
  const parts: string[] = [`\nUsage:  ${cmd.usage}\n`, cmd.summary];
  if (cmd.aliases?.length) parts.push(`\nAliases:\n  ${[cmd.name, ...cmd.aliases].join(', ')}`);
  parts.push(`\nWhat happens in the kernel:\n${paragraph(cmd.explain, 2)}`);
  const facts: string[] = [];
  if (cmd.kernel.length > 0) facts.push(paragraph(`Kernel features: ${cmd.kernel.join(', ')}`, 2, 0));
  const lesson = lessonFor(cmd.name);
  if (lesson) facts.push(`Lesson: glass learn ${Number(lesson.slice(0, 2))} (lessons/${lesson}.md)`);
  if (facts.length > 0) parts.push('\n' + facts.join('\n'));
  if (cmd.flags.length > 0) parts.push(`\nOptions:\n${formatFlags(cmd.flags).trimEnd()}`);
  parts.push("\nAdd --explain to any command to see each kernel step as it happens.");
  return parts.join('\n') + '\n';
}

/** Docker's management commands: the first word of a two-word command (`container prune`). */
const MANAGEMENT: Record<string, string> = {
  container: 'Manage containers',
  image: 'Manage images',
  network: 'Manage networks',
  system: 'Manage glass',
  volume: 'Manage volumes',
};

const subcommandsOf = (group: string) => COMMANDS.filter((c) => c.name.startsWith(`${group} `));

function topLevelHelp(): string {
  const single = COMMANDS.filter((c) => !c.name.includes(' '));
  const groups = [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!))].sort();
  // cobra pads command names to at least 11 columns.
  const pad = Math.max(11, ...single.map((c) => c.name.length), ...groups.map((g) => g.length));
  const parts: string[] = [
    '\nUsage:  glass [OPTIONS] COMMAND\n',
    'A see-through container runtime: real containers, every kernel step explained',
    `\nOptions:\n${formatFlags(GLOBAL_FLAGS).trimEnd()}`,
  ];
  if (groups.length > 0) {
    parts.push(`\nManagement Commands:\n${groups.map((g) => `  ${g.padEnd(pad)} ${MANAGEMENT[g] ?? `Manage ${g}s`}`).join('\n')}`);
  }
  for (const group of Object.keys(GROUP_TITLES) as CommandGroup[]) {
    const cmds = single.filter((c) => c.group === group).sort((a, b) => a.name.localeCompare(b.name));
    if (cmds.length === 0) continue;
    const lines = cmds.map((c) => `  ${c.name.padEnd(pad)} ${c.summary}`);
    parts.push(`\n${GROUP_TITLES[group]}:\n${lines.join('\n')}`);
  }
  parts.push("\nRun 'glass COMMAND --help' for more information on a command.");
  return parts.join('\n') + '\n';
}

/** `glass container`: a management command's subcommands, as cobra lists them. */
function groupHelp(group: string): string {
  const subs = subcommandsOf(group).sort((a, b) => a.name.localeCompare(b.name));
  const pad = Math.max(11, ...subs.map((c) => c.name.length - group.length - 1));
  const lines = subs.map((c) => `  ${c.name.slice(group.length + 1).padEnd(pad)} ${c.summary}`);
  return [
    `\nUsage:  glass ${group} COMMAND\n`,
    MANAGEMENT[group] ?? `Manage ${group}s`,
    `\nCommands:\n${lines.join('\n')}`,
    `\nRun 'glass ${group} COMMAND --help' for more information on a command.`,
  ].join('\n') + '\n';
}

/** Help for one command, a management command's list (`group`), or the top-level command list. */
export function formatHelp(cmd?: CommandSpec, group?: string): string {
  if (cmd) return commandHelp(cmd);
  return group ? groupHelp(group) : topLevelHelp();
}
