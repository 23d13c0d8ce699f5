/** (B-parse: API stub, filled in next.) */
import { GlassError } from '../errors.js';

/** Environment for expansion: later entries win; values as Docker's env ("K=V" list) or a map. */
export type ShellEnv = Record<string, string> | string[];

export class ShellLexError extends GlassError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message, 1);
    this.name = 'ShellLexError';
  }
}

/** Docker's ProcessWord: expand $V ${V} ${V:-w} ${V:+w}, remove quotes and escapes; ONE word out (spaces kept). */
export function expandWord(word: string, env: ShellEnv, escape: '\\' | '`' = '\\'): string {
  void word; void env; void escape;
  throw new Error('B-parse: not implemented yet');
}

/** Docker's ProcessWords: the same, then split on unquoted whitespace (words from a quoted "a b" stay one). */
export function expandWords(text: string, env: ShellEnv, escape: '\\' | '`' = '\\'): string[] {
  void text; void env; void escape;
  throw new Error('B-parse: not implemented yet');
}
