/** (B-parse: API stub, filled in next.) */
import type { Tracer } from '../../kernel/step.js';
import type { BuildSource } from './types.js';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

/** One path of the build context, as the walk saw it (lstat: symlinks are not followed). */
export interface ContextEntry {
  /** Relative to the context root, "/"-separated, no "./" ("app/main.py"); the root itself is ".". */
  path: string;
  kind: EntryKind;
  /** Permission bits and setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes (files); 0 otherwise. */
  size: number;
  /** A symlink's target, as stored. */
  link?: string;
  mtimeMs: number;
  /** Where it is on the host (inside BuildContext.root). */
  hostPath: string;
}

export interface BuildContext {
  /** The context directory on the host (real path; a scratch dir for a tar or Dockerfile-only context). */
  root: string;
  /** Every entry COPY/ADD may see (after .dockerignore), by path; includes "." (the root). */
  entries: Map<string, ContextEntry>;
  /** The Dockerfile's text and its name as given ("Dockerfile", "build/Dockerfile.dev"). */
  dockerfile: { name: string; text: string };
  /** The size Docker's CLI would send as a tar (for "Sending build context to Docker daemon  2.048kB"). */
  tarSize: number;
  /** The .dockerignore patterns in force ([] when none). */
  ignorePatterns: string[];
  /** Remove the scratch dir of a tar/Dockerfile-only context (no-op for a dir). Always call (finally). */
  dispose(): Promise<void>;
}

export interface OpenContextOptions {
  /** BuildOptions.dockerfile: relative to the context, or absolute on the host; default "Dockerfile" (then "dockerfile"). */
  dockerfile?: string;
  /** Where a tar context is unpacked (a fresh dir is made inside and removed by dispose). */
  scratchDir: string;
  trace?: Tracer;
}

/** Walk the context ONCE (dir) or unpack it safely (tar), apply .dockerignore, read the Dockerfile. */
export async function openContext(source: BuildSource, opts: OpenContextOptions): Promise<BuildContext> {
  void source; void opts;
  throw new Error('B-parse: not implemented yet');
}

/** One COPY/ADD source as Docker's copier resolves it. */
export interface ResolvedSource {
  /** The source as written (after variable expansion). */
  source: string;
  /** The path relative to the context as resolved (symlinks followed IN SCOPE, like Docker). */
  path: string;
  /** The entry copied: a file, or a dir (copy its contents). Never a symlink. */
  entry: ContextEntry;
}

/**
 * Docker's copier: leading "/" and "./" dropped; wildcards (Go filepath.Match per path element) matched against every
 * context path; a symlink source followed inside the context (the context is its "/"); ".." leaving the context →
 * `<INST> failed: forbidden path outside the build context: ../x ()`; missing → `<INST> failed: file not found in build
 * context or excluded by .dockerignore: stat x: file does not exist`; nothing matched → `<INST> failed: no source files were specified`.
 * Throws GlassError (exit 1). Only for context sources (not URLs, not --from).
 */
export function resolveSources(ctx: BuildContext, sources: string[], instruction: 'COPY' | 'ADD'): ResolvedSource[] {
  void ctx; void sources; void instruction;
  throw new Error('B-parse: not implemented yet');
}

/** A dir's descendants (not the dir itself), sorted by path, as they are in the index. */
export function entriesUnder(ctx: BuildContext, dir: string): ContextEntry[] {
  void ctx; void dir;
  throw new Error('B-parse: not implemented yet');
}

/** Go's filepath.Match on "/"-separated names ( * ? [a-z] [^a] \\x ); throws on a bad pattern. */
export function goPathMatch(pattern: string, name: string): boolean {
  void pattern; void name;
  throw new Error('B-parse: not implemented yet');
}

/** Docker's containsWildcards: * ? [ not escaped by "\\". */
export function containsWildcards(s: string): boolean {
  void s;
  throw new Error('B-parse: not implemented yet');
}
