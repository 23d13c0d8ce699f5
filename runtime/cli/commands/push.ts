import {
  DOCKER_HUB_KEY,
  credentialsFor,
  eraseCredentials,
  insecureRegistries,
  isGlassError,
  registryKeyOf,
  registryKeyOfServer,
  storeCredentials,
  type RegistryCredentials,
} from '../../engine/index.js';
import { bool, str, type Ctx, type Handler } from '../context.js';
import { jsonMessageRenderer } from '../jsonmessage.js';

/*
 * `glass login`, `glass logout` and `glass push`, printing what Docker 20.10
 * prints. Credentials are the client's business (as in Docker, where the CLI
 * reads config.json and hands the daemon the one credential it needs): these
 * handlers read and write the config file and pass `auth` to the engine.
 * A password is never printed, and never goes to the engine's trace.
 */

const UNENCRYPTED_WARNING = (file: string) =>
  `WARNING! Your password will be stored unencrypted in ${file}.\n` +
  'Configure a credential helper to remove this warning. See\n' +
  'https://docs.docker.com/engine/reference/commandline/login/#credentials-store\n\n';

/** Errors the engine reports from a registry, as Docker's CLI shows a daemon error. */
const daemonError = (ctx: Ctx, e: unknown): number => {
  if (isGlassError(e) && e.code !== 'NOT_ROOT') {
    ctx.err(`Error response from daemon: ${e.message}\n`);
    return 1;
  }
  throw e;
};

/** The config file's insecure registries; a damaged file is warned about (as Docker does) and ignored. */
function clientConfig(ctx: Ctx, key: string): { auth?: RegistryCredentials; insecure: string[] } {
  try {
    return { auth: credentialsFor(key), insecure: insecureRegistries() };
  } catch (e) {
    if (isGlassError(e) && e.code === 'CONFIG_FILE') {
      ctx.err(`WARNING: ${e.message}\n`);
      return { insecure: [] };
    }
    throw e;
  }
}

export const login: Handler = async (ctx) => {
  const server = ctx.args[0];
  let username = str(ctx.flags.username)?.trim();
  let password = str(ctx.flags.password);
  const fromStdin = bool(ctx.flags['password-stdin']);
  if (password !== undefined) {
    ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    if (fromStdin) {
      ctx.err('--password and --password-stdin are mutually exclusive\n');
      return 1;
    }
  }
  if (fromStdin) {
    if (!username) {
      ctx.err('Must provide --username with --password-stdin\n');
      return 1;
    }
    password = (await readAll(process.stdin)).replace(/\n$/, '').replace(/\r$/, '');
  }
  // Docker: "docker.io" and no server both mean Docker Hub; the key is its historical index URL.
  const key = registryKeyOfServer(server);
  const isHub = key === DOCKER_HUB_KEY;
  const { insecure } = clientConfig(ctx, key);

  const tryLogin = async (auth: RegistryCredentials): Promise<void> => {
    await ctx.engine.system.login(isHub ? undefined : key, auth, { insecureRegistries: insecure });
  };

  // No user and no password given: try what is stored first (Docker: "Authenticating with existing credentials...").
  let stored: RegistryCredentials | undefined;
  try {
    stored = credentialsFor(key);
  } catch (e) {
    if (!(isGlassError(e) && e.code === 'CONFIG_FILE')) throw e;
    ctx.err(`Error: ${e.message}\n`);
    return 1;
  }
  if (!username && password === undefined && stored?.username && stored.password) {
    ctx.out('Authenticating with existing credentials...\n');
    try {
      await tryLogin(stored);
      ctx.out('Login Succeeded\n');
      return 0;
    } catch (e) {
      if (!isGlassError(e)) throw e;
      ctx.out(`Login did not succeed, error: Error response from daemon: ${e.message}\n`);
    }
  }

  if (password === undefined || password === '') {
    // An interactive login needs a terminal to read a password without echoing it.
    if (!process.stdin.isTTY) {
      ctx.err('Error: Cannot perform an interactive login from a non TTY device\n');
      return 1;
    }
    if (!username) {
      if (isHub) {
        ctx.out("Login with your Docker ID to push and pull images from Docker Hub. If you don't have a Docker ID, head over to https://hub.docker.com to create one.\n");
      }
      ctx.out(stored?.username ? `Username (${stored.username}): ` : 'Username: ');
      username = (await readLine(true)).trim() || stored?.username;
      if (!username) {
        ctx.err('Error: Non-null Username Required\n');
        return 1;
      }
    }
    ctx.out('Password: ');
    password = await readLine(false);
    ctx.out('\n');
    if (!password) {
      ctx.err('Error: Password Required\n');
      return 1;
    }
  }
  if (!username) {
    ctx.err('Error: Non-null Username Required\n');
    return 1;
  }

  try {
    await tryLogin({ username, password });
  } catch (e) {
    return daemonError(ctx, e);
  }
  let file: string;
  try {
    file = storeCredentials(key, { username, password });
  } catch (e) {
    if (isGlassError(e)) {
      ctx.err(`Error saving credentials: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  ctx.err(UNENCRYPTED_WARNING(file));
  ctx.out('Login Succeeded\n');
  return 0;
};

export const logout: Handler = async (ctx) => {
  const key = registryKeyOfServer(ctx.args[0]);
  try {
    if (credentialsFor(key) === undefined) {
      ctx.out(`Not logged in to ${key}\n`);
      return 0;
    }
    ctx.out(`Removing login credentials for ${key}\n`);
    // Only that entry goes (and URL forms of the same host); every other key of config.json stays.
    eraseCredentials(key);
  } catch (e) {
    if (isGlassError(e) && e.code === 'CONFIG_FILE') {
      ctx.err(`Error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  return 0;
};

export const push: Handler = async (ctx) => {
  const ref = ctx.args[0]!;
  const quiet = bool(ctx.flags.quiet);
  const allTags = bool(ctx.flags['all-tags']);
  let named = ref;
  // Docker 20.10: no tag means latest (before 20.10 it meant every tag; --all-tags does that now).
  const hasTag = /:[\w][\w.-]{0,127}$/.test(ref.slice(ref.lastIndexOf('/') + 1)) || ref.includes('@');
  if (allTags && hasTag) {
    ctx.err('tag can\'t be used with --all-tags/-a\n');
    return 1;
  }
  if (!allTags && !hasTag) {
    named = `${ref}:latest`;
    if (!quiet) ctx.out('Using default tag: latest\n');
  }
  let key: string;
  try {
    key = registryKeyOf(named);
  } catch (e) {
    if (isGlassError(e)) {
      ctx.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const { auth, insecure } = clientConfig(ctx, key);
  const render = quiet ? () => {} : jsonMessageRenderer(ctx.out, process.stdout.isTTY === true, process.stdout.columns ?? 80);
  const chunk = Number(process.env.GLASS_PUSH_CHUNK_SIZE);
  let result;
  try {
    result = await ctx.engine.images.push(named, {
      auth,
      insecureRegistries: insecure,
      allTags,
      chunkSize: Number.isInteger(chunk) && chunk > 0 ? chunk : undefined,
      onProgress: (m) => {
        if (m.aux) return;
        render(m);
      },
    });
  } catch (e) {
    // Docker prints a push's failure as the stream's last line, bare, and exits 1.
    if (isGlassError(e) && e.code !== 'NOT_ROOT') {
      ctx.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (quiet) ctx.out(`${fullName(result.repository)}${allTags ? '' : `:${result.pushed[0]?.tag ?? 'latest'}`}\n`);
  return 0;
};

/** "busybox" -> "docker.io/library/busybox" (what `docker push -q` prints). */
function fullName(repository: string): string {
  const first = repository.split('/')[0]!;
  const hasDomain = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain) return repository;
  return repository.includes('/') ? `docker.io/${repository}` : `docker.io/library/${repository}`;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One line from the terminal. With echo off (a password) the terminal is put
 * in raw mode, so the typed characters are not shown; backspace works,
 * Ctrl-C ends glass (exit 130), Ctrl-D ends the line.
 */
function readLine(echo: boolean): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    let line = '';
    const raw = !echo && stdin.isTTY;
    if (raw) stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const done = (value: string) => {
      stdin.off('data', onData);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(line);
        if (ch === '\u0003') {
          if (raw) stdin.setRawMode(false);
          process.stdout.write('\n');
          process.exit(130);
        }
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
