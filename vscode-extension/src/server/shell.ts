/**
 * Just enough of the shell's grammar to find commands in a script or a code
 * block: words (with quotes removed, as the program receives them) and where
 * each one is in the text, split into simple commands at `;`, `&`, `|`,
 * `&&`, `||`, newlines and parentheses. Commands inside `$(...)` and
 * backquotes are commands of their own. A word that holds an expansion
 * (`$VAR`, `$(...)`) is marked dynamic: its value is known only when it runs.
 *
 * It never fails: half-typed input (an unclosed quote) simply runs to the end.
 */

export interface Word {
  /** The word as the program receives it: quotes and backslashes removed. */
  text: string;
  /** Offsets in the scanned text: [start, end). */
  start: number;
  end: number;
  /** Holds an expansion, so `text` is not what the program will see. */
  dynamic: boolean;
}

export interface SimpleCommand {
  words: Word[];
  start: number;
  end: number;
}

/** Scan a shell script; `offset` is added to every position (a code block inside a larger document). */
export function scanShell(src: string, offset = 0): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  new Scanner(src, out).scan(0, false);
  return out
    .map((c) => ({ start: c.start + offset, end: c.end + offset, words: c.words.map((w) => ({ ...w, start: w.start + offset, end: w.end + offset })) }))
    .sort((a, b) => a.start - b.start);
}

class Scanner {
  constructor(
    private readonly src: string,
    private readonly out: SimpleCommand[],
  ) {}

  /** Scan from `i` until the end, or (nested) until the `)` that closes a `$(`; returns the index after it. */
  scan(i: number, nested: boolean): number {
    const src = this.src;
    let words: Word[] = [];
    let cur: Word | undefined;
    /** The next word is a redirection's target (`> file`): not an argument. */
    let target = false;
    const begin = (at: number): Word => (cur ??= { text: '', start: at, end: at, dynamic: false });
    const endWord = (at: number) => {
      if (!cur) return;
      cur.end = at;
      if (!target) words.push(cur);
      target = false;
      cur = undefined;
    };
    const endCommand = (at: number) => {
      endWord(at);
      target = false;
      if (words.length) this.out.push({ words, start: words[0]!.start, end: words[words.length - 1]!.end });
      words = [];
    };
    while (i < src.length) {
      const c = src[i]!;
      if (c === '\\') {
        if (src[i + 1] === '\n') {
          // A line continuation: the command goes on.
          endWord(i);
          i += 2;
          continue;
        }
        begin(i).text += src[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === "'") {
        const w = begin(i);
        const close = src.indexOf("'", i + 1);
        const end = close < 0 ? src.length : close;
        w.text += src.slice(i + 1, end);
        i = end + 1;
        continue;
      }
      if (c === '"') {
        i = this.doubleQuoted(i + 1, begin(i));
        continue;
      }
      if (c === '$' && src[i + 1] === '(') {
        const w = begin(i);
        w.dynamic = true;
        w.text += '$(…)';
        i = this.scan(i + 2, true);
        continue;
      }
      if (c === '`') {
        const w = begin(i);
        w.dynamic = true;
        w.text += '`…`';
        i = this.backquoted(i + 1);
        continue;
      }
      if (c === '$' && /[A-Za-z_{0-9?#@*!$-]/.test(src[i + 1] ?? '')) {
        const w = begin(i);
        w.dynamic = true;
        w.text += c;
        i++;
        continue;
      }
      if (c === '#' && !cur) {
        const nl = src.indexOf('\n', i);
        i = nl < 0 ? src.length : nl;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r') {
        endWord(i);
        i++;
        continue;
      }
      if (c === '\n' || c === ';' || c === '&' || c === '|' || c === '(') {
        endCommand(i);
        i++;
        continue;
      }
      if (c === ')') {
        endCommand(i);
        if (nested) return i + 1;
        i++;
        continue;
      }
      if (c === '<' || c === '>') {
        // `2>&1`, `>/dev/null`, `<file`: a file descriptor number before it and the target after it are not arguments.
        if (cur && /^\d+$/.test(cur.text) && !cur.dynamic) cur = undefined;
        else endWord(i);
        while (i < src.length && /[<>&|]/.test(src[i]!)) i++;
        if (/^\d/.test(src[i] ?? '') && src[i - 1] === '&') {
          while (/\d/.test(src[i] ?? '')) i++;
        } else {
          target = true;
        }
        continue;
      }
      begin(i).text += c;
      i++;
    }
    endCommand(i);
    return i;
  }

  private doubleQuoted(i: number, w: Word): number {
    const src = this.src;
    while (i < src.length) {
      const c = src[i]!;
      if (c === '"') return i + 1;
      if (c === '\\' && '$`"\\\n'.includes(src[i + 1] ?? '')) {
        if (src[i + 1] !== '\n') w.text += src[i + 1];
        i += 2;
        continue;
      }
      if (c === '$' && src[i + 1] === '(') {
        w.dynamic = true;
        w.text += '$(…)';
        i = this.scan(i + 2, true);
        continue;
      }
      if (c === '`') {
        w.dynamic = true;
        w.text += '`…`';
        i = this.backquoted(i + 1);
        continue;
      }
      if (c === '$' && /[A-Za-z_{0-9?#@*!$-]/.test(src[i + 1] ?? '')) w.dynamic = true;
      w.text += c;
      i++;
    }
    return i;
  }

  /** The commands between backquotes, scanned as a script of their own. */
  private backquoted(i: number): number {
    const close = this.src.indexOf('`', i);
    const end = close < 0 ? this.src.length : close;
    const inner: SimpleCommand[] = [];
    new Scanner(this.src.slice(i, end), inner).scan(0, false);
    for (const c of inner) {
      this.out.push({ start: c.start + i, end: c.end + i, words: c.words.map((w) => ({ ...w, start: w.start + i, end: w.end + i })) });
    }
    return end + 1;
  }
}

/** The tools whose command lines the language server reads. */
export type Tool = 'glass' | 'docker';

/** One `glass ...` or `docker ...` invocation found in a script. */
export interface Invocation {
  tool: Tool;
  /** The program word (`glass`, `bin/glass`, `docker`) and its arguments. */
  words: Word[];
  /** Where the invocation starts, including what runs it (`sudo`, `env X=1`). */
  start: number;
  end: number;
}

/** Words that run the next word as a command. */
const PREFIXES = new Set(['sudo', 'env', 'exec', 'time', 'command', 'nohup', 'then', 'do', 'else', 'if', 'elif', 'while', 'until', '!', '{', 'xargs']);
/** sudo's options that take a value. */
const SUDO_VALUE = new Set(['-u', '-g', '-p', '-C', '-D', '-h', '-r', '-t', '-U', '--user', '--group', '--prompt']);

/** The glass and docker invocations among the simple commands of a script. */
export function findInvocations(commands: SimpleCommand[]): Invocation[] {
  const found: Invocation[] = [];
  for (const cmd of commands) {
    const w = cmd.words;
    let i = 0;
    let prefix: string | undefined;
    while (i < w.length) {
      const t = w[i]!.text;
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) {
        i++;
        continue;
      }
      if (prefix && t.startsWith('-') && t.length > 1) {
        i += prefix === 'sudo' && SUDO_VALUE.has(t) ? 2 : 1;
        continue;
      }
      if (PREFIXES.has(t)) {
        prefix = t;
        i++;
        continue;
      }
      break;
    }
    const program = w[i];
    if (!program || program.dynamic) continue;
    const base = program.text.split('/').pop();
    if (base === 'glass' || base === 'docker') {
      found.push({ tool: base, words: w.slice(i), start: cmd.start, end: cmd.end });
    }
  }
  return found;
}
