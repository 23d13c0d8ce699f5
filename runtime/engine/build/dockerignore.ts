/** (B-parse: API stub, filled in next.) */

/** Docker's dockerignore.ReadAll: the patterns of a .dockerignore, cleaned ("!" kept in front of exceptions). */
export function readDockerignore(text: string): string[] {
  void text;
  throw new Error('B-parse: not implemented yet');
}

/** Docker's fileutils.PatternMatcher. */
export class IgnoreMatcher {
  constructor(readonly patterns: string[]) {}
  /** Is this context-relative path ("a/b.txt") excluded? (last matching pattern wins; a parent dir's match counts) */
  matches(path: string): boolean {
    void path;
    throw new Error('B-parse: not implemented yet');
  }
  /** Is there an exception pattern ("!x")? */
  get hasExceptions(): boolean {
    throw new Error('B-parse: not implemented yet');
  }
  /** Docker's walk rule: an excluded dir is still walked only if an exception pattern starts with "dir/". */
  mayIncludeUnder(dir: string): boolean {
    void dir;
    throw new Error('B-parse: not implemented yet');
  }
}
