import { chownSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GlassError } from '../errors.js';
import { fullyQualifiedName, parseReference } from '../images/reference.js';

/*
 * The client configuration file: where `glass login` keeps registry
 * credentials, in the shape Docker's ~/.docker/config.json uses, so a learner
 * who has seen one recognises the other:
 *
 *   {
 *     "auths": {
 *       "https://index.docker.io/v1/": { "auth": "bWU6c2VjcmV0" },
 *       "127.0.0.1:5000":              { "auth": "base64(user:password)" }
 *     },
 *     "insecure-registries": ["myhost:5000"]
 *   }
 *
 * "auth" is base64, which is an encoding, not encryption: anyone who can read
 * the file can read the password. That is why the file is 0600 and owned by
 * the user who ran the command (under sudo, the user behind sudo, not root),
 * and why `glass login` warns that the password is stored unencrypted.
 *
 * Credentials are a client matter, as in Docker (the CLI reads this file and
 * sends the one credential a pull or push needs to the daemon). The engine's
 * pull and push take `auth` as an argument and never read this file.
 */

/** The key Docker Hub's credentials are stored under (Docker's historical "index server" address). */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

/** One registry's credentials: a user name and password, or an identity (refresh) token. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token some registries hand out instead of keeping the password. */
  identitytoken?: string;
}

/** One entry of `auths`, as stored. */
export interface AuthEntry {
  /** base64("username:password") */
  auth?: string;
  identitytoken?: string;
  [other: string]: unknown;
}

/** The parts of config.json glass reads; every other key is kept as it is on rewrite. */
export interface ClientConfig {
  auths?: Record<string, AuthEntry>;
  'insecure-registries'?: string[];
  [other: string]: unknown;
}

/** Where the config file lives, and for whom it is written. */
interface Invoker {
  home: string;
  /** Set under sudo: the invoking user's ids, so files we create belong to them. */
  uid?: number;
  gid?: number;
}

/** The user who ran glass: under sudo, $SUDO_USER (found in /etc/passwd), else the current user. */
function invoker(env: NodeJS.ProcessEnv = process.env): Invoker {
  const sudoUser = env.SUDO_USER;
  if (sudoUser && sudoUser !== 'root' && process.getuid?.() === 0) {
    const uid = Number(env.SUDO_UID);
    const gid = Number(env.SUDO_GID);
    const home = passwdHome(sudoUser) ?? `/home/${sudoUser}`;
    return { home, uid: Number.isInteger(uid) ? uid : undefined, gid: Number.isInteger(gid) ? gid : undefined };
  }
  return { home: env.HOME || homedir() };
}

/** The home directory of `user` from /etc/passwd (name:x:uid:gid:gecos:home:shell). */
function passwdHome(user: string): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === user && f[5]) return f[5];
    }
  } catch {
    /* no /etc/passwd: fall back to /home/<user> */
  }
  return undefined;
}

/** The client config directory: $GLASS_CONFIG (like DOCKER_CONFIG), else ~/.glass of the invoking user. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GLASS_CONFIG) return env.GLASS_CONFIG;
  return join(invoker(env).home, '.glass');
}

/** The config file itself: <configDir>/config.json. */
export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

function damaged(file: string, detail: string): GlassError {
  // Docker: "Error loading config file: /root/.docker/config.json: invalid character ..."
  return new GlassError('CONFIG_FILE', `Error loading config file: ${file}: ${detail} (fix or remove the file)`, 1);
}

/**
 * Read config.json; a missing file is an empty config. A file that is not a
 * JSON object, or whose `auths` / `insecure-registries` have the wrong shape,
 * is an error naming the file: glass never guesses at, or overwrites, a
 * damaged file (it may hold other tools' settings).
 */
export function readClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const file = configFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw damaged(file, (e as Error).message);
  }
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw damaged(file, (e as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw damaged(file, 'not a JSON object');
  const config = value as ClientConfig;
  const auths = config.auths;
  if (auths !== undefined) {
    if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) throw damaged(file, '"auths" is not an object');
    for (const [key, entry] of Object.entries(auths)) {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw damaged(file, `"auths"."${key}" is not an object`);
      if (entry.auth !== undefined && typeof entry.auth !== 'string') throw damaged(file, `"auths"."${key}".auth is not a string`);
    }
  }
  const insecure = config['insecure-registries'];
  if (insecure !== undefined && (!Array.isArray(insecure) || insecure.some((x) => typeof x !== 'string'))) {
    throw damaged(file, '"insecure-registries" is not a list of strings');
  }
  return config;
}

/**
 * The key credentials for `server` are stored under, as Docker computes it:
 * Docker Hub (no server, "docker.io", "index.docker.io", "registry-1.docker.io",
 * or the index address itself) is "https://index.docker.io/v1/"; any other
 * server is its host[:port], without scheme or path ("http://h:5000/v2/" → "h:5000").
 */
export function registryKeyOfServer(server?: string): string {
  if (!server) return DOCKER_HUB_KEY;
  const host = hostOf(server);
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io') return DOCKER_HUB_KEY;
  return host;
}

/** "https://h:5000/v2/" -> "h:5000"; "h:5000" -> "h:5000". */
function hostOf(address: string): string {
  const noScheme = address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  return noScheme.split('/')[0]!.toLowerCase();
}

/**
 * The credentials key for an image reference: "alpine", "me/app",
 * "docker.io/library/alpine" → Docker Hub's key; "127.0.0.1:5000/x/y:t" →
 * "127.0.0.1:5000".
 */
export function registryKeyOf(reference: string): string {
  const { repository } = parseReference(reference);
  const domain = fullyQualifiedName(repository).split('/')[0]!;
  return registryKeyOfServer(domain);
}

function decodeAuth(key: string, entry: AuthEntry): RegistryCredentials | undefined {
  const creds: RegistryCredentials = {};
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw damaged(configFile(), `"auths"."${key}".auth is not base64("user:password")`);
    creds.username = decoded.slice(0, colon);
    creds.password = decoded.slice(colon + 1);
  }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken) creds.identitytoken = entry.identitytoken;
  return creds.username !== undefined || creds.identitytoken !== undefined ? creds : undefined;
}

/**
 * The stored credentials for a registry key (see registryKeyOf), or undefined.
 * Like Docker, an entry stored under a URL form of the same host
 * ("http://h:5000", "https://h:5000/v2/") matches too.
 */
export function credentialsFor(registryKey: string, env: NodeJS.ProcessEnv = process.env): RegistryCredentials | undefined {
  const auths = readClientConfig(env).auths ?? {};
  const exact = auths[registryKey];
  if (exact) return decodeAuth(registryKey, exact);
  const wanted = registryKey === DOCKER_HUB_KEY ? DOCKER_HUB_KEY : hostOf(registryKey);
  for (const [key, entry] of Object.entries(auths)) {
    if (registryKeyOfServer(key) === wanted) return decodeAuth(key, entry);
  }
  return undefined;
}

/**
 * Write config.json atomically (temp file in the same directory, fsync,
 * rename), mode 0600, owned by the invoking user under sudo. The directory is
 * created 0700 if missing.
 */
function writeClientConfig(config: ClientConfig, env: NodeJS.ProcessEnv = process.env): string {
  const file = configFile(env);
  const dir = dirname(file);
  const who = env.GLASS_CONFIG ? invokerIdsOnly(env) : invoker(env);
  let created = false;
  try {
    statSync(dir);
  } catch {
    try {
      // $GLASS_CONFIG may name a path to make whole; ~/.glass only inside a home that exists.
      mkdirSync(dir, { recursive: !!env.GLASS_CONFIG, mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      throw new GlassError('CONFIG_FILE', `cannot create ${dir}: ${dirname(dir)} does not exist (set GLASS_CONFIG to a directory for glass's config)`, 1);
    }
    created = true;
  }
  if (created && who.uid !== undefined) chownSync(dir, who.uid, who.gid ?? who.uid);
  const tmp = join(dir, `.config.json.${randomBytes(6).toString('hex')}.tmp`);
  // Created 0600 from the start (O_EXCL): the password is never readable by others, not even for a moment.
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(config, null, '\t') + '\n');
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    if (who.uid !== undefined) chownSync(tmp, who.uid, who.gid ?? who.uid);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  return file;
}

/** Under sudo with $GLASS_CONFIG set, the file still belongs to the invoking user. */
function invokerIdsOnly(env: NodeJS.ProcessEnv): Invoker {
  const i = invoker(env);
  return { home: '', uid: i.uid, gid: i.gid };
}

/**
 * Store credentials for `registryKey` (base64 "user:password" in `auths`),
 * keeping every other key of the file. Returns the file's path (login's
 * warning names it). Throws CONFIG_FILE if the existing file is damaged.
 */
export function storeCredentials(registryKey: string, creds: RegistryCredentials, env: NodeJS.ProcessEnv = process.env): string {
  const config = readClientConfig(env);
  const entry: AuthEntry = {};
  if (creds.username !== undefined) {
    if (creds.username.includes(':')) throw new GlassError('INVALID_ARGUMENT', 'a user name cannot contain ":"', 1);
    entry.auth = Buffer.from(`${creds.username}:${creds.password ?? ''}`, 'utf8').toString('base64');
  }
  if (creds.identitytoken) entry.identitytoken = creds.identitytoken;
  config.auths = { ...(config.auths ?? {}), [registryKey]: entry };
  return writeClientConfig(config, env);
}

/**
 * Remove the credentials for `registryKey` (and URL forms of the same host).
 * Returns false when there were none (logout then says "Not logged in to ...").
 */
export function eraseCredentials(registryKey: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const config = readClientConfig(env);
  const auths = { ...(config.auths ?? {}) };
  const wanted = registryKey === DOCKER_HUB_KEY ? DOCKER_HUB_KEY : hostOf(registryKey);
  const keys = Object.keys(auths).filter((k) => k === registryKey || registryKeyOfServer(k) === wanted);
  if (keys.length === 0) return false;
  for (const k of keys) delete auths[k];
  config.auths = auths;
  writeClientConfig(config, env);
  return true;
}

/**
 * Registries the user allows over plain HTTP: config.json "insecure-registries",
 * entries as written ("host:port", "host", or a CIDR like "10.0.0.0/8", as in
 * Docker's daemon.json). Loopback registries are always allowed (the registry
 * client's allowsPlainHttp decides, in name.ts).
 */
export function insecureRegistries(env: NodeJS.ProcessEnv = process.env): string[] {
  return (readClientConfig(env)['insecure-registries'] ?? []).map((h) => h.trim()).filter((h) => h !== '');
}
