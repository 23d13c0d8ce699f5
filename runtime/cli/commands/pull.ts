import { credentialsFor, GlassError, insecureRegistries, isGlassError, registryKeyOf, type PullResult, type RegistryCredentials } from '../../engine/index.js';
import { bool, str, type Ctx, type Handler } from '../context.js';
import { jsonMessageRenderer } from '../jsonmessage.js';

/*
 * `glass pull`, and the pull `run`/`create` do for an image that is not here,
 * printing what Docker 20.10 prints: per-layer lines redrawn in place with a
 * progress bar on a terminal, plain lines otherwise, then "Digest:",
 * "Status:" and the full name. Credentials come from the client's
 * config.json (glass login), as Docker's CLI sends them to its daemon.
 */

/** Where the output goes and how (stdout for `pull`, stderr for the pull inside `run`). */
interface PullOutput {
  write: (s: string) => void;
  isTerminal: boolean;
  columns: number;
  quiet?: boolean;
}

/** The credentials and insecure registries for `ref` from config.json; a damaged file is warned about and ignored. */
function clientSide(ctx: Ctx, ref: string): { auth?: RegistryCredentials; insecure: string[] } {
  try {
    return { auth: credentialsFor(registryKeyOf(ref)), insecure: insecureRegistries() };
  } catch (e) {
    if (isGlassError(e) && e.code === 'CONFIG_FILE') {
      ctx.err(`WARNING: ${e.message}\n`);
      return { insecure: [] };
    }
    throw e;
  }
}

/** "alpine:latest" -> "docker.io/library/alpine:latest": the last line Docker prints. */
function fullName(repoTag: string): string {
  const at = repoTag.includes('@') ? repoTag.indexOf('@') : repoTag.lastIndexOf(':');
  const repo = repoTag.slice(0, at);
  const rest = repoTag.slice(at);
  const first = repo.split('/')[0]!;
  const hasHost = repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost) return repoTag;
  return `docker.io/${repo.includes('/') ? repo : `library/${repo}`}${rest}`;
}

/**
 * Pull `ref`, rendering progress to `out`. Ctrl-C cancels the download
 * (the scratch files go with it: nothing is half-stored).
 */
export async function pullWithProgress(ctx: Ctx, ref: string, out: PullOutput, platform?: string): Promise<PullResult> {
  const { auth, insecure } = clientSide(ctx, ref);
  const render = out.quiet ? () => {} : jsonMessageRenderer(out.write, out.isTerminal, out.columns);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await ctx.engine.images.pull(ref, {
      platform,
      auth,
      insecureRegistries: insecure,
      onProgress: render,
      signal: abort.signal,
    });
  } catch (e) {
    // Ctrl-C: the engine has removed its scratch files; end as a process stopped by SIGINT would (128 + 2).
    if (abort.signal.aborted) throw new Interrupted();
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The user pressed Ctrl-C during a pull. */
class Interrupted extends Error {
  readonly exitCode = 130;
  constructor() {
    super('interrupted');
  }
}

/** Whether `ref` names no tag and no digest (Docker then says "Using default tag: latest"). */
function defaultsTag(ref: string): boolean {
  if (ref.includes('@')) return false;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return !last.includes(':');
}

export const pull: Handler = async (ctx) => {
  const ref = ctx.args[0]!;
  const quiet = bool(ctx.flags.quiet);
  const platform = str(ctx.flags.platform);
  if (bool(ctx.flags['all-tags'])) throw new GlassError('INVALID_ARGUMENT', 'pull --all-tags is not supported by glass: pull each tag by name');
  registryKeyOf(ref); // a malformed reference is refused before anything is printed (as Docker's CLI does)
  try {
    if (defaultsTag(ref) && !quiet) ctx.out('Using default tag: latest\n');
    const result = await pullWithProgress(ctx, ref, {
      write: ctx.out,
      isTerminal: process.stdout.isTTY === true,
      columns: process.stdout.columns ?? 80,
      quiet,
    }, platform);
    ctx.out(`${fullName(result.repoTag)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof Interrupted) return e.exitCode;
    if (isGlassError(e) && e.code !== 'NOT_ROOT' && e.code !== 'INVALID_ARGUMENT') {
      ctx.err(`Error response from daemon: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
};

/**
 * What `run` and `create` do when the image is not here (Docker's CLI does the
 * same): say so on stderr, pull it (progress on stderr too), then go on.
 * busybox:latest is the exception: it is built from the host when missing,
 * so a first run works offline. Returns false when the image is here already.
 */
export async function pullIfMissing(ctx: Ctx, ref: string, platform?: string): Promise<boolean> {
  const { engine } = ctx;
  try {
    await engine.images.inspect(ref);
    return false;
  } catch (e) {
    if (!isGlassError(e) || e.code !== 'NO_SUCH_IMAGE') throw e;
  }
  // A bare ID (or its prefix) that is not here cannot be pulled: let create say "No such image".
  if (/^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) return false;
  const withTag = defaultsTag(ref) ? `${ref}:latest` : ref;
  if (withTag === 'busybox:latest' || withTag === 'docker.io/library/busybox:latest' || withTag === 'library/busybox:latest') return false;
  ctx.err(`Unable to find image '${withTag}' locally\n`);
  try {
    await pullWithProgress(ctx, withTag, { write: ctx.err, isTerminal: process.stderr.isTTY === true, columns: process.stderr.columns ?? 80 }, platform);
  } catch (e) {
    if (e instanceof Interrupted) throw new GlassError('REGISTRY_ERROR', `the pull of ${withTag} was interrupted; nothing was stored`, 130);
    if (isGlassError(e) && e.code !== 'NOT_ROOT' && e.code !== 'INVALID_ARGUMENT') {
      throw new GlassError(e.code as 'REGISTRY_ERROR', `Error response from daemon: ${e.message}`, 125);
    }
    throw e;
  }
  return true;
}
