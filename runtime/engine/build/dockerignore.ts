import { GlassError } from '../errors.js';

/**
 * `.dockerignore`: which files of the build context the builder never sees.
 * Docker's CLI reads it before sending the context, so an ignored file is not
 * sent (a big node_modules costs nothing) and no COPY can pick it up, and a
 * change to it never busts the cache.
 *
 *   # comment                  a line starting with # (only at column 0)
 *   *.log                      * and ? never cross a "/"; [a-z] is a class
 *   /secrets                   the leading "/" is dropped: every pattern is relative to the context
 *   **\/*.tmp                   ** spans any number of directories (also none)
 *   !important.log             an exception: the LAST pattern that matches decides
 *   docs                       a directory's match covers everything under it
 *
 * The rules are moby's (Docker 20.10's pkg/fileutils and builder/dockerignore),
 * written here by hand: the npm ignore libraries follow .gitignore, whose
 * rules differ (there "*.log" matches in every directory; in Docker only at
 * the top).
 */

/** Docker's dockerignore.ReadAll: the patterns of a .dockerignore, cleaned ("!" kept in front of exceptions). */
export function readDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    if (raw.startsWith('#')) continue;
    let pattern = raw.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = goClean(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

interface Pattern {
  /** The cleaned pattern without its "!". */
  text: string;
  exception: boolean;
  /** Its path elements (how deep a parent directory to test). */
  dirs: string[];
  regexp: RegExp;
}

/** Docker 20.10's fileutils.PatternMatcher. */
export class IgnoreMatcher {
  private readonly compiled: Pattern[] = [];

  /** Throws GlassError (Docker's "syntax error in pattern") on a malformed pattern. */
  constructor(readonly patterns: string[]) {
    for (let p of patterns) {
      p = p.trim();
      if (p === '') continue;
      p = goClean(p);
      let exception = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw badPattern('illegal exclusion pattern: "!"', p);
        exception = true;
        p = p.slice(1);
      }
      try {
        goPathMatch(p, '.'); // Docker's syntax check: filepath.Match's own error
      } catch {
        throw badPattern("'syntax error in pattern'", p);
      }
      this.compiled.push({ text: p, exception, dirs: p.split('/'), regexp: toRegExp(p) });
    }
  }

  /**
   * Is this context-relative path ("app/x.log") excluded? Every pattern is
   * tried in order and the last one that matches decides. A pattern that
   * does not match the path itself is also tried on the path's parent
   * directory at the pattern's own depth ("docs" against "docs/a/b.md" tests
   * "docs"): that is how a directory's exclusion covers what is inside it
   * when an exception made the walk go in.
   */
  matches(path: string): boolean {
    let matched = false;
    const parent = posixDir(path);
    const parentDirs = parent.split('/');
    for (const pattern of this.compiled) {
      // An exclusion can only change a path already matched, an inclusion one not yet matched.
      if (pattern.exception !== matched) continue;
      let match = pattern.regexp.test(path);
      if (!match && parent !== '.' && pattern.dirs.length <= parentDirs.length) {
        match = pattern.regexp.test(parentDirs.slice(0, pattern.dirs.length).join('/'));
      }
      if (match) matched = !pattern.exception;
    }
    return matched;
  }

  /** Is there an exception pattern ("!x")? */
  get hasExceptions(): boolean {
    return this.compiled.some((p) => p.exception);
  }

  /**
   * Must an excluded directory still be walked? Docker's rule (pkg/archive):
   * only when an exception pattern starts with "dir/" — so `!dir/keep.txt`
   * rescues the file, but `!**\/keep.txt` does not reach into an excluded dir.
   */
  mayIncludeUnder(dir: string): boolean {
    const prefix = `${dir}/`;
    return this.compiled.some((p) => p.exception && `${p.text}/`.startsWith(prefix));
  }
}

function badPattern(what: string, pattern: string): GlassError {
  return new GlassError(
    'INVALID_ARGUMENT',
    `Error checking context: ${what}. (.dockerignore pattern ${JSON.stringify(pattern)}: fix or remove it)`,
    1,
  );
}

/** Docker's Pattern.compile: the pattern as an anchored regular expression. */
function toRegExp(pattern: string): RegExp {
  const chars = Array.from(pattern);
  let re = '^';
  let inClass = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (inClass) {
      // A [class] is the same in both languages; only its end and escapes matter.
      if (ch === ']') inClass = false;
      if (ch === '\\' && i + 1 < chars.length) re += `\\${chars[++i]}`;
      else re += ch;
      continue;
    }
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++; // "**/" is read as "**"
        // "**" at the end takes everything; elsewhere any number of whole directories.
        re += i + 1 >= chars.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '\\') {
      re += i + 1 < chars.length ? escapeRegExp(chars[++i]!) : '\\\\';
    } else if (ch === '[') {
      inClass = true;
      re += ch;
    } else {
      re += escapeRegExp(ch);
    }
  }
  return new RegExp(`${re}$`, 's');
}

const escapeRegExp = (c: string) => (/[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c);

function posixDir(path: string): string {
  const i = path.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : path.slice(0, i);
}

/**
 * Go's path.Clean: the shortest equivalent path ("a//b/../c/" → "a/c",
 * "/../x" → "/x", "" → "."). Leading ".." of a relative path stay.
 */
export function goClean(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

class BadPattern extends Error {
  constructor() {
    super('syntax error in pattern');
  }
}

/**
 * Go's filepath.Match on "/"-separated names: `*` any run of non-"/"
 * characters, `?` one non-"/" character, `[a-z]` / `[^a-z]` a class, `\x` x
 * itself. The whole name must match. Throws on a malformed pattern (Go's
 * ErrBadPattern), also when the name fails to match before reaching the bad
 * part, as Go checks the rest of the pattern then.
 */
export function goPathMatch(pattern: string, name: string): boolean {
  let pat = Array.from(pattern);
  let s = Array.from(name);
  pattern: while (pat.length > 0) {
    const { star, chunk, rest } = scanChunk(pat);
    pat = rest;
    if (star && chunk.length === 0) return !s.includes('/'); // a trailing * takes the rest, if no "/" is left
    const at = matchChunk(chunk, s);
    if (at && (at.length === 0 || pat.length > 0)) {
      s = at;
      continue;
    }
    if (star) {
      // Let the star take one more character each time (never a "/").
      for (let i = 0; i < s.length && s[i] !== '/'; i++) {
        const t = matchChunk(chunk, s.slice(i + 1));
        if (t) {
          if (pat.length === 0 && t.length > 0) continue;
          s = t;
          continue pattern;
        }
      }
    }
    // No match: still report a malformed rest of the pattern, as Go does.
    while (pat.length > 0) {
      const next = scanChunk(pat);
      pat = next.rest;
      matchChunk(next.chunk, []);
    }
    return false;
  }
  return s.length === 0;
}

function scanChunk(pat: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let star = false;
  let i = 0;
  while (i < pat.length && pat[i] === '*') {
    i++;
    star = true;
  }
  pat = pat.slice(i);
  let inRange = false;
  let j = 0;
  scan: for (; j < pat.length; j++) {
    switch (pat[j]) {
      case '\\':
        if (j + 1 < pat.length) j++;
        break;
      case '[':
        inRange = true;
        break;
      case ']':
        inRange = false;
        break;
      case '*':
        if (!inRange) break scan;
    }
  }
  return { star, chunk: pat.slice(0, j), rest: pat.slice(j) };
}

/** Match one star-free chunk at the start of s: the rest of s, or null. Throws BadPattern. */
function matchChunk(chunk: string[], s: string[]): string[] | null {
  let failed = false;
  let c = 0;
  let k = 0;
  while (c < chunk.length) {
    if (!failed && k >= s.length) failed = true;
    const ch = chunk[c]!;
    if (ch === '[') {
      const r = failed ? '' : s[k++]!;
      c++;
      let negated = false;
      if (chunk[c] === '^') {
        negated = true;
        c++;
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (chunk[c] === ']' && nrange > 0) {
          c++;
          break;
        }
        const lo = getEsc(chunk, c);
        c = lo.next;
        let hi = lo.r;
        if (chunk[c] === '-') {
          const h = getEsc(chunk, c + 1);
          hi = h.r;
          c = h.next;
        }
        const cp = r.codePointAt(0) ?? -1;
        if (!failed && lo.r.codePointAt(0)! <= cp && cp <= hi.codePointAt(0)!) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (ch === '?') {
      if (!failed) {
        if (s[k] === '/') failed = true;
        k++;
      }
      c++;
    } else {
      let lit = ch;
      if (ch === '\\') {
        c++;
        if (c >= chunk.length) throw new BadPattern();
        lit = chunk[c]!;
      }
      if (!failed) {
        if (lit !== s[k]) failed = true;
        k++;
      }
      c++;
    }
  }
  return failed ? null : s.slice(k);
}

function getEsc(chunk: string[], c: number): { r: string; next: number } {
  if (c >= chunk.length || chunk[c] === '-' || chunk[c] === ']') throw new BadPattern();
  if (chunk[c] === '\\') {
    c++;
    if (c >= chunk.length) throw new BadPattern();
  }
  const r = chunk[c]!;
  c++;
  if (c >= chunk.length) throw new BadPattern();
  return { r, next: c };
}
