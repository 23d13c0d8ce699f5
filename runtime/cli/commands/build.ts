import { existsSync, lstatSync, mkdtempSync, readlinkSync, realpathSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { credentialsFor, insecureRegistries, isGlassError, parseTagTarget, type BuildOptions, type BuildSource } from '../../engine/index.js';
import { bool, list, str, type Ctx, type Handler } from '../context.js';
import { UsageError } from '../parse.js';
import { classicDisplay, quietDisplay, ttyDisplay, type BuildDisplay } from '../build-output.js';

/*
 * `glass build [OPTIONS] PATH | -`: the client half of Docker's classic
 * build. Like Docker's CLI, it works out the context and the Dockerfile
 * (PATH must be a directory; -f is relative to the current directory; `-`
 * reads a tar or a lone Dockerfile from stdin), checks the flags, then hands
 * the build to the engine and prints its progress. Errors read as Docker's
 * do, with its exit codes: 1 for a build that failed, the command's own code
 * for a RUN that failed, 125 for a malformed flag, 130 for Ctrl-C.
 */

/** A failure the CLI itself finds before building, printed bare as Docker's CLI prints its own errors (exit 1). */
class PrepareError extends Error {}

/** Go's os.Lstat error text for the first part of `path` that does not exist ("lstat /x/Dockerfile: no such file or directory"). */
function missingPart(path: string): string {
  const parts = path.split('/').filter(Boolean);
  let at = '';
  for (const part of parts) {
    at = `${at}/${part}`;
    try {
      const st = lstatSync(at);
      if (st.isSymbolicLink()) {
        const target = readlinkSync(at);
        // EvalSymlinks follows it; a dangling link is reported at its target.
        const next = isAbsolute(target) ? target : join(dirname(at), target);
        try {
          realpathSync(next);
        } catch {
          return missingPart(next);
        }
      }
    } catch {
      return `lstat ${at}: no such file or directory`;
    }
  }
  return `lstat ${path}: no such file or directory`;
}

/** filepath.EvalSymlinks, with Go's wording when it fails. */
function evalSymlinks(path: string, what: string): string {
  try {
    return realpathSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? missingPart(path) : `${path}: ${(e as Error).message}`;
    throw new PrepareError(`unable to prepare context: unable to evaluate symlinks in ${what}: ${why}`);
  }
}

/** The context directory as Docker's CLI checks it (ResolveAndValidateContextPath): there, a directory, symlinks resolved. */
function contextDir(given: string): string {
  // Docker's CLI also takes a git repository or an http(s) tarball as the context; glass does not fetch contexts.
  if (/^(https?:\/\/|git:\/\/|git@|github\.com\/)/.test(given) && !existsSync(given)) {
    throw new PrepareError(`unable to prepare context: glass build takes a directory or - (a tar or a Dockerfile on stdin), not a URL: clone or download ${given} first and build that directory`);
  }
  try {
    statSync(given);
  } catch {
    throw new PrepareError(`unable to prepare context: path ${JSON.stringify(given)} not found`);
  }
  const dir = evalSymlinks(resolve(given), 'context path');
  if (!statSync(dir).isDirectory()) throw new PrepareError(`unable to prepare context: context must be a directory: ${dir}`);
  return dir;
}

/**
 * The context directory and the Dockerfile as Docker's CLI finds them
 * (cli/command/image/build/context.go): the directory with symlinks
 * resolved; the Dockerfile relative to it, or absolute when it lies
 * outside (then it is sent beside the context, as Docker does).
 */
function localContext(given: string, file: string | undefined): { dir: string; dockerfile: string } {
  const dir = contextDir(given);
  let wanted: string;
  if (file) {
    // -f is relative to the current directory, not to the context.
    wanted = resolve(file);
  } else {
    wanted = join(dir, 'Dockerfile');
    // "Just to be nice", Docker takes a lowercase dockerfile when there is no Dockerfile.
    try {
      lstatSync(wanted);
    } catch {
      try {
        lstatSync(join(dir, 'dockerfile'));
        wanted = join(dir, 'dockerfile');
      } catch {
        // Neither: the error below names Dockerfile.
      }
    }
  }
  const abs = evalSymlinks(wanted, 'Dockerfile path');
  const rel = relative(dir, abs);
  return { dir, dockerfile: rel.startsWith(`..${sep}`) || rel === '..' ? abs : rel };
}

/** The first `n` bytes of a stream, put back so the stream can still be read whole; `ended` when that was all of it. */
async function peek(stream: Readable, n: number): Promise<{ head: Buffer; ended: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < n && !ended) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      size += chunk.length;
      continue;
    }
    if (stream.readableEnded) {
      ended = true;
      break;
    }
    ended = await new Promise<boolean>((resolveWait, reject) => {
      const done = (v: boolean) => () => {
        stream.off('readable', onReadable);
        stream.off('end', onEnd);
        stream.off('error', onError);
        resolveWait(v);
      };
      const onReadable = done(false);
      const onEnd = done(true);
      const onError = (e: Error) => {
        stream.off('readable', onReadable);
        stream.off('end', onEnd);
        reject(e);
      };
      stream.once('readable', onReadable);
      stream.once('end', onEnd);
      stream.once('error', onError);
    });
  }
  const head = Buffer.concat(chunks);
  if (!ended && head.length) stream.unshift(head);
  return { head, ended };
}

/** Whether these first bytes start an archive, as Docker's CLI decides for `build -`: a compressed stream, or a valid tar header. */
export function isArchive(head: Uint8Array): boolean {
  const b = Buffer.from(head);
  const starts = (...m: number[]) => m.every((v, i) => b[i] === v);
  if (starts(0x1f, 0x8b, 0x08) || starts(0x42, 0x5a, 0x68) || starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00) || starts(0x28, 0xb5, 0x2f, 0xfd)) return true;
  if (b.length < 512) return false;
  // A tar header's checksum (bytes 148..155, octal): the sum of the 512 bytes with that field read as spaces.
  const field = b.subarray(148, 156).toString('latin1').replace(/\0.*$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  return sum === parseInt(field, 8);
}

/** Read all of stdin as text (a Dockerfile given with -f - or as the `-` context). */
async function readAll(stream: Readable, head = Buffer.alloc(0)): Promise<string> {
  const chunks: Buffer[] = [head];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}

/** --build-arg values as Docker's CLI checks them (opts.ValidateEnv): KEY=VALUE, or KEY alone for the value in this environment. */
function buildArgs(values: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = eq === -1 ? v : v.slice(0, eq);
    if (key === '') throw new UsageError(`invalid argument ${JSON.stringify(v)} for "--build-arg" flag: invalid environment variable: ${v}`, 'build');
    // KEY alone, not set here: the ARG keeps its default (Docker sends it with a nil value).
    out[key] = eq === -1 ? process.env[key] : v.slice(eq + 1);
  }
  return out;
}

/** -t values, checked before anything is sent as Docker's CLI checks them (validateTag): a malformed name is a flag error. */
function tags(values: string[]): string[] {
  for (const v of values) {
    try {
      parseTagTarget(v);
    } catch (e) {
      if (!isGlassError(e)) throw e;
      throw new UsageError(`invalid argument ${JSON.stringify(v)} for "-t, --tag" flag: ${e.message}`, 'build');
    }
  }
  return values;
}

/** --label values (opts.ValidateLabel): KEY=VALUE. */
function labels(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq === -1) throw new UsageError(`invalid argument ${JSON.stringify(v)} for "--label" flag: bad attribute format: ${v}`, 'build');
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export const build: Handler = async (ctx) => {
  const given = ctx.args[0]!;
  const file = str(ctx.flags.file);
  const quiet = bool(ctx.flags.quiet);
  const progress = str(ctx.flags.progress) ?? 'auto';
  if (!['auto', 'plain', 'tty'].includes(progress)) {
    throw new UsageError(`invalid argument ${JSON.stringify(progress)} for "--progress" flag: use auto, plain or tty`, 'build');
  }
  const args = buildArgs(list(ctx.flags['build-arg']));
  const labelMap = labels(list(ctx.flags.label));
  const tagList = tags(list(ctx.flags.tag));
  const iidfile = str(ctx.flags.iidfile);
  const network = str(ctx.flags.network);

  const scratch: string[] = [];
  const abort = new AbortController();
  // Ctrl-C, a closed terminal or a kill: the build stops and cleans up (its container, nothing tagged) before glass
  // ends. The handlers stay until then, so an impatient second Ctrl-C cannot cut the clean-up short.
  const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
  let stoppedBy: keyof typeof SIGNALS | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    stoppedBy ??= sig as keyof typeof SIGNALS;
    abort.abort();
  };
  let stepSeen = false;
  let display: BuildDisplay | undefined;
  try {
    if (iidfile) {
      // A stale ID file must not survive a failed build (Docker removes it first).
      try {
        unlinkSync(iidfile);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new PrepareError(`Removing image ID file: ${(e as Error).message}`);
      }
    }

    let source: BuildSource;
    let dockerfile: string | undefined;
    if (given === '-') {
      if (file === '-') throw new PrepareError("invalid argument: can't use stdin for both build context and dockerfile");
      const stdin = process.stdin;
      const { head, ended } = await peek(stdin, 512);
      if (isArchive(head)) {
        source = { tar: ended ? Readable.from([head]) : stdin };
        dockerfile = file;
      } else {
        // Not an archive: stdin is the Dockerfile, and the context is empty.
        source = { dockerfileText: ended ? head.toString('utf8') : await readAll(stdin) };
      }
    } else if (file === '-') {
      const dir = contextDir(given);
      // The Dockerfile comes from stdin: it is sent beside the context (a file of our own, removed afterwards).
      const tmp = mkdtempSync(join(tmpdir(), 'glass-build-'));
      scratch.push(tmp);
      writeFileSync(join(tmp, 'Dockerfile'), await readAll(process.stdin));
      source = { dir };
      dockerfile = join(tmp, 'Dockerfile');
    } else {
      const found = localContext(given, file);
      source = { dir: found.dir };
      dockerfile = found.dockerfile;
    }

    const explain = ctx.explain === true;
    const tty = process.stdout.isTTY === true;
    if (quiet) display = quietDisplay(ctx.out, ctx.err);
    else if (!explain && (progress === 'tty' || (progress === 'auto' && tty))) display = ttyDisplay(ctx.out, process.stdout.columns || 80);
    else display = classicDisplay(ctx.out, explain ? ctx.err : undefined);
    const shown = display;

    // FROM pulls use the client's config.json, as Docker's CLI sends its credentials with the build (X-Registry-Config).
    // A damaged config.json is warned about once and ignored, as for pull.
    let insecure: string[] = [];
    let configOk = true;
    try {
      insecure = insecureRegistries();
    } catch (e) {
      if (!isGlassError(e) || e.code !== 'CONFIG_FILE') throw e;
      configOk = false;
      ctx.err(`WARNING: ${e.message}\n`);
    }

    const opts: BuildOptions = {
      registryAuth: (key) => (configOk ? credentialsFor(key) : undefined),
      insecureRegistries: insecure,
      source,
      dockerfile,
      tags: tagList,
      buildArgs: args,
      noCache: bool(ctx.flags['no-cache']),
      target: str(ctx.flags.target),
      labels: labelMap,
      pull: bool(ctx.flags.pull),
      rm: bool(ctx.flags.rm),
      forceRm: bool(ctx.flags['force-rm']),
      network: network === 'default' ? undefined : network,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.type === 'step') stepSeen = true;
        shown.progress(p);
      },
    };
    for (const sig of Object.keys(SIGNALS)) process.on(sig, onSignal);
    const result = await ctx.engine.builds.build(opts);
    display.succeeded(result);
    if (iidfile) writeFileSync(iidfile, result.id);
    return 0;
  } catch (e) {
    display?.failed();
    // Stopped: the engine has killed and removed the build container and tagged nothing; end as the signal would (130 for Ctrl-C).
    if (abort.signal.aborted) return 128 + SIGNALS[stoppedBy ?? 'SIGINT'];
    if (e instanceof PrepareError) {
      ctx.err(`${e.message}\n`);
      return 1;
    }
    if (isGlassError(e) && e.code !== 'NOT_ROOT') {
      // Docker's daemon answers an error that comes before the build printed anything (a parse error, an
      // unknown --target) as an HTTP error, which its CLI prints as "Error response from daemon: ...";
      // once steps are under way the error is a message in the stream, printed as it is.
      ctx.err(`${stepSeen ? '' : 'Error response from daemon: '}${e.message}\n`);
      // A RUN that failed ends the CLI with the command's own exit code (Docker's JSONError code); anything else 1.
      return e.code === 'BUILD_RUN_FAILED' ? e.exitCode : 1;
    }
    throw e;
  } finally {
    for (const sig of Object.keys(SIGNALS)) process.off(sig, onSignal);
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  }
};
