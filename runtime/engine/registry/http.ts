import { report, silentTracer, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import { basicAuthorization, errorDetail, fetchToken, hasPassword, REDACTED, type RegistryAuth } from './auth.js';
import { parseChallenges, pickChallenge, repositoryScope } from './challenge.js';
import { allowsPlainHttp } from './name.js';

/**
 * An HTTP client for one repository on one registry (the OCI distribution
 * API, /v2/...). It handles what every request needs:
 *
 *  - the scheme: HTTPS, except plain HTTP for loopback and insecure registries
 *    (name.ts, allowsPlainHttp);
 *  - authentication: a request goes out with what worked last time; on 401 the
 *    WWW-Authenticate challenge says how to authenticate (a Bearer token from
 *    a token server, or Basic), and the request is repeated once;
 *  - redirects: blob downloads are often redirected to a CDN (Docker Hub
 *    sends them to Cloudflare); the Authorization header is only ever sent
 *    to the registry's own host, never to the host redirected to;
 *  - errors: a connection failure or a registry error body becomes one line
 *    a user can act on, shaped like Docker's ("dial tcp ...: connection refused",
 *    "manifest unknown: manifest unknown").
 */
export interface RegistryClientOptions {
  /** host[:port] to connect to ("registry-1.docker.io", "127.0.0.1:5000"). */
  host: string;
  /** Repository path on the registry ("library/alpine"). */
  path: string;
  /** The actions the token is asked for: ["pull"] (default) or ["pull", "push"]. */
  actions?: string[];
  /** More scopes for the token, e.g. pull on another repository to mount a blob from it. */
  extraScopes?: string[];
  auth?: RegistryAuth;
  /** Registries (host[:port] or CIDR) that may be spoken to over plain HTTP. */
  insecureRegistries?: readonly string[];
  trace?: Tracer;
  signal?: AbortSignal;
}

export interface RegistryRequest {
  method?: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: RequestInit['body'];
  /** Needed by fetch for a stream body. */
  duplex?: 'half';
  /** Follow redirects (to a CDN for blobs). Default true. */
  follow?: boolean;
}

const USER_AGENT = 'glass/0.1 (a see-through container runtime; OCI distribution client)';
const MAX_REDIRECTS = 10;

export class RegistryClient {
  readonly scheme: 'http' | 'https';
  private authorization?: string;
  private readonly trace: Tracer;

  constructor(readonly opts: RegistryClientOptions) {
    this.scheme = allowsPlainHttp(opts.host, opts.insecureRegistries) ? 'http' : 'https';
    this.trace = opts.trace ?? silentTracer;
  }

  /** The registry's base: "https://registry-1.docker.io". */
  get base(): string {
    return `${this.scheme}://${this.opts.host}`;
  }

  /** A URL of this repository's API: repoUrl("manifests/latest") -> https://host/v2/library/alpine/manifests/latest. */
  repoUrl(rest: string): string {
    return `${this.base}/v2/${this.opts.path}/${rest}`;
  }

  /** The header a trace shows for this client's authorization (never the secret itself). */
  shownAuthorization(): string | undefined {
    if (!this.authorization) return undefined;
    return `Authorization: ${this.authorization.split(' ')[0]} ${REDACTED}`;
  }

  /**
   * Send a request to the registry (a full URL, or a path under /v2/<repo>/),
   * authenticating on a 401 challenge and following redirects. Returns the
   * response whatever its status (the caller decides what a 404 means), except
   * a 401 that persists after authenticating, which throws REGISTRY_UNAUTHORIZED.
   */
  async request(urlOrRest: string, req: RegistryRequest = {}): Promise<Response> {
    const url = /^https?:\/\//.test(urlOrRest) ? urlOrRest : this.repoUrl(urlOrRest);
    let res = await this.send(url, req);
    if (res.status !== 401) return res;
    const challenge = pickChallenge(parseChallenges(res.headers.get('www-authenticate')));
    const firstText = await res.text().catch(() => '');
    if (!challenge) throw unauthorized(req.method ?? 'GET', url, firstText, !!this.opts.auth);
    if (challenge.scheme === 'basic') {
      if (!hasPassword(this.opts.auth)) throw new GlassError('REGISTRY_UNAUTHORIZED', `${verb(req.method)} "${url}": no basic auth credentials`);
      this.authorization = basicAuthorization(this.opts.auth);
      report(this.trace, {
        title: `Authenticate to ${this.opts.host} with a user name and password (Basic)`,
        why: 'The registry answered 401 with a Basic challenge (htpasswd): every request must carry the credentials, base64-encoded (not encrypted: only ever send them over HTTPS, or to a registry on this machine).',
        command: `curl -u '${this.opts.auth.username}:${REDACTED}' ${url}`,
      });
    } else {
      const scopes = [repositoryScope(this.opts.path, this.opts.actions ?? ['pull']), ...(this.opts.extraScopes ?? [])];
      const token = await fetchToken({
        challenge,
        scopes,
        auth: this.opts.auth,
        trace: this.trace,
        signal: this.opts.signal,
        fetch: (u, init) => this.fetchOnce(u, { ...init, redirect: 'follow' }),
      });
      this.authorization = `Bearer ${token}`;
    }
    res = await this.send(url, req);
    if (res.status === 401) {
      const text = await res.text().catch(() => '');
      throw unauthorized(req.method ?? 'GET', url, text, !!this.opts.auth);
    }
    return res;
  }

  /** One request and its redirects; Authorization goes to the registry's host only. */
  private async send(url: string, req: RegistryRequest): Promise<Response> {
    const origin = new URL(url).host;
    let current = url;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...req.headers };
      if (this.authorization && new URL(current).host === origin) headers.authorization = this.authorization;
      const res = await this.fetchOnce(current, {
        method: req.method ?? 'GET',
        headers,
        body: hop === 0 ? req.body : undefined,
        ...(req.duplex ? { duplex: req.duplex } : {}),
        redirect: 'manual',
      } as RequestInit);
      const location = res.headers.get('location');
      if (req.follow === false || ![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      if (hop >= MAX_REDIRECTS) throw new GlassError('REGISTRY_ERROR', `${verb(req.method)} "${url}": stopped after ${MAX_REDIRECTS} redirects`);
      await res.body?.cancel().catch(() => undefined);
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new GlassError('REGISTRY_ERROR', `${verb(req.method)} "${url}": redirected to a non-HTTP URL`);
      // A registry on HTTPS may not downgrade a download to plain HTTP elsewhere.
      if (next.protocol === 'http:' && new URL(current).protocol === 'https:' && !allowsPlainHttp(next.host, this.opts.insecureRegistries)) {
        throw new GlassError('REGISTRY_ERROR', `${verb(req.method)} "${url}": the registry redirected to plain HTTP (${next.host}); refusing to download over an insecure connection`);
      }
      current = next.toString();
    }
  }

  /** fetch, with network errors as Docker words them ("dial tcp 127.0.0.1:5001: connect: connection refused"). */
  async fetchOnce(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: this.opts.signal });
    } catch (e) {
      throw networkError(init.method ?? 'GET', url, e, this.opts.signal);
    }
  }
}

function verb(method?: string): string {
  const m = (method ?? 'GET').toLowerCase();
  return m.charAt(0).toUpperCase() + m.slice(1);
}

function unauthorized(method: string, url: string, body: string, hadAuth: boolean): GlassError {
  const detail = errorDetail(body) ?? (hadAuth ? 'incorrect username or password' : 'authentication required');
  return new GlassError('REGISTRY_UNAUTHORIZED', `${verb(method)} "${url}": unauthorized: ${detail}`);
}

/** A fetch failure as one line naming the host, the way Go's net package (and so Docker) says it. */
export function networkError(method: string, url: string, e: unknown, signal?: AbortSignal): GlassError {
  if (signal?.aborted || (e as Error)?.name === 'AbortError') return new GlassError('REGISTRY_ERROR', `${verb(method)} "${url}": the pull was cancelled`);
  const cause = ((e as { cause?: unknown })?.cause ?? e) as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const host = new URL(url).host;
  const code = cause?.code ?? '';
  const what = `${verb(method)} "${url}"`;
  const dial = `dial tcp ${cause?.address ? `${cause.address.includes(':') ? `[${cause.address}]` : cause.address}:${cause.port ?? ''}` : host}`;
  const detail: Record<string, string> = {
    ECONNREFUSED: `${dial}: connect: connection refused`,
    EHOSTUNREACH: `${dial}: connect: no route to host`,
    ENETUNREACH: `${dial}: connect: network is unreachable`,
    ETIMEDOUT: `${dial}: i/o timeout`,
    ECONNRESET: `read tcp ${host}: connection reset by peer`,
    ENOTFOUND: `dial tcp: lookup ${cause?.hostname ?? host}: no such host`,
    EAI_AGAIN: `dial tcp: lookup ${cause?.hostname ?? host}: temporary failure in name resolution (is the network up?)`,
    UND_ERR_CONNECT_TIMEOUT: `${dial}: i/o timeout`,
    UND_ERR_SOCKET: `read tcp ${host}: the connection closed unexpectedly`,
    EPROTO: `tls: the server at ${host} did not answer TLS (is it a plain-HTTP registry? list it under "insecure-registries" in config.json)`,
    ERR_SSL_WRONG_VERSION_NUMBER: `tls: the server at ${host} did not answer TLS (is it a plain-HTTP registry? list it under "insecure-registries" in config.json)`,
  };
  const msg =
    detail[code] ??
    // Node's fetch (the WHATWG fetch standard) refuses a few well-known ports (6000, 6665-6669, 10080...).
    (cause?.message === 'bad port' ? `port ${new URL(url).port} is one that Node's fetch refuses to connect to (a "bad port" of the fetch standard): run the registry on another port` : undefined) ??
    (/certificate|self.signed|CERT_|UNABLE_TO_VERIFY/i.test(`${code} ${cause?.message}`)
      ? `tls: failed to verify certificate of ${host}: ${cause?.message ?? code}`
      : `${cause?.message ?? String(e)}`);
  return new GlassError('REGISTRY_ERROR', `${what}: ${msg}`);
}

/**
 * A registry error reply as Docker prints it: each error of the body
 * ({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}) as
 * "manifest unknown: manifest unknown" (its code lowercased, then its message).
 */
export async function registryErrorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    if (body.errors?.length) {
      return body.errors.map((e) => `${(e.code ?? 'unknown').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`.trim()).join('; ');
    }
  } catch { /* not JSON */ }
  const line = text.trim().split('\n')[0];
  return line ? `${res.status} ${res.statusText}: ${line.slice(0, 200)}` : `${res.status} ${res.statusText}`;
}
