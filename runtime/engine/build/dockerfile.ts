import { GlassError } from '../errors.js';
import { expandWord, expandWords, type ShellEnv } from './shell-words.js';

/**
 * Reading a Dockerfile the way Docker 20.10's classic builder reads it (its
 * parser is moby/buildkit's frontend/dockerfile/parser and instructions):
 *
 * 1. Lines. Parser directives first (`# escape=\``, `# syntax=...`, only at
 *    the very top). A line ending in the escape character continues on the
 *    next; comment lines and empty lines inside a continuation are skipped
 *    (an empty one earns a warning). Everything else starting with # is a
 *    comment. The joined "logical line" is what `Step 2/7 : ...` prints.
 * 2. Words. The first word is the instruction (any case); `--name=value`
 *    words right after it are flags. Each instruction reads the rest its own
 *    way: a JSON array (exec form) or the raw text (shell form) for RUN, CMD,
 *    ENTRYPOINT; KEY=VALUE pairs for ENV and LABEL (quotes kept, removed later
 *    by expansion); whitespace-separated words for COPY, EXPOSE...
 * 3. Stages. FROM starts a stage; ARGs before the first FROM are "meta" args,
 *    usable only in FROM lines.
 *
 * Variables are NOT expanded here: that happens step by step during the
 * build, when the values are known (`expandInstruction`).
 *
 * Written by hand after moby's parser rather than on dockerfile-ast: that
 * library (built for editor hovers) joins JSON strings without their spaces
 * (`["a b"]` reads as "ab"), keeps comment lines inside continued arguments
 * and takes Docker's 20.10 escape-directive rules differently, and Docker's
 * exact behaviour is what learners compare with. It also takes ~0.2 s to
 * load, which every glass command would pay. The language server uses
 * dockerfile-ast for what it is good at: positions for hovers.
 */

export type Keyword =
  | 'FROM' | 'RUN' | 'CMD' | 'LABEL' | 'MAINTAINER' | 'EXPOSE' | 'ENV' | 'ADD' | 'COPY' | 'ENTRYPOINT'
  | 'VOLUME' | 'USER' | 'WORKDIR' | 'ARG' | 'ONBUILD' | 'STOPSIGNAL' | 'HEALTHCHECK' | 'SHELL';

interface Base {
  /** 1-based line where the instruction starts (continuations: the first line). */
  line: number;
  endLine: number;
  /** Docker's node.Original, trimmed: the logical line with continuations joined, keyword as written ("Step 2/7 : " prints it). */
  original: string;
  /** The --name=value flags before the arguments, as written (unexpanded). */
  flags: Record<string, string>;
}
/** RUN / CMD / ENTRYPOINT arguments: exec form (JSON array) or shell form (the text, unexpanded: the shell expands it). */
export type CommandForm = { json: true; argv: string[] } | { json: false; text: string };
/** Raw words keep their quotes; expand each with shell-words.expandWord at build time (Docker's ProcessWord). */
export interface KeyValue { key: string; value: string }
export interface ArgDecl { name: string; /** raw default (unexpanded), undefined for `ARG name` */ value?: string }
export interface HealthcheckSpec {
  /** ["NONE"] | ["CMD", ...argv] | ["CMD-SHELL", text] as Docker's config stores it. */
  test: string[];
  /** Durations in nanoseconds (Docker's JSON), undefined = not given (inherit / default). */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  retries?: number;
}

export type Instruction = Base &
  (
    | { keyword: 'FROM'; /** raw image word (meta ARGs expand it) */ image: string; /** lower-cased `AS name` */ stageName?: string; platform?: string }
    | { keyword: 'RUN' | 'CMD' | 'ENTRYPOINT'; command: CommandForm }
    | { keyword: 'SHELL'; argv: string[] }
    | { keyword: 'ENV' | 'LABEL'; pairs: KeyValue[] }
    | { keyword: 'ARG'; args: ArgDecl[] }
    | { keyword: 'MAINTAINER' | 'USER' | 'WORKDIR' | 'STOPSIGNAL'; /** raw (unexpanded except MAINTAINER) */ value: string }
    | { keyword: 'EXPOSE'; /** raw words, sorted as Docker sorts them */ ports: string[] }
    | { keyword: 'VOLUME'; /** raw words (JSON form: the strings) */ paths: string[]; json: boolean }
    | { keyword: 'COPY' | 'ADD'; /** raw words, last is dest */ sources: string[]; dest: string; json: boolean; from?: string; chown?: string; chmod?: string }
    | { keyword: 'HEALTHCHECK'; healthcheck: HealthcheckSpec }
    | {
        keyword: 'ONBUILD';
        /** The trigger as written ("RUN echo hi"): stored in the image's OnBuild, run by a build FROM this image. */
        triggerText: string;
        /** The trigger parsed, when it parses (Docker only checks it when it runs). */
        trigger?: Instruction;
      }
  );

export type FromInstruction = Extract<Instruction, { keyword: 'FROM' }>;

export interface Stage {
  index: number;
  /** lower-cased `AS` name */
  name?: string;
  from: FromInstruction;
  /** the stage's instructions after its FROM */
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  directives: { escape: '\\' | '`'; syntax?: string };
  /** ARGs before the first FROM (they may be used in FROM lines only) */
  metaArgs: Extract<Instruction, { keyword: 'ARG' }>[];
  stages: Stage[];
  /** Docker's parser warnings ("[WARNING]: Empty continuation line found in: ...") */
  warnings: string[];
}

/**
 * Where Docker's classic builder finds the error decides its words:
 * - an instruction it cannot take: "dockerfile parse error line 3: unknown instruction: RUNN";
 * - a line it cannot even split (a directive, ENV/LABEL pairs, a JSON array
 *   of non-strings, an empty file): "failed to parse Dockerfile: ENV must have
 *   two arguments" — Docker gives no line there; glass adds "(line N)";
 * - no FROM: "no build stage in current context" (glass adds why).
 */
export type ParseErrorKind = 'instruction' | 'parser' | 'plain';

/** A parse error, in Docker 20.10's words (exit 1). */
export class DockerfileParseError extends GlassError {
  constructor(
    readonly line: number,
    readonly detail: string,
    readonly kind: ParseErrorKind = 'instruction',
    file = 'Dockerfile',
  ) {
    super(
      'INVALID_ARGUMENT',
      kind === 'instruction' ? `dockerfile parse error line ${line}: ${detail}` : kind === 'parser' ? `failed to parse ${file}: ${detail} (line ${line})` : detail,
      1,
    );
    this.name = 'DockerfileParseError';
  }
}

type Escape = '\\' | '`';

/** One logical line: continuations joined, with the file lines it spans. */
interface LogicalLine {
  text: string;
  line: number;
  endLine: number;
}

const DIRECTIVE = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const WHITESPACE = /[\t\v\f\r ]+/;
const trimLeft = (s: string) => s.replace(/^\s+/u, '');

/** Parse a Dockerfile's text (`file`: its name, as errors say it). Throws DockerfileParseError. */
export function parseDockerfile(text: string, file = 'Dockerfile'): ParsedDockerfile {
  const { lines, escape, syntax, warnings } = logicalLines(text, file);
  if (lines.length === 0) throw new DockerfileParseError(1, 'file with no instructions', 'parser', file);

  const metaArgs: Extract<Instruction, { keyword: 'ARG' }>[] = [];
  const stages: Stage[] = [];
  for (const logical of lines) {
    let inst: Instruction;
    try {
      inst = parseLogical(logical, escape, file);
    } catch (e) {
      if (e instanceof DockerfileParseError && /^unknown instruction/.test(e.detail)) throw explainHeredoc(lines, text, e);
      throw e;
    }
    if (inst.keyword === 'FROM') {
      stages.push({ index: stages.length, name: inst.stageName, from: inst, instructions: [] });
    } else if (stages.length === 0) {
      if (inst.keyword !== 'ARG') {
        throw new DockerfileParseError(
          inst.line,
          `no build stage in current context (line ${inst.line}: ${inst.keyword} comes before any FROM; a Dockerfile starts with FROM, only ARG may come before it)`,
          'plain',
        );
      }
      metaArgs.push(inst);
    } else {
      stages[stages.length - 1]!.instructions.push(inst);
    }
  }
  if (stages.length === 0) {
    throw new DockerfileParseError(lines[lines.length - 1]!.line, 'no build stage in current context (the Dockerfile has no FROM: add one, FROM scratch for an empty image)', 'plain');
  }
  return { directives: { escape, ...(syntax !== undefined ? { syntax } : {}) }, metaArgs, stages, warnings };
}

/** Parse one instruction line alone (ONBUILD triggers when they run in a child build). */
export function parseInstructionLine(text: string, line = 1, escape: Escape = '\\', file = 'Dockerfile'): Instruction {
  return parseLogical({ text, line, endLine: line }, escape, file);
}

/** Stage by name (case-insensitive) or index ("0"); undefined when none. The first of a repeated name, as Docker. */
export function findStage(df: ParsedDockerfile, nameOrIndex: string): Stage | undefined {
  const name = nameOrIndex.toLowerCase();
  const byName = df.stages.find((s) => s.name === name);
  if (byName) return byName;
  if (/^\d+$/.test(nameOrIndex)) return df.stages[Number(nameOrIndex)];
  return undefined;
}

// ---- 1. lines -----------------------------------------------------------------

function logicalLines(text: string, file: string): { lines: LogicalLine[]; escape: Escape; syntax?: string; warnings: string[] } {
  const raw = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop(); // the newline ending the last line
  if (raw.length > 0) raw[0] = raw[0]!.replace(/^\uFEFF/, '');

  let escape: Escape = '\\';
  let syntax: string | undefined;
  let directivesDone = false;
  const seen = new Set<string>();
  let continuation = /\\[ \t]*$/;
  /** Docker's possibleParserDirective: only the lines before anything else may be directives. */
  const directive = (line: string, lineNo: number) => {
    if (directivesDone) return;
    const m = DIRECTIVE.exec(line);
    const key = m?.[1]!.toLowerCase();
    if (!m || (key !== 'escape' && key !== 'syntax')) {
      directivesDone = true;
      return;
    }
    if (seen.has(key)) throw new DockerfileParseError(lineNo, `only one ${key} parser directive can be used`, 'parser', file);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '`' && m[2] !== '\\') throw new DockerfileParseError(lineNo, `invalid escape token '${m[2]}' does not match \` or \\`, 'parser', file);
      escape = m[2];
      continuation = new RegExp(`\\${escape}[ \\t]*$`);
    } else {
      syntax = m[2]; // `# syntax=` picks a BuildKit frontend; the classic builder reads and ignores it
    }
  };
  const isComment = (l: string) => /^#/.test(trimLeft(l));
  const process = (l: string, stripLeft: boolean, lineNo: number) => {
    const token = stripLeft ? trimLeft(l) : l;
    directive(token, lineNo);
    return token.replace(/^#.*$/s, '');
  };
  const trimContinuation = (l: string): [string, boolean] => (continuation.test(l) ? [l.replace(continuation, ''), false] : [l, true]);

  const lines: LogicalLine[] = [];
  const warnings: string[] = [];
  let i = 0;
  while (i < raw.length) {
    const start = i + 1;
    let [line, end] = trimContinuation(process(raw[i]!, true, start));
    i++;
    if (end && line === '') continue;
    let emptyContinuation = false;
    while (!end && i < raw.length) {
      const l = raw[i]!;
      const processed = process(l, false, i + 1);
      i++;
      if (isComment(l)) continue; // a comment inside a continued instruction is dropped
      if (trimLeft(processed) === '') {
        emptyContinuation = true;
        continue;
      }
      const [more, e] = trimContinuation(processed);
      line += more;
      end = e;
    }
    if (emptyContinuation) warnings.push(`[WARNING]: Empty continuation line found in:\n    ${line}`);
    lines.push({ text: line, line: start, endLine: i });
  }
  if (warnings.length > 0) warnings.push('[WARNING]: Empty continuation lines will become errors in a future release.');
  return { lines, escape, syntax, warnings };
}

/**
 * Docker 20.10 has no heredocs: the lines after `RUN <<EOF` read as
 * instructions, and the first one fails as unknown. Say why, when the line
 * before the failing one opened a heredoc whose end marker follows.
 */
function explainHeredoc(lines: LogicalLine[], text: string, e: DockerfileParseError): DockerfileParseError {
  const before = lines.filter((l) => l.line < e.line).pop();
  const m = before && /^\s*\S+\s.*?<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(before.text);
  if (!before || !m) return e;
  const rest = text.split('\n').slice(e.line - 1).map((l) => l.replace(/\r$/, '').trim());
  if (!rest.includes(m[2]!)) return e;
  return new DockerfileParseError(
    e.line,
    `${e.detail} (line ${before.line} starts a heredoc, "<<${m[2]}": that is a BuildKit feature; Docker's classic builder, which glass follows, reads every line as an instruction. Put the lines in a file and COPY it, or join the commands with &&)`,
  );
}

// ---- 2. words -------------------------------------------------------------------

/** One logical line parsed into a typed instruction (Docker's splitCommand + its line parser + instructions.Parse). */
function parseLogical(logical: LogicalLine, escape: Escape, file: string): Instruction {
  const fail = (detail: string): never => {
    throw new DockerfileParseError(logical.line, detail);
  };
  /** Errors of Docker's line parsers (before the instruction is looked at): "failed to parse Dockerfile: ...". */
  const failLine = (detail: string): never => {
    throw new DockerfileParseError(logical.line, detail, 'parser', file);
  };
  const trimmed = logical.text.trim();
  const split = WHITESPACE.exec(trimmed);
  const word = split ? trimmed.slice(0, split.index) : trimmed;
  const afterWord = split ? trimmed.slice(split.index + split[0].length) : '';
  const keyword = word.toUpperCase();
  const { flagWords, rest: restRaw } = extractFlags(afterWord);
  const rest = restRaw.trim();
  const base: Base = { line: logical.line, endLine: logical.endLine, original: trimmed, flags: {} };

  const flags = (allowed: string[]) => {
    base.flags = parseFlags(flagWords, allowed, fail);
    return base.flags;
  };

  switch (keyword) {
    case 'FROM': {
      const args = whitespaceWords(rest);
      flags(['platform']);
      let stageName: string | undefined;
      if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
        stageName = args[2]!.toLowerCase();
        if (!/^[a-z][a-z0-9-_.]*$/.test(stageName)) {
          fail(`invalid name for build stage: ${JSON.stringify(stageName)}, name can't start with a number or contain symbols`);
        }
      } else if (args.length !== 1) {
        fail('FROM requires either one or three arguments');
      }
      return { ...base, keyword, image: args[0]!, ...(stageName ? { stageName } : {}), ...(base.flags.platform ? { platform: base.flags.platform } : {}) };
    }
    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT': {
      flags([]);
      const json = rest === '' ? undefined : parseJsonArray(rest, failLine);
      if (keyword === 'RUN' && rest === '') fail('RUN requires at least one argument');
      return { ...base, keyword, command: json ? { json: true, argv: json } : { json: false, text: rest } };
    }
    case 'SHELL': {
      flags([]);
      const json = rest === '' ? undefined : parseJsonArray(rest, failLine);
      if (rest === '' || (json && json.length === 0)) fail('SHELL requires at least one argument');
      if (!json) fail('SHELL requires the arguments to be in JSON form');
      return { ...base, keyword, argv: json! };
    }
    case 'ENV':
    case 'LABEL': {
      const words = nameValues(rest, keyword, escape, failLine);
      flags([]);
      if (words.length === 0) fail(`${keyword} requires at least one argument`);
      for (const p of words) if (p.key === '') fail(`${keyword} names can not be blank`);
      return { ...base, keyword, pairs: words };
    }
    case 'ARG': {
      const words = parseWords(rest, escape);
      flags([]);
      if (words.length === 0) fail('ARG requires at least one argument');
      const args = words.map((w): ArgDecl => {
        const eq = w.indexOf('=');
        if (eq < 0) return { name: w };
        if (eq === 0) fail('ARG names can not be blank');
        return { name: w.slice(0, eq), value: w.slice(eq + 1) };
      });
      return { ...base, keyword, args };
    }
    case 'MAINTAINER':
    case 'USER':
    case 'WORKDIR':
    case 'STOPSIGNAL': {
      if (rest === '') fail(`${keyword} requires exactly one argument`);
      if (keyword !== 'STOPSIGNAL') flags([]); // Docker does not check STOPSIGNAL's flags
      return { ...base, keyword, value: rest };
    }
    case 'EXPOSE': {
      const ports = whitespaceWords(rest);
      if (ports.length === 0) fail('EXPOSE requires at least one argument');
      flags([]);
      return { ...base, keyword, ports: [...ports].sort() };
    }
    case 'VOLUME': {
      const { words, json } = maybeJsonList(rest, failLine);
      if (words.length === 0) fail('VOLUME requires at least one argument');
      flags([]);
      const paths = words.map((v) => v.trim());
      if (paths.some((p) => p === '')) fail('VOLUME specified can not be an empty string');
      return { ...base, keyword, paths, json };
    }
    case 'COPY':
    case 'ADD': {
      const { words, json } = maybeJsonList(rest, failLine);
      if (words.length < 2) fail(`${keyword} requires at least two arguments, but only one was provided. Destination could not be determined.`);
      const f = flags(keyword === 'COPY' ? ['chown', 'from', 'chmod'] : ['chown', 'chmod']);
      return {
        ...base,
        keyword,
        sources: words.slice(0, -1),
        dest: words[words.length - 1]!,
        json,
        ...(f.from !== undefined && f.from !== '' ? { from: f.from } : {}),
        ...(f.chown !== undefined && f.chown !== '' ? { chown: f.chown } : {}),
        ...(f.chmod !== undefined && f.chmod !== '' ? { chmod: f.chmod } : {}),
      };
    }
    case 'HEALTHCHECK':
      return { ...base, keyword, healthcheck: parseHealthcheck(rest, flagWords, base, fail, failLine) };
    case 'ONBUILD': {
      if (rest === '') fail('ONBUILD requires at least one argument');
      flags([]);
      const triggerWord = rest.split(WHITESPACE)[0]!.toUpperCase();
      if (triggerWord === 'ONBUILD') fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (triggerWord === 'MAINTAINER' || triggerWord === 'FROM') fail(`${triggerWord} isn't allowed as an ONBUILD trigger`);
      const triggerText = logical.text.replace(/^\s*ONBUILD\s*/i, '');
      let trigger: Instruction | undefined;
      try {
        trigger = parseLogical({ ...logical, text: triggerText }, escape, file);
      } catch (e) {
        // Docker's line parser reads the trigger now (ENV A fails here); the instruction itself is checked only when a child build runs it.
        if (e instanceof DockerfileParseError && e.kind === 'parser') throw e;
        trigger = undefined;
      }
      return { ...base, keyword, triggerText, ...(trigger ? { trigger } : {}) };
    }
    default:
      return fail(`unknown instruction: ${keyword}`);
  }
}

/**
 * Docker's extractBuilderFlags: the `--name=value` words at the start of the
 * arguments (quotes removed), and the rest of the line. "--" ends the flags.
 */
function extractFlags(line: string): { flagWords: string[]; rest: string } {
  const words: string[] = [];
  let word = '';
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const ch = pos < line.length ? line[pos]! : '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (/\s/.test(ch)) continue;
      if (ch !== '-' || line[pos + 1] !== '-') return { flagWords: words, rest: line.slice(pos) };
      phase = 'word';
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (/\s/.test(ch)) {
        phase = 'spaces';
        if (word === '--') return { flagWords: words, rest: line.slice(pos) };
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) continue;
        word += line[++pos];
        continue;
      }
      word += ch;
      continue;
    }
    // in quotes
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      word += line[++pos];
      continue;
    }
    word += ch;
  }
  return { flagWords: words, rest: '' };
}

/** Docker's BFlags.Parse: only the instruction's own flags, each once, each with "=value". */
function parseFlags(words: string[], allowed: string[], fail: (d: string) => never): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    if (!w.startsWith('--')) fail(`Arg should start with -- : ${w}`);
    if (w === '--') break;
    const body = w.slice(2);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (!allowed.includes(name)) fail(`Unknown flag: ${name}`);
    if (name in out) fail(`Duplicate flag specified: ${name}`);
    if (eq < 0) fail(`Missing a value on flag: ${name}`);
    out[name] = body.slice(eq + 1);
  }
  return out;
}

const whitespaceWords = (rest: string): string[] => (rest === '' ? [] : rest.split(WHITESPACE));

/**
 * Docker's parseJSON: the arguments as a JSON array of strings (exec form),
 * undefined when they are not JSON (then they are the shell form). Like Go's
 * json.Decoder, only the first JSON value counts. An array holding anything
 * but strings is an error, not the shell form.
 */
function parseJsonArray(rest: string, fail: (d: string) => never): string[] | undefined {
  const s = trimLeft(rest);
  if (!s.startsWith('[')) return undefined;
  const end = jsonValueEnd(s);
  if (end < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(s.slice(0, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) fail('when using JSON array syntax, arrays must be comprised of strings only');
  return value as string[];
}

/** Where the JSON array starting at s[0] ends (index after its "]"), or -1. */
function jsonValueEnd(s: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Docker's parseMaybeJSONToList: a JSON array, else whitespace-separated words. */
function maybeJsonList(rest: string, fail: (d: string) => never): { words: string[]; json: boolean } {
  const json = parseJsonArray(rest, fail);
  return json ? { words: json, json: true } : { words: whitespaceWords(rest), json: false };
}

/**
 * Docker's parseWords: split on whitespace outside quotes, keeping the quotes
 * and escapes in the words (expansion removes them later).
 */
function parseWords(rest: string, escape: Escape): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos < chars.length ? chars[pos]! : '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (/\s/u.test(ch)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (/\s/u.test(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue; // an escape at the very end is dropped
        word += ch; // kept with the next character, even a quote
        ch = chars[++pos]!;
      }
      word += ch;
      continue;
    }
    // in quotes: the escape works inside "..." but not inside '...'
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      word += ch;
      ch = chars[++pos]!;
    }
    word += ch;
  }
  return words;
}

/**
 * Docker's parseNameVal for ENV and LABEL: `K=V K2="v 2"` pairs, or the old
 * form `K the value` (one pair: the rest of the line is the value), told apart
 * by whether the first word has an "=".
 */
function nameValues(rest: string, keyword: string, escape: Escape, fail: (d: string) => never): KeyValue[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    const parts = rest.split(WHITESPACE);
    if (parts.length < 2) fail(`${keyword} must have two arguments`);
    const m = WHITESPACE.exec(rest)!;
    return [{ key: rest.slice(0, m.index), value: rest.slice(m.index + m[0].length) }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) fail(`Syntax error - can't find = in ${JSON.stringify(w)}. Must be of the form: name=value`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

/** HEALTHCHECK [--interval=... --timeout=... --start-period=... --retries=...] CMD command | NONE */
function parseHealthcheck(rest: string, flagWords: string[], base: Base, fail: (d: string) => never, failLine: (d: string) => never): HealthcheckSpec {
  const m = /\s/.exec(rest);
  const typ = (m ? rest.slice(0, m.index) : rest).toUpperCase();
  const cmdText = m ? rest.slice(m.index).replace(/^\s+/, '') : '';
  if (typ === '') fail('HEALTHCHECK requires at least one argument');
  if (typ === 'NONE') {
    if (cmdText !== '') fail('HEALTHCHECK NONE takes no arguments');
    return { test: ['NONE'] }; // Docker reads no flags for NONE
  }
  base.flags = parseFlags(flagWords, ['interval', 'timeout', 'start-period', 'retries'], fail);
  if (typ !== 'CMD') fail(`Unknown type ${JSON.stringify(typ)} in HEALTHCHECK (try CMD)`);
  const json = cmdText === '' ? undefined : parseJsonArray(cmdText, failLine);
  const test = json ? ['CMD', ...json] : cmdText === '' ? [] : ['CMD-SHELL', cmdText];
  if (test.length <= 1) fail('Missing command after HEALTHCHECK CMD');
  const spec: HealthcheckSpec = { test };
  const interval = (name: string): number | undefined => {
    const v = base.flags[name];
    if (v === undefined || v === '') return undefined;
    const ns = parseGoDuration(v);
    if (ns === undefined) fail(`time: invalid duration ${JSON.stringify(v)}`);
    if (ns! < 1_000_000) fail(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
    return ns;
  };
  const i = interval('interval');
  const t = interval('timeout');
  const s = interval('start-period');
  if (i !== undefined) spec.interval = i;
  if (t !== undefined) spec.timeout = t;
  if (s !== undefined) spec.startPeriod = s;
  const r = base.flags.retries;
  if (r !== undefined && r !== '') {
    if (!/^[+-]?\d+$/.test(r) || Math.abs(Number(r)) > 2 ** 31 - 1) fail(`strconv.ParseInt: parsing ${JSON.stringify(r)}: invalid syntax`);
    const n = Number(r);
    if (n < 1) fail(`--retries must be at least 1 (not ${n})`);
    spec.retries = n;
  }
  return spec;
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration ("1m30s", "1.5h", "300ms"), in nanoseconds; undefined when malformed. */
export function parseGoDuration(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
    total += Number(`${m[1] || '0'}.${m[2] || '0'}`) * UNITS[m[3]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

// ---- expansion at build time -------------------------------------------------------

/**
 * The instruction with its variables expanded, as Docker's dispatcher does
 * before running it (each word through ProcessWord): ENV and LABEL keys and
 * values, ARG names and defaults, COPY/ADD sources, dest and --chown, EXPOSE ports (split on spaces),
 * USER, WORKDIR, STOPSIGNAL, VOLUME paths. RUN, CMD, ENTRYPOINT, SHELL,
 * HEALTHCHECK, MAINTAINER and ONBUILD are left as written (a shell, or a
 * later build, reads them). FROM is expanded by the builder with the meta ARGs.
 * `env` is Docker's list for the step: the image's Env first, then the build
 * args in scope (the first definition wins). Throws ShellLexError.
 */
export function expandInstruction<T extends Instruction>(inst: T, env: ShellEnv, escape: Escape = '\\'): T {
  const x = (w: string) => expandWord(w, env, escape);
  const i = inst as Instruction;
  switch (i.keyword) {
    case 'ENV':
    case 'LABEL':
      return { ...i, pairs: i.pairs.map((p) => ({ key: x(p.key), value: x(p.value) })) } as T;
    case 'ARG':
      return { ...i, args: i.args.map((a) => (a.value === undefined ? { name: x(a.name) } : { name: x(a.name), value: x(a.value) })) } as T;
    case 'COPY':
    case 'ADD':
      return { ...i, sources: i.sources.map(x), dest: x(i.dest), ...(i.chown !== undefined ? { chown: x(i.chown) } : {}) } as T;
    case 'EXPOSE':
      // The one instruction whose words may become several: EXPOSE $PORTS with PORTS="80 443" exposes both.
      return { ...i, ports: i.ports.flatMap((p) => expandWords(p, env, escape)) } as T;
    case 'VOLUME':
      return { ...i, paths: i.paths.map(x) } as T;
    case 'USER':
    case 'WORKDIR':
    case 'STOPSIGNAL':
      return { ...i, value: x(i.value) } as T;
    default:
      return inst;
  }
}
