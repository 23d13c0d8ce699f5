import { STATUS_CODES } from 'node:http';
import { report, silentTracer, type Tracer } from '../../kernel/step.js';
import { GlassError, isGlassError } from '../errors.js';
import { basicAuthorization, fetchToken, hasPassword, REDACTED, type RegistryAuth } from './auth.js';
import { parseChallenges, pickChallenge } from './challenge.js';
import { DOCKER_HUB_KEY, registryKeyOfServer } from './credentials.js';
import { RegistryClient } from './http.js';
import { DOCKER_HUB_HOST } from './name.js';

/*
 * `docker login` checks credentials against the registry before it keeps
 * them (the daemon's POST /auth). The registry's API root, GET /v2/, is the
 * door every client knocks on first:
 *
 *   200            the registry lets anyone in: nothing to check
 *   401 + WWW-Authenticate: Basic realm=...
 *                  it wants the user name and password on every request
 *                  (an htpasswd file): ask again with "Authorization: Basic"
 *   401 + WWW-Authenticate: Bearer realm=...,service=...
 *                  it trusts a token server (Docker Hub, ghcr.io): ask that
 *                  server for a token with the credentials, then knock again
 *                  with "Authorization: Bearer <token>"
 *
 * Only when the registry says 200 are the credentials good. The password
 * travels to the registry or its token server only; it is never traced.
 */

export interface LoginResult {
  /** "Login Succeeded", as Docker's /auth answers. */
  status: string;
  /** The key the credentials belong under in config.json ("127.0.0.1:5000", Docker Hub's URL). */
  serverAddress: string;
}

export interface LoginOptions {
  insecureRegistries?: readonly string[];
  trace?: Tracer;
  signal?: AbortSignal;
}

/** The host[:port] whose /v2/ answers for a login server ("docker.io" and Docker Hub's key → registry-1.docker.io). */
export function loginHost(server?: string): string {
  const key = registryKeyOfServer(server);
  return key === DOCKER_HUB_KEY ? DOCKER_HUB_HOST : key;
}

/**
 * Check `auth` against the registry `server` (a host[:port], a URL, or
 * undefined for Docker Hub). Resolves when the registry accepts it; throws
 * REGISTRY_UNAUTHORIZED with Docker's wording when it does not, or
 * REGISTRY_ERROR when the registry cannot be reached.
 */
export async function registryLogin(server: string | undefined, auth: RegistryAuth, opts: LoginOptions = {}): Promise<LoginResult> {
  const trace = opts.trace ?? silentTracer;
  const serverAddress = registryKeyOfServer(server);
  const host = loginHost(server);
  // The registry client chooses the scheme (plain HTTP for loopback and
  // insecure registries only) and words network errors as Docker does.
  const client = new RegistryClient({ host, path: '', insecureRegistries: opts.insecureRegistries, trace, signal: opts.signal });
  const url = `${client.base}/v2/`;
  const get = (authorization?: string) =>
    client.fetchOnce(url, { method: 'GET', headers: authorization ? { authorization } : {}, redirect: 'follow' });
  const failed = (res: Response) =>
    new GlassError('REGISTRY_UNAUTHORIZED', `login attempt to ${url} failed with status: ${res.status} ${STATUS_CODES[res.status] ?? res.statusText}`, 1);

  report(trace, {
    title: `Knock on the registry's API root: GET ${url}`,
    why: 'Every registry answers /v2/: 200 means it lets anyone in; 401 comes with a WWW-Authenticate header saying how to prove who you are (Basic: a password on every request; Bearer: a token from a token server).',
    command: `curl -i ${url}`,
  });
  const first = await get();
  await first.body?.cancel().catch(() => undefined);
  if (first.status === 200) return { status: 'Login Succeeded', serverAddress };
  if (first.status !== 401) throw failed(first);

  const challenge = pickChallenge(parseChallenges(first.headers.get('www-authenticate')));
  if (!challenge) throw failed(first);
  if (!hasPassword(auth)) throw new GlassError('REGISTRY_UNAUTHORIZED', `Get "${url}": unauthorized: a user name and password are needed`, 1);

  let authorization: string;
  if (challenge.scheme === 'basic') {
    report(trace, {
      title: `Try the user name and password on ${host} (Basic auth)`,
      why: 'The registry answered 401 with a Basic challenge: it checks "user:password" (base64, which is an encoding, not encryption) against its htpasswd file on every request.',
      command: `curl -i -u '${auth.username}:${REDACTED}' ${url}`,
    });
    authorization = basicAuthorization(auth);
  } else {
    // Docker asks for a token with no scope at login: the credentials are what is being checked.
    let token: string;
    try {
      token = await fetchToken({ challenge, scopes: [], auth, trace, signal: opts.signal, fetch: (u, init) => client.fetchOnce(u, init) });
    } catch (e) {
      if (isGlassError(e) && e.code === 'REGISTRY_UNAUTHORIZED') throw new GlassError('REGISTRY_UNAUTHORIZED', `Get "${url}": ${e.message}`, 1);
      throw e;
    }
    report(trace, {
      title: `Knock again with the token: GET ${url}`,
      why: 'The token server accepted the credentials and issued a token; the registry checks the token\'s signature (it trusts that server\'s certificate) and lets the request in.',
      command: `curl -i -H 'Authorization: Bearer ${REDACTED}' ${url}`,
    });
    authorization = `Bearer ${token}`;
  }
  const second = await get(authorization);
  await second.body?.cancel().catch(() => undefined);
  if (second.status !== 200) throw failed(second);
  return { status: 'Login Succeeded', serverAddress };
}
