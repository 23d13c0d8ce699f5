/**
 * The lesson parser: lessons/NN-slug.md → Lesson (model.ts). The one parser
 * the terminal runner, CI, the notebooks and the VS Code extension share.
 *
 * A lesson file is untrusted input: anything that does not follow the format
 * (lessons/README.md) is refused with a LessonFormatError naming the file,
 * the line and what is wrong, never half-read.
 */
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { parseDocument } from 'yaml';
import { COMMANDS, GLOBAL_FLAGS } from '../catalog/commands.js';
import { FEATURES } from '../catalog/features.js';
import { LessonFormatError, type Block, type Lesson, type LessonStep, type RunBlock } from './model.js';

// html: true only so that <details> and comments are read as HTML blocks (and skipped); nothing here renders HTML.
const md = new MarkdownIt({ html: true });

/** The roles a task block can have, after its shell language: ```sh run. */
export const ROLES = ['run', 'check', 'solve', 'setup', 'cleanup'] as const;
type Role = (typeof ROLES)[number];
const SHELLS = ['sh', 'bash', 'shell'];

/** Lesson file names: two digits, a dash, a lower-case slug. */
export const LESSON_FILE = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;

const FRONT_KEYS = ['title', 'minutes', 'teaches', 'needs'];
/** Longest lesson file the parser reads: a lesson is prose, not data. */
const MAX_BYTES = 256 * 1024;

/** Parse one lesson. `file` names it in errors; its base name gives the id and number. */
/** `features`: which runtime features have landed (FEATURES; tests pass another state of them). */
export function parseLesson(source: string, file: string, features: typeof FEATURES = FEATURES): Lesson {
  const base = file.split('/').pop()!;
  const name = LESSON_FILE.exec(base);
  if (!name) throw new LessonFormatError(file, 1, `a lesson file is named NN-slug.md (two digits, a dash, lower-case words with dashes), not '${base}'`);
  if (source.length > MAX_BYTES) throw new LessonFormatError(file, 1, `the lesson is ${source.length} bytes; a lesson file holds at most ${MAX_BYTES}`);
  if (source.includes('\0')) throw new LessonFormatError(file, 1, 'the file holds a NUL byte: a lesson is a text (Markdown) file');
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const front = readFrontMatter(lines, file);
  const lesson: Lesson = {
    id: base.slice(0, -3),
    number: Number(name[1]),
    file,
    ...front.fields,
    intro: '',
    steps: [],
  };
  readBody(lines, front.bodyStart, lesson, features);
  return lesson;
}

// ---------------------------------------------------------------------------
// Front matter: YAML between two `---` lines at the top.

function readFrontMatter(lines: string[], file: string) {
  if (lines[0] !== '---') throw new LessonFormatError(file, 1, "a lesson starts with front matter: a '---' line, then title, minutes, teaches and needs, then '---'");
  const end = lines.indexOf('---', 1);
  if (end < 0) throw new LessonFormatError(file, 1, "the front matter has no closing '---' line");
  const doc = parseDocument(lines.slice(1, end).join('\n'), { prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const at = e.linePos?.[0]?.line ?? 1;
    throw new LessonFormatError(file, 1 + at, `front matter is not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const data = doc.toJS() as unknown;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new LessonFormatError(file, 2, 'front matter must be key: value lines (title, minutes, teaches, needs)');
  const obj = data as Record<string, unknown>;
  // The line of a key, for errors that concern its value.
  const lineOf = (key: string) => {
    const i = lines.slice(1, end).findIndex((l) => l.startsWith(`${key}:`));
    return i < 0 ? 1 : i + 2;
  };
  for (const key of Object.keys(obj)) {
    if (!FRONT_KEYS.includes(key)) throw new LessonFormatError(file, lineOf(key), `unknown front matter key '${key}': a lesson has ${FRONT_KEYS.join(', ')}`);
  }
  for (const key of FRONT_KEYS) {
    if (!(key in obj)) throw new LessonFormatError(file, 1, `front matter lacks '${key}' (a lesson has ${FRONT_KEYS.join(', ')})`);
  }
  const { title, minutes, teaches, needs } = obj;
  if (typeof title !== 'string' || !title.trim()) throw new LessonFormatError(file, lineOf('title'), 'title must be a line of text');
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
    throw new LessonFormatError(file, lineOf('minutes'), `minutes must be a whole number from 1 to 60, not ${JSON.stringify(minutes)}`);
  }
  const stringList = (key: string, v: unknown): string[] => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new LessonFormatError(file, lineOf(key), `${key} must be a list of names, e.g. [run, run.rm]`);
    return v as string[];
  };
  const taught = stringList('teaches', teaches);
  for (const id of taught) {
    const problem = catalogProblem(id);
    if (problem) throw new LessonFormatError(file, lineOf('teaches'), problem);
  }
  const needed = stringList('needs', needs);
  for (const f of needed) {
    if (!FEATURES[f]) throw new LessonFormatError(file, lineOf('needs'), `unknown feature '${f}' in needs: the features are ${Object.keys(FEATURES).join(', ')}`);
  }
  return { fields: { title: title.trim(), minutes, teaches: taught, needs: needed }, bodyStart: end + 1 };
}

/** Why a `teaches` id names nothing in the catalog (undefined when it does). */
export function catalogProblem(id: string): string | undefined {
  const [cmdName, flagName, ...rest] = id.split('.');
  if (rest.length) return `'${id}' in teaches is not a command or command.flag`;
  if (cmdName === 'global') {
    if (flagName && GLOBAL_FLAGS.some((f) => f.name === flagName)) return undefined;
    return `'${id}' in teaches: glass has no global flag --${flagName ?? ''}`;
  }
  const cmd = COMMANDS.find((c) => c.name === cmdName);
  if (!cmd) return `'${id}' in teaches: glass has no command '${cmdName}'`;
  if (flagName !== undefined && !cmd.flags.some((f) => f.name === flagName)) return `'${id}' in teaches: 'glass ${cmdName}' has no flag --${flagName} (use the flag's long name)`;
  return undefined;
}

// ---------------------------------------------------------------------------
// Body: # title, intro, then ## steps with their task blocks and hint.

interface Section {
  title: string;
  /** 1-based line of the heading. */
  line: number;
  /** 0-based body line range [from, to) after the heading. */
  from: number;
  to: number;
  blocks: { role: Role; tty: boolean; code: string; line: number }[];
  hint?: string;
  /** 0-based body line ranges taken by blocks and the hint (not prose). */
  taken: [number, number][];
}

function readBody(lines: string[], bodyStart: number, lesson: Lesson, features: typeof FEATURES): void {
  const file = lesson.file;
  const body = lines.slice(bodyStart);
  const at = (bodyLine: number) => bodyStart + bodyLine + 1;
  const tokens = md.parse(body.join('\n'), {});
  let title: string | undefined;
  let intro: Section | undefined;
  const steps: Section[] = [];
  let current: Section | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.level !== 0) continue;
    if (t.type === 'heading_open' && (t.tag === 'h1' || t.tag === 'h2')) {
      const text = tokens[i + 1].content.trim();
      const line = at(t.map![0]);
      if (current) current.to = t.map![0];
      if (t.tag === 'h1') {
        if (title !== undefined) throw new LessonFormatError(file, line, 'a lesson has one level-1 heading (# Title); steps are level-2 headings (## Step)');
        if (steps.length) throw new LessonFormatError(file, line, 'the # title comes before the steps');
        title = text;
        current = intro = newSection(text, line, t.map![1]);
      } else {
        if (title === undefined) throw new LessonFormatError(file, line, 'the lesson starts with its # title, before the first ## step');
        if (!text) throw new LessonFormatError(file, line, 'a step heading needs a title');
        current = newSection(text, line, t.map![1]);
        steps.push(current);
      }
      continue;
    }
    if (!current) {
      if (t.type === 'heading_open' || t.type === 'paragraph_open' || t.type === 'fence') {
        throw new LessonFormatError(file, at(t.map?.[0] ?? 0), 'the lesson starts with its # title (after the front matter)');
      }
      continue;
    }
    if (t.type === 'fence') readFence(t, current, file, at);
    else if (t.type === 'blockquote_open') readHint(tokens, i, current, body, file, at);
  }
  if (title === undefined || !intro) throw new LessonFormatError(file, bodyStart + 1, 'the lesson has no # title');
  if (current) current.to = body.length;
  // A coming lesson (it needs a feature not landed yet) may be only its front matter and a line saying what it will teach.
  const coming = lesson.needs.some((f) => !features[f]?.landed);
  if (!steps.length && !coming) throw new LessonFormatError(file, intro.line, 'the lesson has no steps: each step is a ## heading');
  const blockOf = (s: Section, role: Role): Block | undefined => {
    const b = s.blocks.find((x) => x.role === role);
    return b && { code: b.code, line: b.line };
  };
  for (const role of ['run', 'check', 'solve'] as const) {
    const b = intro.blocks.find((x) => x.role === role);
    if (b) throw new LessonFormatError(file, b.line, `a '${role}' block belongs to a step (under a ## heading); before the first step only setup and cleanup go`);
  }
  if (intro.hint !== undefined) throw new LessonFormatError(file, intro.line, 'a hint belongs to a step (under a ## heading)');
  lesson.title = lesson.title || title;
  lesson.intro = prose(body, intro);
  lesson.setup = blockOf(intro, 'setup');
  lesson.cleanup = blockOf(intro, 'cleanup');
  const bodyLineOf = (fileLine: number) => fileLine - bodyStart - 1;
  lesson.steps = steps.map((s, n): LessonStep => {
    const run = s.blocks.find((x) => x.role === 'run');
    const step: LessonStep = {
      index: n + 1,
      title: s.title,
      line: s.line,
      prose: prose(body, s, run ? [s.from, bodyLineOf(run.line)] : undefined),
      after: run ? prose(body, s, [bodyLineOf(run.line), s.to]) : '',
      run: run && ({ code: run.code, line: run.line, tty: run.tty } satisfies RunBlock),
      check: blockOf(s, 'check'),
      solve: blockOf(s, 'solve'),
      setup: blockOf(s, 'setup'),
      cleanup: blockOf(s, 'cleanup'),
      hint: s.hint,
    };
    checkStep(step, file);
    return step;
  });
}

function newSection(title: string, line: number, from: number): Section {
  return { title, line, from, to: from, blocks: [], taken: [] };
}

function readFence(t: Token, s: Section, file: string, at: (l: number) => number): void {
  const [lang, role, ...attrs] = t.info.trim().split(/\s+/);
  if (!SHELLS.includes(lang) || role === undefined) return; // an ordinary code sample, part of the prose
  const line = at(t.map![0]);
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new LessonFormatError(file, line, `unknown block role '${role}': a task block is \`\`\`sh followed by one of ${ROLES.join(', ')}`);
  }
  const tty = attrs.includes('tty');
  const unknown = attrs.filter((a) => a !== 'tty');
  if (unknown.length) throw new LessonFormatError(file, line, `unknown word '${unknown[0]}' after \`\`\`sh ${role}: only 'tty' may follow run`);
  if (tty && role !== 'run') throw new LessonFormatError(file, line, `'tty' marks a run block (\`\`\`sh run tty), not a ${role} block`);
  if (s.blocks.some((b) => b.role === role)) throw new LessonFormatError(file, line, `the step '${s.title}' already has a ${role} block: a step has at most one of each`);
  if (!t.content.trim()) throw new LessonFormatError(file, line, `the ${role} block is empty`);
  s.blocks.push({ role: role as Role, tty, code: t.content.replace(/\n$/, ''), line });
  s.taken.push([t.map![0], t.map![1]]);
}

/** A blockquote that starts with "Hint:" (bold or not) is the step's hint. */
function readHint(tokens: Token[], i: number, s: Section, body: string[], file: string, at: (l: number) => number): void {
  const first = tokens.slice(i).find((x) => x.type === 'inline');
  if (!first || !/^(\*\*|__)?Hint:?(\*\*|__)?:?\s/i.test(first.content + ' ')) return;
  const [from, to] = tokens[i].map!;
  if (s.hint !== undefined) throw new LessonFormatError(file, at(from), `the step '${s.title}' already has a hint`);
  const text = body
    .slice(from, to)
    .map((l) => l.replace(/^\s*>\s?/, ''))
    .join('\n')
    .replace(/^\s*(\*\*|__)?Hint:?(\*\*|__)?:?\s*/i, '')
    .trim();
  if (!text) throw new LessonFormatError(file, at(from), 'the hint is empty');
  s.hint = text;
  s.taken.push([from, to]);
}

/** A section's Markdown (or the part in `range`) without its task blocks and hint. */
function prose(body: string[], s: Section, range: [number, number] = [s.from, s.to]): string {
  const out: string[] = [];
  for (let l = range[0]; l < range[1]; l++) {
    if (s.taken.some(([a, b]) => l >= a && l < b)) continue;
    out.push(body[l]);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

function checkStep(step: LessonStep, file: string): void {
  const where = `step ${step.index} ('${step.title}')`;
  if (step.run && !step.check) throw new LessonFormatError(file, step.run.line, `${where} suggests a command but has no \`\`\`sh check block to tell when it is done`);
  if (step.check && !step.hint) throw new LessonFormatError(file, step.line, `${where} has a check but no hint: add a '> **Hint:** ...' blockquote shown when the check fails`);
  if (step.check && !step.run && !step.solve) throw new LessonFormatError(file, step.check.line, `${where} has a check but nothing to run: add a \`\`\`sh run block (or a \`\`\`sh solve block)`);
  if (step.run?.tty && !step.solve) throw new LessonFormatError(file, step.run.line, `${where}: a tty command needs a \`\`\`sh solve block that CI can run without a terminal`);
  if (step.hint && !step.check) throw new LessonFormatError(file, step.line, `${where} has a hint but no check to show it after`);
}
