/**
 * Real registries for tests and benchmarks: Debian's `docker-registry`
 * (distribution 2.8, the upstream `registry` program) on 127.0.0.1 with a
 * free port and a data directory of its own, and, for the bearer flow, a
 * small token server that behaves as Docker Hub's auth.docker.io.
 *
 *   const reg = await startRegistry();                                   // no auth
 *   const reg = await startRegistry({ auth: 'htpasswd', users: { alice: 'pw' } });
 *   const reg = await startRegistry({ auth: 'token', users: { alice: 'pw' } });
 *   ... `glass pull ${reg.host}/x/y:t` ...
 *   await reg.stop();                                                    // by PID, then its directory
 *
 * Nothing here is a mock: the registry is the real one, and the token
 * server's tokens are real JWTs the registry verifies against the
 * certificate it was configured to trust (rootcertbundle). The token server
 * runs in this process (node:http), so a test can read what was asked of it.
 *
 * No vitest import: bench/pull.mjs uses this file too (through tsx).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';

/**
 * Where fixture directories live. It is the test roots' prefix
 * (test/leaks.ts TEST_ROOT_PREFIX), on purpose: a registry left running or a
 * directory left behind shows up in the suite's leak check, whose process
 * list matches command lines naming that prefix (the registry's names its
 * config file here).
 */
export const REGISTRY_DIR_PREFIX = '/tmp/glass-test-registry-';

export type RegistryAuth = 'none' | 'htpasswd' | 'token';

export interface RegistryOptions {
  /** 'none' (default), 'htpasswd' (Basic auth, bcrypt file) or 'token' (Bearer, with a token server). */
  auth?: RegistryAuth;
  /** User names and passwords (htpasswd and token). */
  users?: Record<string, string>;
  /** Token auth: what this server grants; see TokenServerOptions. */
  token?: Omit<TokenServerOptions, 'users' | 'service'>;
  /** The `service` the registry names in its challenge and the token's audience (token auth). */
  service?: string;
  /** The registry's log level (default info: one line per request, handy when a test fails). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
}

export interface TestRegistry {
  /** "127.0.0.1:PORT": the registry part of an image reference. */
  host: string;
  port: number;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** The fixture's own directory (config, htpasswd, certificate, log, data). */
  dir: string;
  /** The registry's storage root (storage.filesystem.rootdirectory). */
  dataDir: string;
  /** The registry process's id. */
  pid: number;
  auth: RegistryAuth;
  users: Record<string, string>;
  /** Token auth only: the token server (its URL, what it was asked). */
  tokenServer?: TokenServer;
  /** What the registry has logged so far. */
  log(): string;
  /**
   * GET/HEAD/... one registry API path ("/v2/x/y/manifests/t") as a test
   * would with curl, authenticated when the registry needs it (Basic, or a
   * token minted for `user` with the scope the path needs).
   */
  api(path: string, init?: RegistryRequest): Promise<Response>;
  /** The file holding a blob's bytes on the registry's disk (need not exist). */
  blobPath(digest: string): string;
  /**
   * Change a blob's bytes on the registry's disk, as a broken disk or a
   * malicious registry would: 'flip' inverts one byte in the middle (size
   * unchanged, so only the digest check can notice), 'truncate' cuts it in
   * half, 'append' adds bytes. The registry serves whatever the file holds.
   */
  tamperBlob(digest: string, how?: 'flip' | 'truncate' | 'append'): void;
  /** Stop the registry (SIGTERM, then SIGKILL after 5 s: by its PID only), the token server, and remove the directory. */
  stop(): Promise<void>;
}

export interface RegistryRequest {
  method?: string;
  /** Accept header (a manifest's media types). */
  accept?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Which user to authenticate as (default: the first user, or anonymous when there is none). */
  user?: string | null;
}

/** The distribution config for a registry on 127.0.0.1:port storing under dataDir. */
export function registryConfig(port: number, dataDir: string, extra: { auth?: string; logLevel?: string } = {}): string {
  // storage.delete lets tests delete manifests and blobs (DELETE /v2/.../manifests/<digest>);
  // http.secret is set so the registry does not warn that it made up one.
  return `version: 0.1
log:
  level: ${extra.logLevel ?? 'info'}
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: ${dataDir}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: ${randomBytes(16).toString('hex')}
  headers:
    X-Content-Type-Options: [nosniff]
${extra.auth ?? ''}`;
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registries this process started and has not stopped: killed if the process exits first (a crashed test run). */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch { /* gone */ }
  }
});

/**
 * Start a real docker-registry on 127.0.0.1 with a free port and return once
 * `GET /v2/` answers (200, or 401 when it wants credentials). Retries with
 * another port if the one picked was taken meanwhile.
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const authKind = opts.auth ?? 'none';
  const users = opts.users ?? {};
  const dir = mkdtempSync(REGISTRY_DIR_PREFIX);
  let tokenServer: TokenServer | undefined;
  try {
    let authYaml = '';
    if (authKind === 'htpasswd') {
      // bcrypt (-B) is the only hash distribution accepts.
      const lines = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
      writeFileSync(join(dir, 'htpasswd'), lines.join('\n') + '\n', { mode: 0o600 });
      authYaml = `auth:\n  htpasswd:\n    realm: glass-test-registry\n    path: ${join(dir, 'htpasswd')}\n`;
    } else if (authKind === 'token') {
      const service = opts.service ?? 'glass-test-registry';
      tokenServer = await startTokenServer({ ...opts.token, users, service, dir });
      authYaml =
        `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: ${service}\n` +
        `    issuer: ${tokenServer.issuer}\n    rootcertbundle: ${tokenServer.certPath}\n`;
    }
    const dataDir = join(dir, 'data');
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = join(dir, 'config.yml');
      writeFileSync(config, registryConfig(port, dataDir, { auth: authYaml, logLevel: opts.logLevel }));
      const logPath = join(dir, 'registry.log');
      const logFd = openSync(logPath, 'w');
      const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', logFd, logFd] });
      closeSync(logFd);
      live.add(proc);
      let exited: string | undefined;
      proc.on('exit', (code, signal) => {
        exited = `exited ${code ?? signal}`;
        live.delete(proc);
      });
      proc.on('error', (e) => (exited = `could not start: ${e.message}`));
      const log = () => {
        try {
          return readFileSync(logPath, 'utf8');
        } catch {
          return '';
        }
      };
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      let up = false;
      while (!exited && Date.now() < deadline) {
        try {
          const r = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
          await r.arrayBuffer();
          if (r.status === 200 || r.status === 401) {
            up = true;
            break;
          }
        } catch { /* not listening yet */ }
        await sleep(50);
      }
      if (!up) {
        await stopProcess(proc);
        const text = log();
        if (attempt < 3 && /address already in use/.test(text)) continue;
        throw new Error(`docker-registry on ${url} ${exited ?? 'did not answer GET /v2/ within 30 s'}; its log:\n${text.slice(-3000)}`);
      }
      const users0 = Object.keys(users)[0];
      const reg: TestRegistry = {
        host: `127.0.0.1:${port}`,
        port,
        url,
        dir,
        dataDir,
        pid: proc.pid!,
        auth: authKind,
        users,
        tokenServer,
        log,
        async api(path, init = {}) {
          const user = init.user === undefined ? users0 : init.user;
          const headers: Record<string, string> = { ...init.headers };
          if (init.accept) headers.Accept = init.accept;
          if (user && authKind === 'htpasswd') headers.Authorization = `Basic ${Buffer.from(`${user}:${users[user]}`).toString('base64')}`;
          if (authKind === 'token' && tokenServer) {
            const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(path);
            const actions = (init.method ?? 'GET') === 'GET' || init.method === 'HEAD' ? ['pull'] : ['pull', 'push', 'delete'];
            const scopes = m ? [`repository:${m[1]}:${actions.join(',')}`] : [];
            headers.Authorization = `Bearer ${tokenServer.mint(user ?? undefined, scopes)}`;
          }
          return fetch(`${url}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : new Uint8Array(Buffer.from(init.body)) });
        },
        blobPath: (digest) => blobDataPath(dataDir, digest),
        tamperBlob(digest, how = 'flip') {
          tamperFile(blobDataPath(dataDir, digest), how);
        },
        async stop() {
          await stopProcess(proc);
          await tokenServer?.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
      return reg;
    }
  } catch (e) {
    await tokenServer?.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** SIGTERM the process (this one, by its PID), SIGKILL it after 5 s, and wait until it is gone. */
async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const gone = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
  live.delete(proc);
}

/**
 * Where distribution's filesystem driver keeps a blob's bytes:
 * <root>/docker/registry/v2/blobs/sha256/<first two hex>/<hex>/data.
 */
export function blobDataPath(dataDir: string, digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new Error(`not a sha256 digest: ${digest}`);
  return join(dataDir, 'docker/registry/v2/blobs/sha256', m[1].slice(0, 2), m[1], 'data');
}

function tamperFile(path: string, how: 'flip' | 'truncate' | 'append'): void {
  const size = statSync(path).size;
  if (how === 'truncate') {
    const keep = Buffer.alloc(Math.floor(size / 2));
    const fd = openSync(path, 'r');
    readSync(fd, keep, 0, keep.length, 0);
    closeSync(fd);
    writeFileSync(path, keep);
    return;
  }
  const fd = openSync(path, 'r+');
  try {
    if (how === 'append') {
      writeSync(fd, Buffer.from('tampered'), 0, 8, size);
    } else {
      const at = Math.floor(size / 2);
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, at);
      b[0] ^= 0xff;
      writeSync(fd, b, 0, 1, at);
    }
  } finally {
    closeSync(fd);
  }
}

// ---- the token server ------------------------------------------------------

export interface TokenServerOptions {
  /** User names and passwords that may log in. */
  users?: Record<string, string>;
  /** The registry's service name: tokens are issued for it (their `aud`). */
  service?: string;
  /** What an anonymous client may do (default 'pull', as Docker Hub for public images; 'none' refuses every scope). */
  anonymous?: 'none' | 'pull' | 'pull,push';
  /**
   * What a user may do on a repository (default: pull and push on every
   * repository for a known user, `anonymous` for nobody). The token holds
   * the requested actions that are also granted here, as Docker Hub's does.
   */
  grant?: (user: string | undefined, repository: string) => string[];
  /** How the token names its signing key: an x5c certificate chain (default) or a libtrust key id (kid). */
  signing?: 'x5c' | 'kid';
  /** Seconds a token lives (default 300, as Docker Hub). */
  expiresIn?: number;
  /** Directory for the key and certificate (default: a new one, removed on close). */
  dir?: string;
}

/** One request the token server answered; passwords are never kept. */
export interface TokenRequest {
  method: string;
  service?: string;
  scopes: string[];
  /** The user the client authenticated as (Basic, or a refresh token), if any. */
  user?: string;
  /** 'basic', 'refresh_token', 'password' (OAuth2 form) or 'anonymous'. */
  via: string;
  status: number;
  /** The actions granted, per scope asked. */
  granted: { type: string; name: string; actions: string[] }[];
}

export interface TokenServer {
  /** http://127.0.0.1:PORT/token: the realm the registry's challenge names. */
  realm: string;
  /** The issuer (`iss`) the registry is configured to trust. */
  issuer: string;
  service: string;
  /** The certificate the registry trusts (rootcertbundle). */
  certPath: string;
  /** Every request answered so far, in order. */
  requests: TokenRequest[];
  /** A token for `user` with these scopes, as GET /token would give (no HTTP). */
  mint(user: string | undefined, scopes: string[]): string;
  close(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * The id libtrust gives a public key (what a JWT's `kid` names): the SHA-256
 * of the key's DER SubjectPublicKeyInfo, its first 240 bits in base32, in
 * groups of four joined by ':' ("ABCD:EFGH:...", twelve groups).
 */
export function libtrustKeyId(pub: KeyObject): string {
  const der = pub.export({ type: 'spki', format: 'der' });
  const bytes = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let s = '';
  for (let i = 0; i < bits.length; i += 5) s += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return s.match(/.{4}/g)!.join(':');
}

/** Parse "repository:name:pull,push" (the name may hold ':' only before a port, e.g. none here). */
function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

/**
 * A token server as Docker Hub's (auth.docker.io) answers a registry client:
 *
 *   GET /token?service=S&scope=repository:NAME:pull,push[&scope=...][&account=U]
 *       [Authorization: Basic base64(user:password)]
 *   → 200 {"token": JWT, "access_token": JWT, "expires_in": 300, "issued_at": "..."}
 *   → 401 {"details":"incorrect username or password"} for wrong credentials
 *
 * and the OAuth2 form Docker uses with an identity token:
 *
 *   POST /token  grant_type=password&username=U&password=P&service=S&scope=...&client_id=...[&access_type=offline]
 *   POST /token  grant_type=refresh_token&refresh_token=R&service=S&scope=...&client_id=...
 *   → 200 {"access_token": JWT, "expires_in", "issued_at", "scope", "refresh_token"?}
 *
 * The JWT is signed RS256 with a key whose self-signed certificate the
 * registry trusts (its rootcertbundle); its header carries that certificate
 * (x5c, which distribution checks against the bundle) or the key's libtrust
 * id (kid). Its claims: iss, sub, aud (the service), exp, nbf, iat, jti, and
 * `access`: the repositories and actions granted.
 */
export async function startTokenServer(opts: TokenServerOptions = {}): Promise<TokenServer> {
  const users = opts.users ?? {};
  const service = opts.service ?? 'glass-test-registry';
  const anonymous = opts.anonymous ?? 'pull';
  const expiresIn = opts.expiresIn ?? 300;
  const ownDir = !opts.dir;
  const dir = opts.dir ?? mkdtempSync(REGISTRY_DIR_PREFIX);
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  // A self-signed certificate: the registry's whole trust (rootcertbundle) is this one certificate.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=glass test token issuer'], { stdio: 'ignore' });
  const key = createPrivateKey(readFileSync(keyPath));
  const cert = new X509Certificate(readFileSync(certPath));
  const issuer = 'glass-test-token-issuer';
  const header =
    opts.signing === 'kid'
      ? { typ: 'JWT', alg: 'RS256', kid: libtrustKeyId(createPublicKey(key)) }
      : { typ: 'JWT', alg: 'RS256', x5c: [cert.raw.toString('base64')] };
  const refreshTokens = new Map<string, string>(); // refresh token → user
  const grant =
    opts.grant ??
    ((user: string | undefined) => (user !== undefined ? ['pull', 'push'] : anonymous === 'none' ? [] : anonymous.split(',')));

  const access = (user: string | undefined, scopes: string[]) =>
    scopes
      .map(parseScope)
      .filter((s): s is NonNullable<typeof s> => !!s && s.type === 'repository')
      .map((s) => ({ type: s.type, name: s.name, actions: s.actions.filter((a) => grant(user, s.name).includes(a)) }));

  const mint = (user: string | undefined, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + expiresIn,
      nbf: now - 1,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access: access(user, scopes),
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
  };

  const requests: TokenRequest[] = [];
  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...extra });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/token') return send(res, 404, { details: 'not found' });
    let params = u.searchParams;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      params = new URLSearchParams(Buffer.concat(chunks).toString());
    } else if (req.method !== 'GET') {
      return send(res, 405, { details: 'method not allowed' });
    }
    const scopes = params.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const rec: TokenRequest = { method: req.method!, service: params.get('service') ?? undefined, scopes, via: 'anonymous', status: 200, granted: [] };
    requests.push(rec);
    const refuse = (status: number, details: string) => {
      rec.status = status;
      send(res, status, { details }, status === 401 ? { 'WWW-Authenticate': 'Basic realm="glass test token server"' } : {});
    };
    if (rec.service !== undefined && rec.service !== service) return refuse(400, `unknown service ${rec.service}`);

    let user: string | undefined;
    let refresh: string | undefined;
    if (req.method === 'POST') {
      const grantType = params.get('grant_type');
      if (grantType === 'password') {
        rec.via = 'password';
        const name = params.get('username') ?? '';
        if (!(name in users) || users[name] !== params.get('password')) return refuse(401, 'incorrect username or password');
        user = name;
        if (params.get('access_type') === 'offline') {
          refresh = randomBytes(24).toString('base64url');
          refreshTokens.set(refresh, name);
        }
      } else if (grantType === 'refresh_token') {
        rec.via = 'refresh_token';
        user = refreshTokens.get(params.get('refresh_token') ?? '');
        if (user === undefined) return refuse(401, 'invalid refresh token');
      } else {
        return refuse(400, `unsupported grant_type ${grantType}`);
      }
    } else {
      const authz = req.headers.authorization;
      if (authz) {
        rec.via = 'basic';
        const m = /^Basic\s+(\S+)$/i.exec(authz);
        const decoded = m ? Buffer.from(m[1], 'base64').toString() : '';
        const colon = decoded.indexOf(':');
        const name = colon < 0 ? '' : decoded.slice(0, colon);
        if (colon < 0 || !(name in users) || users[name] !== decoded.slice(colon + 1)) return refuse(401, 'incorrect username or password');
        user = name;
      }
    }
    rec.user = user;
    const token = mint(user, scopes);
    rec.granted = access(user, scopes);
    const issuedAt = new Date().toISOString();
    if (req.method === 'POST') {
      send(res, 200, { access_token: token, expires_in: expiresIn, issued_at: issuedAt, scope: scopes.join(' '), ...(refresh ? { refresh_token: refresh } : {}) });
    } else {
      send(res, 200, { token, access_token: token, expires_in: expiresIn, issued_at: issuedAt });
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      if (!res.headersSent) send(res, 500, { details: e.message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    issuer,
    service,
    certPath,
    requests,
    mint,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
