import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Step } from '../../runtime/kernel/step.js';
import { RegistryClient } from '../../runtime/engine/registry/http.js';

/**
 * The registry HTTP client against small servers on loopback that answer as
 * a registry, its token server and a CDN would: what the client sends where
 * (the real registry, in test/integration/pull.test.ts, never redirects).
 */

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function serve(handler: (req: { url: string; headers: IncomingHttpHeaders }, res: import('node:http').ServerResponse) => void): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    handler({ url: req.url ?? '', headers: req.headers }, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, seen };
}

describe('registry HTTP client', () => {
  it('gets a token (access_token too) on a Bearer challenge, retries, and follows a blob redirect without Authorization', async () => {
    const cdn = await serve((_req, res) => res.end('blob bytes'));
    const tokens = await serve((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: req.headers.authorization ? 'tok-user' : 'tok-anon', expires_in: 300 }));
    });
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== 'Bearer tok-user') {
        res.statusCode = 401;
        res.setHeader('www-authenticate', `Bearer realm="http://127.0.0.1:${tokens.port}/token",service="test-registry",scope="repository:me/app:pull"`);
        return res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      }
      // The CDN is another host ("localhost" vs "127.0.0.1"): it must not see the registry's token.
      res.statusCode = 307;
      res.setHeader('location', `http://localhost:${cdn.port}/blob?signed=1`);
      res.end();
    });
    const steps: Step[] = [];
    const client = new RegistryClient({ host: `127.0.0.1:${registry.port}`, path: 'me/app', auth: { username: 'me', password: 'secret-pw' }, trace: (s) => steps.push(s) });
    expect(client.scheme).toBe('http'); // loopback
    const res = await client.request('blobs/sha256:abc');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('blob bytes');

    expect(tokens.seen).toHaveLength(1);
    const tokenUrl = new URL(tokens.seen[0]!.url, 'http://x');
    expect(tokenUrl.searchParams.get('service')).toBe('test-registry');
    expect(tokenUrl.searchParams.getAll('scope')).toEqual(['repository:me/app:pull']);
    expect(tokens.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('me:secret-pw').toString('base64')}`);
    expect(registry.seen.map((s) => s.headers.authorization)).toEqual([undefined, 'Bearer tok-user']);
    expect(cdn.seen).toHaveLength(1);
    expect(cdn.seen[0]!.headers.authorization).toBeUndefined();
    expect(cdn.seen[0]!.url).toBe('/blob?signed=1');
    // The trace shows the token request, never the password.
    expect(steps.map((s) => s.command).join('\n')).toContain("-u 'me:<redacted>'");
    expect(JSON.stringify(steps)).not.toContain('secret-pw');
    expect(client.shownAuthorization()).toBe('Authorization: Bearer <redacted>');
  });

  it('answers a Basic challenge with the credentials, and says so when there are none', async () => {
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('bob:pw').toString('base64')}`) {
        res.statusCode = 401;
        res.setHeader('www-authenticate', 'Basic realm="Registry Realm"');
        return res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      }
      res.end('ok');
    });
    const ok = new RegistryClient({ host: `127.0.0.1:${registry.port}`, path: 'x', auth: { username: 'bob', password: 'pw' } });
    expect(await (await ok.request('manifests/latest')).text()).toBe('ok');
    const none = new RegistryClient({ host: `127.0.0.1:${registry.port}`, path: 'x' });
    await expect(none.request('manifests/latest')).rejects.toThrow(`Get "http://127.0.0.1:${registry.port}/v2/x/manifests/latest": no basic auth credentials`);
    const wrong = new RegistryClient({ host: `127.0.0.1:${registry.port}`, path: 'x', auth: { username: 'bob', password: 'nope' } });
    await expect(wrong.request('manifests/latest')).rejects.toThrow(/unauthorized: authentication required/);
  });

  it('names a refused connection as Docker does, and speaks HTTPS to any other registry', async () => {
    const closed = await serve(() => {});
    const port = closed.port;
    await new Promise((r) => servers.pop()!.close(r));
    const client = new RegistryClient({ host: `127.0.0.1:${port}`, path: 'x/y' });
    await expect(client.request('manifests/1')).rejects.toThrow(`Get "http://127.0.0.1:${port}/v2/x/y/manifests/1": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    expect(new RegistryClient({ host: 'registry-1.docker.io', path: 'library/alpine' }).repoUrl('manifests/latest')).toBe('https://registry-1.docker.io/v2/library/alpine/manifests/latest');
    // Node's fetch refuses some ports outright: say so rather than "fetch failed".
    await expect(new RegistryClient({ host: '127.0.0.1:6000', path: 'x' }).request('manifests/1')).rejects.toThrow(/port 6000 is one that Node's fetch refuses to connect to/);
  });
});
