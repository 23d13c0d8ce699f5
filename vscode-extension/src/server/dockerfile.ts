/**
 * Dockerfiles in the editor: complete an instruction or a flag; hover an
 * instruction (or one of its flags) to read what `glass build` does with it — a layer or only config, what its
 * cache key is — and see the parse error `glass build` (and Docker) would
 * stop at, on its line, in Docker's words.
 *
 * Positions come from dockerfile-ast (the parser behind VS Code's own
 * Dockerfile support: exact ranges for keywords and flags); the diagnostics
 * come from glass's own parser, the one the build uses, so the editor says
 * exactly what the terminal will.
 */
import { DockerfileParser, type Flag, type Instruction } from 'dockerfile-ast';
import { DOCKERFILE_INSTRUCTIONS, DOCKERFILE_LESSON, findInstruction, type InstructionSpec } from '../../../runtime/catalog/dockerfile-instructions.js';
import { DockerfileParseError, parseDockerfile } from '../../../runtime/engine/index.js';
import type { CompletionEntry, HoverResult, Problem } from './features.js';
import type { Lessons } from './lessons.js';

/** Offsets of each line's start, to turn (line, character) into an offset. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

const toOffset = (starts: number[], p: { line: number; character: number }) => (starts[p.line] ?? 0) + p.character;

/** The parse error glass build would stop at, on its line; nothing when the Dockerfile parses. */
export function dockerfileProblems(text: string): Problem[] {
  if (text.trim() === '') return [];
  try {
    parseDockerfile(text);
    return [];
  } catch (e) {
    if (!(e instanceof DockerfileParseError)) return [];
    const starts = lineStarts(text);
    const start = starts[e.line - 1] ?? 0;
    const endOfLine = text.indexOf('\n', start);
    return [{ start, end: endOfLine < 0 ? text.length : endOfLine, message: e.message, severity: 'error' }];
  }
}

/** What the builder does with the instruction (or flag) under the cursor. */
export function dockerfileHover(text: string, offset: number, lessons: Lessons): HoverResult | undefined {
  const starts = lineStarts(text);
  for (const inst of DockerfileParser.parse(text).getInstructions()) {
    const hit = hoverIn(inst, starts, offset, lessons);
    if (hit) return hit;
  }
  return undefined;
}

function hoverIn(inst: Instruction, starts: number[], offset: number, lessons: Lessons): HoverResult | undefined {
  const r = inst.getInstructionRange();
  const start = toOffset(starts, r.start);
  const end = toOffset(starts, r.end);
  const spec = findInstruction(inst.getKeyword());
  if (offset >= start && offset < end) {
    if (!spec) {
      return { start, end, markdown: `**${inst.getKeyword()}** is not a Dockerfile instruction: \`glass build\` stops here with *unknown instruction: ${inst.getKeyword()}*.\n\nThe instructions: ${DOCKERFILE_INSTRUCTIONS.map((i) => i.name).join(', ')}.` };
    }
    return { start, end, markdown: instructionHover(spec, lessons) };
  }
  const flags = (inst as unknown as { getFlags?: () => Flag[] }).getFlags?.() ?? [];
  for (const flag of flags) {
    const fr = flag.getRange();
    const fs = toOffset(starts, fr.start);
    const fe = toOffset(starts, fr.end);
    if (offset < fs || offset >= fe) continue;
    const f = spec?.flags?.find((x) => x.name === flag.getName());
    const markdown = f
      ? `**${spec!.name} ${f.usage}**\n\n${f.explain}`
      : `**--${flag.getName()}** is not a flag of ${inst.getKeyword()} in Docker's classic builder: \`glass build\` stops here with *Unknown flag: ${flag.getName()}*.`;
    return { start: fs, end: fe, markdown };
  }
  // ONBUILD's trigger: hover its keyword as the instruction it will be.
  const trigger = (inst as unknown as { getTriggerInstruction?: () => Instruction | null }).getTriggerInstruction?.();
  return trigger ? hoverIn(trigger, starts, offset, lessons) : undefined;
}

function instructionHover(spec: InstructionSpec, lessons: Lessons): string {
  const leaves: Record<InstructionSpec['layer'], string> = {
    layer: 'a new filesystem layer (the build container\'s changes, committed)',
    config: 'only a config change: an empty layer in `glass history`',
    stage: 'the start of a stage: the base image\'s layers',
    none: 'nothing in the image',
  };
  const l = lessons.find(DOCKERFILE_LESSON);
  const lesson = `📖 Taught in Lesson 12${l ? ` · ${l.title}` : ''}; in a terminal: \`glass learn 12\``;
  return [
    `**${spec.name}**: ${spec.summary}`,
    spec.explain,
    `**In the image:** ${leaves[spec.layer]}.  \n**Cache key:** ${spec.cache}${spec.expands ? '  \n**Variables:** `$NAME` and `${NAME:-default}` are expanded by the builder.' : ''}`,
    '```dockerfile\n' + spec.usage.join('\n') + '\n```',
    lesson,
  ].join('\n\n');
}

/** Completions in a Dockerfile: an instruction at the start of a line, or a flag after one. */
export function dockerfileCompletions(text: string, offset: number): CompletionEntry[] {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  // A line continued from the one above is an instruction's arguments, not a new instruction.
  const prevLine = text.slice(text.lastIndexOf('\n', lineStart - 2) + 1, Math.max(lineStart - 1, 0));
  if (lineStart > 0 && /\\[ \t]*$/.test(prevLine)) return [];
  const word = /^\s*([A-Za-z]*)$/.exec(before);
  if (word) {
    const typed = word[1]!;
    return DOCKERFILE_INSTRUCTIONS.filter((i) => i.name.startsWith(typed.toUpperCase())).map((i) => ({
      label: i.name,
      kind: 'command' as const,
      detail: i.summary,
      documentation: '```dockerfile\n' + i.usage.join('\n') + '\n```',
      replace: { start: offset - typed.length, end: offset },
    }));
  }
  const flag = /^\s*([A-Za-z]+)\s+(?:--\S+\s+)*(--[\w-]*)$/.exec(before);
  const spec = flag ? findInstruction(flag[1]!) : undefined;
  if (!flag || !spec) return [];
  const typed = flag[2]!;
  return (spec.flags ?? [])
    .filter((f) => `--${f.name}`.startsWith(typed))
    .map((f) => ({ label: `--${f.name}=`, kind: 'flag' as const, detail: f.usage, documentation: f.explain, replace: { start: offset - typed.length, end: offset } }));
}
