import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { isSameProcessAlive } from '../../runtime/kernel/proc.js';
import { startRegistry, libtrustKeyId, type TestRegistry } from '../registry.js';
import { buildOciLayout, pushToRegistry, threeLayerImage, type BuiltImage } from '../images.js';

/**
 * The registry fixtures the registry tests stand on (test/registry.ts), each
 * checked against real clients: Debian's docker-registry without auth, with
 * htpasswd Basic auth, and with bearer tokens from the token-server fixture,
 * which the real registry must accept, as it accepts Docker Hub's. skopeo is
 * the client: it speaks the same protocol glass does.
 */

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function skopeo(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('skopeo', ['--insecure-policy', ...args], { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

let layout: string;
let img: BuiltImage;
beforeAll(() => {
  layout = mkdtempSync(join(tmpdir(), 'glass-test-layout-'));
  img = buildOciLayout(layout, 'v1', threeLayerImage());
});
afterAll(() => rmSync(layout, { recursive: true, force: true }));

describe('registry fixture: no auth', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(() => reg?.stop());

  it('answers /v2/ on 127.0.0.1 as distribution does, and a pushed image keeps its manifest digest', async () => {
    expect(reg.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(reg.port).not.toBe(5000);
    const v2 = await fetch(`${reg.url}/v2/`);
    expect(v2.status).toBe(200);
    expect(v2.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    await pushToRegistry(layout, 'v1', reg.host, 'test/three');
    const m = await reg.api('/v2/test/three/manifests/v1', { accept: OCI_MANIFEST });
    expect(m.status).toBe(200);
    expect(m.headers.get('docker-content-digest')).toBe(img.manifestDigest);
    expect(await (await reg.api('/v2/test/three/tags/list')).json()).toEqual({ name: 'test/three', tags: ['v1'] });
  });

  it('tamperBlob changes the bytes on disk, and the registry serves them as they are', async () => {
    const layer = img.layers[1];
    expect(existsSync(reg.blobPath(layer.digest))).toBe(true);
    reg.tamperBlob(layer.digest, 'flip');
    const b = await reg.api(`/v2/test/three/blobs/${layer.digest}`);
    const bytes = Buffer.from(await b.arrayBuffer());
    expect(b.status).toBe(200);
    expect(bytes.length).toBe(layer.size);
    expect(`sha256:${(await import('node:crypto')).createHash('sha256').update(bytes).digest('hex')}`).not.toBe(layer.digest);
  });
});

describe('registry fixture: htpasswd', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'htpasswd', users: { alice: 'wonderland' } });
  });
  afterAll(() => reg?.stop());

  it('asks for Basic credentials, refuses a push without them and a wrong password, takes the right one', async () => {
    const anon = await fetch(`${reg.url}/v2/`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Basic realm="glass-test-registry"');
    await expect(pushToRegistry(layout, 'v1', reg.host, 'test/three')).rejects.toThrow(/unauthorized|authentication required/i);
    await expect(pushToRegistry(layout, 'v1', reg.host, 'test/three', { creds: 'alice:wrong' })).rejects.toThrow(/unauthorized|authentication required/i);
    await pushToRegistry(layout, 'v1', reg.host, 'test/three', { creds: { username: 'alice', password: 'wonderland' } });
    const m = await reg.api('/v2/test/three/manifests/v1', { accept: OCI_MANIFEST });
    expect(m.headers.get('docker-content-digest')).toBe(img.manifestDigest);
    // The password file holds a bcrypt hash, never the password.
    expect(readFileSync(join(reg.dir, 'htpasswd'), 'utf8')).toMatch(/^alice:\$2y\$/);
  });
});

describe.each(['x5c', 'kid'] as const)('registry fixture: bearer tokens (signing key named by %s)', (signing) => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token', users: { alice: 'wonderland' }, token: { signing } });
  });
  afterAll(() => reg?.stop());

  it("challenges as Docker Hub does: Bearer realm, service and the scope the request needs", async () => {
    const r = await fetch(`${reg.url}/v2/test/three/manifests/v1`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(
      `Bearer realm="${reg.tokenServer!.realm}",service="glass-test-registry",scope="repository:test/three:pull"`,
    );
  });

  it("hands out tokens as auth.docker.io: anonymous pull-only, users pull and push, a wrong password 401", async () => {
    const ts = reg.tokenServer!;
    const get = (user?: string, pass?: string) =>
      fetch(`${ts.realm}?service=glass-test-registry&scope=repository:test/three:pull,push`, {
        headers: user ? { Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` } : {},
      });
    const anon = await get();
    expect(anon.status).toBe(200);
    const body = (await anon.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'token']);
    expect(body.access_token).toBe(body.token);
    const [h, c] = body.token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(h.alg).toBe('RS256');
    if (signing === 'x5c') expect(h.x5c).toHaveLength(1);
    else expect(h.kid).toBe(libtrustKeyId(createPublicKey(readFileSync(ts.certPath))));
    expect(c).toMatchObject({ iss: ts.issuer, sub: '', aud: 'glass-test-registry', access: [{ type: 'repository', name: 'test/three', actions: ['pull'] }] });
    expect(c.exp - c.iat).toBe(300);

    const alice = (await (await get('alice', 'wonderland')).json()) as { token: string };
    expect(JSON.parse(Buffer.from(alice.token.split('.')[1], 'base64url').toString()).access[0].actions).toEqual(['pull', 'push']);
    const wrong = await get('alice', 'nope');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ details: 'incorrect username or password' });
  });

  it('the real registry accepts its tokens: skopeo pushes with credentials, pulls anonymously, and cannot push anonymously', async () => {
    const ts = reg.tokenServer!;
    const before = ts.requests.length;
    await expect(pushToRegistry(layout, 'v1', reg.host, 'test/anon')).rejects.toThrow(/unauthorized|authentication required|denied/i);
    await pushToRegistry(layout, 'v1', reg.host, 'test/three', { creds: 'alice:wonderland' });
    const pushed = ts.requests.slice(before).filter((q) => q.user === 'alice');
    expect(pushed.length).toBeGreaterThan(0);
    expect(pushed[0].granted).toEqual([{ type: 'repository', name: 'test/three', actions: ['pull', 'push'] }]);
    const out = mkdtempSync(join(tmpdir(), 'glass-test-pulled-'));
    try {
      const pull = await skopeo(['copy', '--src-tls-verify=false', `docker://${reg.host}/test/three:v1`, `oci:${out}:v1`]);
      expect(pull.out).toContain('Writing manifest');
      expect(pull.code).toBe(0);
      const inspect = await skopeo(['inspect', '--raw', `oci:${out}:v1`]);
      expect(JSON.parse(inspect.out).layers.map((l: { digest: string }) => l.digest)).toEqual(img.layers.map((l) => l.digest));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    // No request the server kept holds a password.
    expect(JSON.stringify(ts.requests)).not.toContain('wonderland');
  });

  it('OAuth2 form (POST /token), as Docker uses with an identity token: password grant gives a refresh token that works', async () => {
    const ts = reg.tokenServer!;
    const post = (form: Record<string, string>) =>
      fetch(ts.realm, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    const first = await post({ grant_type: 'password', username: 'alice', password: 'wonderland', service: 'glass-test-registry', client_id: 'glass', access_type: 'offline', scope: 'repository:test/three:pull' });
    expect(first.status).toBe(200);
    const { refresh_token } = (await first.json()) as { refresh_token: string };
    expect(refresh_token).toBeTruthy();
    const again = await post({ grant_type: 'refresh_token', refresh_token, service: 'glass-test-registry', client_id: 'glass', scope: 'repository:test/three:pull' });
    const { access_token } = (await again.json()) as { access_token: string };
    const m = await fetch(`${reg.url}/v2/test/three/manifests/v1`, { headers: { Authorization: `Bearer ${access_token}`, Accept: OCI_MANIFEST } });
    expect(m.status).toBe(200);
    expect((await post({ grant_type: 'refresh_token', refresh_token: 'forged', service: 'glass-test-registry', client_id: 'glass' })).status).toBe(401);
  });
});

describe('registry fixture: stop', () => {
  it('stops the registry by its PID and removes its directory', async () => {
    const reg = await startRegistry({ auth: 'token', users: { a: 'b' } });
    expect(isSameProcessAlive(reg.pid, undefined)).toBe(true);
    await reg.stop();
    expect(isSameProcessAlive(reg.pid, undefined)).toBe(false);
    expect(existsSync(reg.dir)).toBe(false);
    await expect(fetch(`${reg.url}/v2/`)).rejects.toThrow();
    await expect(fetch(reg.tokenServer!.realm)).rejects.toThrow();
  });
});
