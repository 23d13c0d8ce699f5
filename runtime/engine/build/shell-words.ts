import { GlassError } from '../errors.js';

/**
 * Variable expansion in a Dockerfile, as Docker's builder does it (moby's
 * builder/dockerfile/shell "lex"): a small imitation of the shell, applied by
 * the builder itself to the instructions that are not run by a shell: ENV,
 * LABEL, COPY, ADD, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL, ARG defaults and
 * FROM. (RUN's text is left alone: /bin/sh expands it inside the container.)
 *
 *   $NAME  ${NAME}        the variable's value ("" when unset)
 *   ${NAME:-word}         word when NAME is unset or empty
 *   ${NAME:+word}         word when NAME is set and not empty, else ""
 *   'single quotes'       everything literal, no escapes, no $
 *   "double quotes"       $ expands; \" \$ \\ are escapes; other \ stay
 *   \x                    x, literally (the escape character can be ` instead)
 *
 * Nothing else of the shell is there: no ${NAME-word} without the colon (in
 * Docker 20.10), no command substitution, no globbing. A word in quotes stays
 * one word when split; a variable's value is split on its spaces.
 *
 * Written by hand, following moby's lexer case by case: the exact quirks
 * (`$1` is "", `${aaa}}` is "}", errors' wording) are what a learner compares
 * with Docker, and no npm shell parser has them.
 */

/** The variables in scope: a map, or Docker's "K=V" list where the FIRST match wins (the builder puts ENV before ARGs). */
export type ShellEnv = Record<string, string> | string[];

export class ShellLexError extends GlassError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message, 1);
    this.name = 'ShellLexError';
  }
}

type Escape = '\\' | '`';

/** Docker's ProcessWord: expand one word (quotes and escapes removed); spaces inside are kept. */
export function expandWord(word: string, env: ShellEnv, escape: Escape = '\\'): string {
  return process(word, env, escape).word;
}

/**
 * Docker's ProcessWords: expand, then split on unquoted whitespace. A quoted
 * "a b" stays one word; a variable holding "a b" becomes two.
 */
export function expandWords(text: string, env: ShellEnv, escape: Escape = '\\'): string[] {
  return process(text, env, escape).words;
}

const EOF = -1;
const isSpace = (c: string) => /^\s$/u.test(c);
const isDigit = (c: string) => /^\p{Nd}$/u.test(c);
const isLetter = (c: string) => /^\p{L}$/u.test(c);

function process(source: string, env: ShellEnv, escape: Escape): { word: string; words: string[] } {
  const lookup = envLookup(env);
  const chars = Array.from(source); // code points, as Go's scanner reads runes
  let pos = 0;
  const peek = (): string | typeof EOF => (pos < chars.length ? chars[pos]! : EOF);
  const next = (): string | typeof EOF => (pos < chars.length ? chars[pos++]! : EOF);

  /** Words being split as they are produced (Docker's wordsStruct). */
  class Words {
    word = '';
    words: string[] = [];
    inWord = false;
    addChar(ch: string) {
      if (isSpace(ch) && this.inWord) {
        if (this.word.length !== 0) {
          this.words.push(this.word);
          this.word = '';
          this.inWord = false;
        }
      } else if (!isSpace(ch)) this.addRawChar(ch);
    }
    addRawChar(ch: string) {
      this.word += ch;
      this.inWord = true;
    }
    addString(s: string) {
      for (const ch of s) this.addChar(ch);
    }
    addRawString(s: string) {
      this.word += s;
      this.inWord = true;
    }
    get(): string[] {
      if (this.word.length > 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
      return this.words;
    }
  }

  /** Read up to (and past) `stop`, or to the end when stop is EOF. */
  const processStopOn = (stop: string | typeof EOF): { word: string; words: string[] } => {
    let result = '';
    const words = new Words();
    while (peek() !== EOF) {
      const ch = peek() as string;
      if (stop !== EOF && ch === stop) {
        next();
        return { word: result, words: words.get() };
      }
      if (ch === "'" || ch === '"' || ch === '$') {
        const tmp = ch === "'" ? singleQuote() : ch === '"' ? doubleQuote() : dollar();
        result += tmp;
        if (ch === '$') words.addString(tmp);
        else words.addRawString(tmp);
        continue;
      }
      let c = next() as string;
      if (c === escape) {
        // The escape character takes the next one literally; alone at the end it is dropped.
        const escaped = next();
        if (escaped === EOF) break;
        c = escaped;
        words.addRawChar(c);
      } else {
        words.addChar(c);
      }
      result += c;
    }
    if (stop !== EOF) throw new Error(`unexpected end of statement while looking for matching ${stop}`);
    return { word: result, words: words.get() };
  };

  const singleQuote = (): string => {
    // Everything up to the next ' is literal; a ' cannot be escaped inside.
    let result = '';
    next();
    for (;;) {
      const ch = next();
      if (ch === EOF) throw new Error('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return result;
      result += ch;
    }
  };

  const doubleQuote = (): string => {
    // $ still expands; the escape character escapes only " $ and itself (as in sh).
    let result = '';
    next();
    for (;;) {
      const p = peek();
      if (p === EOF) throw new Error('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        next();
        return result;
      }
      if (p === '$') {
        result += dollar();
        continue;
      }
      let ch = next() as string;
      if (ch === escape) {
        const after = peek();
        if (after === EOF) continue; // a lone escape at the very end is dropped
        if (after === '"' || after === '$' || after === escape) ch = next() as string;
      }
      result += ch;
    }
  };

  const name = (): string => {
    // A name is letters, digits and _; a digit first is a one-character positional name ($1), always "".
    let n = '';
    while (peek() !== EOF) {
      const ch = peek() as string;
      if (n.length === 0 && isDigit(ch)) return next() as string;
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      n += next();
    }
    return n;
  };

  const dollar = (): string => {
    next(); // the $
    if (peek() !== '{') {
      const n = name();
      return n === '' ? '$' : lookup(n) ?? '';
    }
    next(); // the {
    const first = peek();
    if (first === EOF) throw new Error("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new Error('syntax error: bad substitution');
    const n = name();
    const ch = next();
    if (ch === '}') return lookup(n) ?? '';
    if (ch === ':') {
      const modifier = next();
      let word: string;
      try {
        word = processStopOn('}').word;
      } catch (e) {
        if (peek() === EOF) throw new Error("syntax error: missing '}'");
        throw e;
      }
      const value = lookup(n) ?? '';
      if (modifier === '+') return value !== '' ? word : value;
      if (modifier === '-') return value === '' ? word : value;
      throw new Error(`unsupported modifier (${modifier === EOF ? '' : modifier}) in substitution`);
    }
    throw new Error("missing ':' in substitution");
  };

  try {
    return processStopOn(EOF);
  } catch (e) {
    throw new ShellLexError(`failed to process ${JSON.stringify(source)}: ${(e as Error).message}`);
  }
}

function envLookup(env: ShellEnv): (name: string) => string | undefined {
  if (!Array.isArray(env)) return (n) => (Object.prototype.hasOwnProperty.call(env, n) ? env[n] : undefined);
  return (n) => {
    for (const e of env) {
      const i = e.indexOf('=');
      if (i < 0) {
        if (e === n) return ''; // "VAR" alone counts as set and empty
        continue;
      }
      if (e.slice(0, i) === n) return e.slice(i + 1);
    }
    return undefined;
  };
}
