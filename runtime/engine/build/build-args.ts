/**
 * Build arguments, as moby's classic builder (builder/dockerfile/buildargs.go)
 * keeps them. `--build-arg K=V` only reaches a step when an `ARG K` in scope
 * declared it: ARGs before the first FROM ("meta" args) are visible to FROM
 * lines only, and a stage sees an ARG from its declaration on (a bare
 * `ARG K` in a stage brings a meta arg's value in). The proxy variables are
 * allowed without a declaration, but only count for the cache when declared.
 * RUN gets the allowed values as environment variables — not stored in the
 * image — and, because they change what RUN does, they are part of its
 * cache key (`|2 A=1 B=2 /bin/sh -c ...`).
 */

/** Docker's builtinAllowedBuildArgs. */
export const BUILTIN_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

export class BuildArgs {
  /** ARG K[=default] declared in the current stage (default undefined = none). */
  private allowed = new Map<string, string | undefined>();
  private readonly meta: Map<string, string | undefined>;
  private readonly referenced: Set<string>;

  constructor(
    /** --build-arg values; undefined = given without a value and not in the environment (ignored, as Docker). */
    private readonly fromOptions: Readonly<Record<string, string | undefined>>,
    meta?: Map<string, string | undefined>,
    referenced?: Set<string>,
  ) {
    this.meta = meta ?? new Map();
    this.referenced = referenced ?? new Set();
  }

  /** A new stage: the same options and meta args, no ARG declared yet (moby's Clone + ResetAllowed). */
  forStage(): BuildArgs {
    return new BuildArgs(this.fromOptions, this.meta, this.referenced);
  }

  /** `ARG K[=V]` in a stage. */
  declare(key: string, value: string | undefined): void {
    this.allowed.set(key, value);
    this.referenced.add(key);
  }

  /** `ARG K[=V]` before the first FROM. */
  declareMeta(key: string, value: string | undefined): void {
    this.meta.set(key, value);
    this.referenced.add(key);
  }

  private value(key: string, mapping: Map<string, string | undefined>): string | undefined {
    const given = this.fromOptions[key];
    if (given !== undefined) return given;
    if (!mapping.has(key)) return undefined;
    const def = mapping.get(key);
    if (def === undefined) return mapping === this.meta ? undefined : this.meta.get(key);
    return def;
  }

  private all(mapping: Map<string, string | undefined>): Map<string, string> {
    const out = new Map<string, string>();
    for (const key of new Set([...mapping.keys(), ...BUILTIN_ARGS])) {
      const v = BUILTIN_ARGS.has(key) && !mapping.has(key) ? this.fromOptions[key] : this.value(key, mapping);
      if (v !== undefined) out.set(key, v);
    }
    return out;
  }

  /** What FROM lines may expand: the meta args (with --build-arg overrides). */
  metaEnv(): string[] {
    return [...this.all(this.meta)].map(([k, v]) => `${k}=${v}`);
  }

  /**
   * moby's FilterAllowed: the allowed args with a value, as K=V, except those
   * an ENV of the same name (in `env`) overrides.
   */
  filterAllowed(env: readonly string[]): string[] {
    const set = new Set(env.map((e) => e.split('=')[0]!));
    return [...this.all(this.allowed)].filter(([k]) => !set.has(k)).map(([k, v]) => `${k}=${v}`);
  }

  /**
   * moby's prependEnvOnCmd: RUN's cache key (and history) carries the args it
   * ran with, sorted, after their count: ["|2", "A=1", "B=2", ...cmd]. A proxy
   * variable counts only when declared (so a proxy change does not bust the cache).
   */
  prefixedCmd(args: readonly string[], cmd: readonly string[]): string[] {
    const kept = args.filter((e) => {
      const key = e.split('=')[0]!;
      return this.allowed.has(key) || !BUILTIN_ARGS.has(key);
    });
    kept.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return [`|${kept.length}`, ...kept, ...cmd];
  }

  /** --build-arg names nothing declared (Docker's "[Warning] One or more build-args [X] were not consumed"). */
  unused(): string[] {
    return Object.keys(this.fromOptions)
      .filter((k) => !BUILTIN_ARGS.has(k) && !this.referenced.has(k))
      .sort();
  }
}
