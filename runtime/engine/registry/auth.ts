import { report, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import type { Challenge } from './challenge.js';

/**
 * Credentials for one registry, as the client passes them to the engine
 * (Docker's CLI sends them as X-Registry-Auth). Never printed, logged, traced
 * or recorded in events: the trace shows "<redacted>" in their place.
 */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token some registries hand out at login instead of keeping the password. */
  identitytoken?: string;
}

/** Whether `auth` holds a user name and password (what Basic auth and a token GET need). */
export function hasPassword(auth: RegistryAuth | undefined): auth is RegistryAuth & { username: string; password: string } {
  return !!auth && typeof auth.username === 'string' && typeof auth.password === 'string' && auth.username !== '';
}

/** "Authorization: Basic base64(user:password)" (RFC 7617). */
export function basicAuthorization(auth: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}

/** Shown in the trace instead of a header that carries a secret. */
export const REDACTED = '<redacted>';

export interface TokenRequest {
  challenge: Challenge;
  /** The scopes to ask for: "repository:library/alpine:pull". */
  scopes: string[];
  auth?: RegistryAuth;
  trace: Tracer;
  signal?: AbortSignal;
  /** Performs the HTTP request (the registry client's fetch, with its error mapping). */
  fetch: (url: string, init: RequestInit) => Promise<Response>;
}

/**
 * Docker's token flow (distribution's "Token Authentication Specification"):
 *
 *   GET <realm>?service=<service>&scope=repository:<path>:pull
 *
 * anonymously, or with "Authorization: Basic" when the user logged in; the
 * token server answers {"token": "...", "expires_in": 300} (some servers say
 * "access_token"). With an identity token (OAuth2 refresh token) the request
 * is a POST of grant_type=refresh_token instead. Returns the bearer token.
 */
export async function fetchToken(req: TokenRequest): Promise<string> {
  const { challenge, scopes, auth, trace, signal } = req;
  const realm = challenge.params.realm;
  if (!realm) throw new GlassError('REGISTRY_ERROR', 'the registry asked for a token but named no token server (no realm in its WWW-Authenticate header)');
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new GlassError('REGISTRY_ERROR', `the registry named an invalid token server: ${JSON.stringify(realm)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new GlassError('REGISTRY_ERROR', `the registry named a token server that is not http(s): ${realm}`);
  }
  const service = challenge.params.service;
  let init: RequestInit;
  let shown: string;
  if (auth?.identitytoken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identitytoken, client_id: 'glass' });
    if (service) form.set('service', service);
    if (scopes.length) form.set('scope', scopes.join(' '));
    init = { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal };
    const shownForm = new URLSearchParams(form);
    shownForm.set('refresh_token', REDACTED);
    shown = `curl -d '${shownForm.toString()}' '${url.toString()}'`;
  } else {
    if (service) url.searchParams.set('service', service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (hasPassword(auth)) {
      url.searchParams.set('account', auth.username);
      headers.authorization = basicAuthorization(auth);
    }
    init = { method: 'GET', headers, signal };
    shown = `curl ${hasPassword(auth) ? `-u '${auth.username}:${REDACTED}' ` : ''}'${url.toString()}'`;
  }
  report(trace, {
    title: `Ask the token server for a token${auth ? ' (with your credentials)' : ' (anonymously)'}: ${scopes.join(' ') || 'no scope'}`,
    why: 'The registry answered 401 with a Bearer challenge: it trusts tokens issued by this token server. A token is short-lived and scoped to one repository and the actions asked for (pull, push), so the password itself never reaches the registry.',
    command: shown,
  });
  const res = await req.fetch(url.toString(), init);
  const text = await res.text();
  if (res.status === 401 || res.status === 403) {
    const detail = errorDetail(text) ?? (auth ? 'incorrect username or password' : 'authentication required');
    throw new GlassError('REGISTRY_UNAUTHORIZED', `unauthorized: ${detail}`);
  }
  if (!res.ok) throw new GlassError('REGISTRY_ERROR', `the token server ${url.host} answered ${res.status} ${res.statusText}${errorDetail(text) ? `: ${errorDetail(text)}` : ''}`);
  let body: { token?: unknown; access_token?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new GlassError('REGISTRY_ERROR', `the token server ${url.host} answered with something that is not JSON`);
  }
  const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
  if (!token) throw new GlassError('REGISTRY_ERROR', `the token server ${url.host} answered without a token`);
  return token;
}

/** The message of a registry or token server error body ({"errors":[{code,message}]} or {"details": ...}), if any. */
export function errorDetail(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[]; details?: string; message?: string; error?: string };
    const first = body.errors?.[0];
    if (first?.message) return first.message;
    return body.details ?? body.message ?? body.error;
  } catch {
    const line = text.trim().split('\n')[0];
    return line ? line.slice(0, 200) : undefined;
  }
}
