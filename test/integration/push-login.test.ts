import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GLASS, glass, isRoot, testRoot, useRoot, waitFor, type Result } from '../helpers.js';

// node-pty is CommonJS with a native addon: the interactive login needs a real terminal.
const pty = createRequire(import.meta.url)('node-pty') as typeof import('node-pty');
import { startRegistry, type TestRegistry } from '../registry.js';
import { buildOciLayout, pushToRegistry, randomLayers, threeLayerImage, type BuiltImage } from '../images.js';

/**
 * `glass push`, `glass login` and `glass logout` against the real
 * docker-registry (Debian's distribution 2.8) on loopback: without auth,
 * with htpasswd Basic auth, and with bearer tokens from the token-server
 * fixture. What is checked is what a user sees (Docker's lines and exit
 * codes), what the registry then holds (skopeo reads it: same digests as the
 * store), the credentials file (0600, Docker's shape), and that the password
 * appears in no output, no trace and no event.
 */

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function skopeo(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('skopeo', ['--insecure-policy', ...args], { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

async function skopeoDigest(ref: string, creds?: string): Promise<string> {
  const r = await skopeo(['inspect', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), `docker://${ref}`]);
  if (r.code !== 0) throw new Error(`skopeo inspect ${ref}: ${r.out}`);
  return (JSON.parse(r.out) as { Digest: string }).Digest;
}

/** Every output of every glass command a test ran, to check that no password is in any of them. */
const seen: string[] = [];

function run(root: string, config: string, args: string[], extra: { input?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const opts = extra.input !== undefined ? { stdin: 'pipe' as const, input: extra.input } : {};
  return glass(root, args, { ...opts, env: { GLASS_CONFIG: config, ...extra.env } }).then((r) => {
    seen.push(r.stdout, r.stderr);
    return r;
  });
}

/** A three-layer OCI image (made locally), loaded into the root and tagged `name`; returns what was built. */
let layoutTar: string;
let layoutDir: string;
let built: BuiltImage;
/** Two layers of random bytes (1.5 MB each) no other image shares: nothing to mount, so they go up in chunks. */
let randomTar: string;
let randomBuilt: BuiltImage;
const scratch = mkdtempSync(join(tmpdir(), 'glass-test-push-'));

const tarOfDir = (dir: string, tar: string) =>
  new Promise<void>((resolve, reject) => execFile('tar', ['-C', dir, '-cf', tar, '.'], (e) => (e ? reject(e) : resolve())));

beforeAll(async () => {
  layoutDir = join(scratch, 'layout');
  built = buildOciLayout(layoutDir, 'v1', threeLayerImage({ label: 'push-login' }));
  layoutTar = join(scratch, 'layout.tar');
  await tarOfDir(layoutDir, layoutTar);
  randomBuilt = buildOciLayout(join(scratch, 'random'), 'v1', { layers: randomLayers(3_000_000, 2, 'push-login-chunked'), config: { Cmd: ['true'] } });
  randomTar = join(scratch, 'random.tar');
  await tarOfDir(join(scratch, 'random'), randomTar);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function loadThree(root: string, config: string, name: string, tar = layoutTar): Promise<void> {
  const loaded = await run(root, config, ['load', '-i', tar]);
  expect(loaded.exitCode, loaded.stderr).toBe(0);
  const id = /sha256:([0-9a-f]{64})/.exec(loaded.stdout)![1]!;
  expect((await run(root, config, ['tag', id, name])).exitCode).toBe(0);
}

/** The manifest's size in bytes, as the layout stores it (what push's last line says). */
const manifestSize = () => statSync(join(layoutDir, 'blobs', 'sha256', built.manifestDigest.slice(7))).size;

/** Every event of a root, into `seen` (no password may be in one). */
async function collectEvents(root: string, config: string): Promise<void> {
  const r = await run(root, config, ['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--format', '{{json .}}']);
  expect(r.exitCode).toBe(0);
}

const newConfig = () => mkdtempSync('/tmp/glass-config-rpush-');

/** The layer ids push shows: each layer's diff_id, 12 hex digits, top-most layer first (as Docker lists them). */
const shownLayers = () => [...built.layers].reverse().map((l) => l.diffId.slice(7, 19));

describe.skipIf(!isRoot)('glass push to a registry without auth', () => {
  const root = useRoot();
  let config: string;
  let reg: TestRegistry;
  beforeAll(async () => {
    config = newConfig();
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.stop();
    if (config) rmSync(config, { recursive: true, force: true });
  });

  it('pushes every layer, then the manifest with its exact bytes: skopeo sees the same digest; a second push finds every layer', async () => {
    const name = `${reg.host}/test/three`;
    await loadThree(root, config, `${name}:v1`);
    const first = await run(root, config, ['push', `${name}:v1`]);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    const ids = shownLayers();
    expect(first.stdout).toBe(
      [
        `The push refers to repository [${name}]`,
        ...ids.map((id) => `${id}: Preparing`),
        // Layers go up concurrently: their "Pushed" lines come in any order.
        ...first.stdout.split('\n').filter((l) => l.endsWith(': Pushed')),
        `v1: digest: ${built.manifestDigest} size: ${manifestSize()}`,
        '',
      ].join('\n'),
    );
    expect(first.stdout.split('\n').filter((l) => l.endsWith(': Pushed')).map((l) => l.slice(0, 12)).sort()).toEqual([...ids].sort());
    // The registry serves the manifest the store had, byte for byte: the same digest skopeo reads.
    expect(await skopeoDigest(`${name}:v1`)).toBe(built.manifestDigest);
    const m = await reg.api('/v2/test/three/manifests/v1', { accept: OCI_MANIFEST });
    expect(m.headers.get('content-type')).toBe(OCI_MANIFEST);
    expect(createHash('sha256').update(Buffer.from(await m.arrayBuffer())).digest('hex')).toBe(built.manifestDigest.slice(7));
    // And skopeo can copy it out whole (every blob verified against its digest).
    const copy = await skopeo(['copy', '--src-tls-verify=false', `docker://${name}:v1`, `oci:${join(scratch, 'copied')}:v1`]);
    expect(copy.code, copy.out).toBe(0);

    const second = await run(root, config, ['push', `${name}:v1`]);
    expect(second.exitCode).toBe(0);
    const lines = second.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([`The push refers to repository [${name}]`, ...ids.map((id) => `${id}: Preparing`)]);
    // Concurrent: the "already exists" lines come in any order.
    expect(lines.slice(4, 7).sort()).toEqual(ids.map((id) => `${id}: Layer already exists`).sort());
    expect(lines.slice(7)).toEqual([`v1: digest: ${built.manifestDigest} size: ${manifestSize()}`, '']);
    // As Docker: the pushed image now has its RepoDigest, and a push event names the tag.
    const inspect = await run(root, config, ['inspect', '-f', '{{json .RepoDigests}}', `${name}:v1`]);
    expect(JSON.parse(inspect.stdout)).toContain(`${name}@${built.manifestDigest}`);
    const events = await run(root, config, ['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=push', '--format', '{{.Actor.ID}} {{.Actor.Attributes.name}}']);
    expect(events.stdout).toBe(`${name}:v1 ${name}\n${name}:v1 ${name}\n`);
  });

  it('push, rmi, then glass pull round-trips the image: same manifest digest, same image ID, and it runs', async () => {
    const fresh = testRoot();
    const name = `${reg.host}/test/round`;
    await loadThree(fresh, config, `${name}:v1`);
    const id = (await run(fresh, config, ['inspect', '-f', '{{.Id}}', `${name}:v1`])).stdout.trim();
    expect(id).toBe(built.configDigest);
    expect((await run(fresh, config, ['push', `${name}:v1`])).exitCode).toBe(0);
    const rmi = await run(fresh, config, ['rmi', `${name}:v1`]);
    expect(rmi.exitCode, rmi.stderr).toBe(0);
    expect((await run(fresh, config, ['images', '-q'])).stdout).toBe('');
    const pull = await run(fresh, config, ['pull', `${name}:v1`]);
    expect(pull.exitCode, pull.stderr).toBe(0);
    expect(pull.stdout).toContain(`Digest: ${built.manifestDigest}\nStatus: Downloaded newer image for ${name}:v1\n`);
    expect((await run(fresh, config, ['inspect', '-f', '{{.Id}}', `${name}:v1`])).stdout.trim()).toBe(id);
    const ran = await run(fresh, config, ['run', '--rm', `${name}:v1`]);
    expect(ran).toMatchObject({ exitCode: 0, stdout: 'hello from layer 2\n' });
  });

  it('a Docker schema2 image, pulled then tagged, is pushed as the same schema2 bytes (same digest, same media type)', async () => {
    const V2S2 = 'application/vnd.docker.distribution.manifest.v2+json';
    await pushToRegistry(layoutDir, 'v1', reg.host, 'test/v2s2:v1', { format: 'v2s2' });
    const digest = await skopeoDigest(`${reg.host}/test/v2s2:v1`);
    expect(digest).not.toBe(built.manifestDigest); // skopeo rewrote the manifest as schema2
    // The store already holds this image (same config) with its OCI manifest: the pull adds the schema2 one.
    const pull = await run(root, config, ['pull', `${reg.host}/test/v2s2:v1`]);
    expect(pull.exitCode, pull.stderr).toBe(0);
    expect((await run(root, config, ['tag', `${reg.host}/test/v2s2:v1`, `${reg.host}/test/v2s2-copy:v1`])).exitCode).toBe(0);
    const push = await run(root, config, ['push', `${reg.host}/test/v2s2-copy:v1`]);
    expect(push.exitCode, push.stderr).toBe(0);
    expect(push.stdout).toContain(`v1: digest: ${digest} size: `);
    const m = await reg.api('/v2/test/v2s2-copy/manifests/v1', { accept: V2S2 });
    expect(m.headers.get('content-type')).toBe(V2S2);
    expect(m.headers.get('docker-content-digest')).toBe(digest);
  });

  it('no tag pushes :latest (Docker 20.10), --all-tags every tag; a missing image or tag is Docker\'s error, exit 1', async () => {
    const name = `${reg.host}/test/tags`;
    await loadThree(root, config, `${name}:a`);
    expect((await run(root, config, ['tag', `${name}:a`, `${name}:b`])).exitCode).toBe(0);

    const noLatest = await run(root, config, ['push', name]);
    expect(noLatest.stdout).toBe(`Using default tag: latest\nThe push refers to repository [${name}]\n`);
    expect(noLatest.stderr).toBe(`tag does not exist: ${name}:latest\n`);
    expect(noLatest.exitCode).toBe(1);

    const all = await run(root, config, ['push', '--all-tags', name]);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`^The push refers to repository \\[${name.replace(/\./g, '\\.')}\\]\n`));
    expect(all.stdout).toContain(`a: digest: ${built.manifestDigest} size: `);
    expect(all.stdout).toContain(`b: digest: ${built.manifestDigest} size: `);
    expect(all.stdout).not.toContain('Using default tag');
    expect(((await (await reg.api('/v2/test/tags/tags/list')).json()) as { tags: string[] }).tags.sort()).toEqual(['a', 'b']);

    const quiet = await run(root, config, ['push', '-q', `${name}:b`]);
    expect(quiet).toMatchObject({ exitCode: 0, stdout: `${name}:b\n`, stderr: '' });

    const missing = await run(root, config, ['push', `${reg.host}/nothing/here:v1`]);
    expect(missing.stdout).toBe(`The push refers to repository [${reg.host}/nothing/here]\n`);
    expect(missing.stderr).toBe(`An image does not exist locally with the tag: ${reg.host}/nothing/here\n`);
    expect(missing.exitCode).toBe(1);
    const hub = await run(root, config, ['push', 'nosuchimage']);
    expect(hub.stdout).toBe('Using default tag: latest\nThe push refers to repository [docker.io/library/nosuchimage]\n');
    expect(hub.stderr).toBe('An image does not exist locally with the tag: nosuchimage\n');
    expect(hub.exitCode).toBe(1);
  });

  it('mounts a layer the registry holds in another repository the store knows (cross-repository mount)', async () => {
    const from = `${reg.host}/test/three`; // pushed by the first test
    const to = `${reg.host}/other/copy`;
    expect((await run(root, config, ['tag', `${from}:v1`, `${to}:v1`])).exitCode).toBe(0);
    const r = await run(root, config, ['--explain', 'push', `${to}:v1`]);
    expect(r.exitCode, r.stderr).toBe(0);
    // From a repository of that registry the store has a name in, holding the same layers (test/three or test/tags).
    for (const id of shownLayers()) expect(r.stdout).toMatch(new RegExp(`${id}: Mounted from test/(three|tags)\n`));
    expect(r.stderr).toMatch(/mount=sha256%3A[0-9a-f]{64}&from=test%2F(three|tags)/);
    expect(reg.log()).toMatch(/"POST \/v2\/other\/copy\/blobs\/uploads\/\?mount=sha256%3A[0-9a-f]{64}&from=test%2F(three|tags) HTTP\/1\.1" 201/);
    expect(await skopeoDigest(`${to}:v1`)).toBe(built.manifestDigest);
  });

  it('uploads a blob bigger than the chunk size in PATCH chunks (Content-Range), following each Location', async () => {
    const name = `${reg.host}/test/chunked`;
    await loadThree(root, config, `${name}:v1`, randomTar);
    const chunk = 1_000_000;
    const r = await run(root, config, ['--explain', 'push', `${name}:v1`], { env: { GLASS_PUSH_CHUNK_SIZE: String(chunk) } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.endsWith(': Pushed'))).toHaveLength(2);
    let patches = 0;
    for (const layer of randomBuilt.layers) {
      const chunks = Math.ceil(layer.size / chunk);
      expect(chunks).toBeGreaterThan(1);
      expect(r.stderr).toContain(`in ${chunks} chunks: POST, ${chunks} × PATCH, then PUT ?digest=`);
      patches += chunks;
    }
    // The registry's own access log: one PATCH per chunk, each answered 202 with the next Location.
    expect(reg.log().match(/"PATCH \/v2\/test\/chunked\/blobs\/uploads\/[^ ]* HTTP\/1\.1" 202/g) ?? []).toHaveLength(patches);
    expect(await skopeoDigest(`${name}:v1`)).toBe(randomBuilt.manifestDigest);
    const copy = await skopeo(['copy', '--src-tls-verify=false', `docker://${name}:v1`, `oci:${join(scratch, 'chunked')}:v1`]);
    expect(copy.code, copy.out).toBe(0);
  });

  it('explains HEAD, upload and manifest PUT, each with a curl a learner could type', async () => {
    const name = `${reg.host}/test/explained`;
    await loadThree(root, config, `${name}:v1`);
    const r = await run(root, config, ['--explain', 'push', `${name}:v1`]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`\\$ curl -I http://${reg.host.replace(/\./g, '\\.')}/v2/test/explained/blobs/sha256:[0-9a-f]{64}`));
    expect(r.stderr).toMatch(/\$ curl -si -X POST http:\/\/\S+\/v2\/test\/explained\/blobs\/uploads\/ \| grep -i \^location/);
    expect(r.stderr).toMatch(/curl -X PUT -H 'Content-Type: application\/octet-stream' --data-binary @\S+ "<Location>&digest=sha256:[0-9a-f]{64}"/);
    expect(r.stderr).toContain(`$ curl -X PUT -H 'Content-Type: ${OCI_MANIFEST}' --data-binary @`);
  });

  it('an unreachable registry is one line naming it, exit 1', async () => {
    const dead = await (await import('../helpers.js')).freePort();
    const name = `127.0.0.1:${dead}/x/y`;
    expect((await run(root, config, ['tag', `${reg.host}/test/three:v1`, `${name}:v1`])).exitCode).toBe(0);
    const r = await run(root, config, ['push', `${name}:v1`]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^Head "http://127\\.0\\.0\\.1:${dead}/v2/x/y/blobs/sha256:[0-9a-f]{64}": dial tcp 127\\.0\\.0\\.1:${dead}: connect: connection refused\n$`));
  });
});

describe.skipIf(!isRoot)('login, logout and push with htpasswd (Basic auth)', () => {
  const root = useRoot();
  let config: string;
  const password = 'Wonder-land-42!';
  let reg: TestRegistry;
  beforeAll(async () => {
    config = newConfig();
    reg = await startRegistry({ auth: 'htpasswd', users: { alice: password } });
  });
  afterAll(async () => {
    await reg?.stop();
    if (config) rmSync(config, { recursive: true, force: true });
  });

  it('refuses a push without credentials, as Docker does', async () => {
    const name = `${reg.host}/alice/three`;
    await loadThree(root, config, `${name}:v1`);
    const r = await run(root, config, ['push', `${name}:v1`]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('no basic auth credentials\n');
    expect(r.stdout).toMatch(/^The push refers to repository \[.*\]\n(\w{12}: Preparing\n){3}$/);
  });

  it('login checks the password with the registry: a wrong one is refused and nothing is stored', async () => {
    const r = await run(root, config, ['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'wrong-password\n' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`Error response from daemon: login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized\n`);
    expect(existsSync(join(config, 'config.json'))).toBe(false);
  });

  it('bad invocations get Docker\'s messages', async () => {
    const noUser = await run(root, config, ['login', '--password-stdin', reg.host], { input: `${password}\n` });
    expect(noUser).toMatchObject({ exitCode: 1, stderr: 'Must provide --username with --password-stdin\n', stdout: '' });
    const noTty = await run(root, config, ['login', reg.host]);
    expect(noTty).toMatchObject({ exitCode: 1, stderr: 'Error: Cannot perform an interactive login from a non TTY device\n' });
    const noTty2 = await run(root, config, ['login', '-u', 'alice', reg.host]);
    expect(noTty2).toMatchObject({ exitCode: 1, stderr: 'Error: Cannot perform an interactive login from a non TTY device\n' });
  });

  it('on a terminal, login asks for the user name, then the password without echoing it', async () => {
    const term = pty.spawn(GLASS, ['--root', root, 'login', reg.host], { cols: 100, rows: 30, env: { ...process.env, GLASS_CONFIG: config, TERM: 'xterm' } as Record<string, string> });
    let screen = '';
    term.onData((d) => (screen += d));
    const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
    try {
      await waitFor(() => screen, (t) => t.includes('Username: '), { what: 'the Username: prompt' });
      term.write('alice\r');
      await waitFor(() => screen, (t) => t.includes('Password: '), { what: 'the Password: prompt' });
      term.write(`${password}\r`);
      expect(await exited).toBe(0);
    } finally {
      try {
        term.kill('SIGKILL');
      } catch { /* already gone */ }
    }
    seen.push(screen);
    expect(screen).toContain('Login Succeeded');
    expect(screen).toContain('alice'); // the user name is echoed as typed
    expect(screen).not.toContain(password); // the password is not
    expect(JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')).auths[reg.host]).toEqual({ auth: Buffer.from(`alice:${password}`).toString('base64') });
  });

  it('login -p warns, stores base64 credentials in a 0600 config.json keeping its other keys, and push then works', async () => {
    writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { 'other.example:5000': { auth: Buffer.from('bob:x').toString('base64') } }, psFormat: 'table {{.ID}}' }), { mode: 0o644 });
    const r = await run(root, config, ['login', '-u', 'alice', '-p', password, reg.host]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('Login Succeeded\n');
    expect(r.stderr).toBe(
      'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n' +
        `WARNING! Your password will be stored unencrypted in ${join(config, 'config.json')}.\n` +
        'Configure a credential helper to remove this warning. See\n' +
        'https://docs.docker.com/engine/reference/commandline/login/#credentials-store\n\n',
    );
    const file = join(config, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.auths[reg.host]).toEqual({ auth: Buffer.from(`alice:${password}`).toString('base64') });
    expect(saved.auths['other.example:5000']).toBeDefined();
    expect(saved.psFormat).toBe('table {{.ID}}');

    const push = await run(root, config, ['--explain', 'push', `${reg.host}/alice/three:v1`]);
    expect(push.exitCode, push.stderr).toBe(0);
    expect(push.stdout).toContain(`v1: digest: ${built.manifestDigest} size: `);
    expect(push.stderr).toContain("-H 'Authorization: Basic <redacted>'");
    expect(await skopeoDigest(`${reg.host}/alice/three:v1`, `alice:${password}`)).toBe(built.manifestDigest);
  });

  it('login --password-stdin, then logout removes only that entry; a second logout says so', async () => {
    const r = await run(root, config, ['login', '--username', 'alice', '--password-stdin', `http://${reg.host}/`], { input: `${password}\n` });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('Login Succeeded\n');
    expect(r.stderr).not.toContain('Using --password via the CLI');
    const out = await run(root, config, ['logout', reg.host]);
    expect(out).toMatchObject({ exitCode: 0, stdout: `Removing login credentials for ${reg.host}\n` });
    const saved = JSON.parse(readFileSync(join(config, 'config.json'), 'utf8'));
    expect(Object.keys(saved.auths)).toEqual(['other.example:5000']);
    expect(statSync(join(config, 'config.json')).mode & 0o777).toBe(0o600);
    expect(await run(root, config, ['logout', reg.host])).toMatchObject({ exitCode: 0, stdout: `Not logged in to ${reg.host}\n` });
    // Logged out: the push is refused again.
    expect((await run(root, config, ['push', `${reg.host}/alice/three:v1`])).stderr).toBe('no basic auth credentials\n');
    await collectEvents(root, config);
  });

  it('a damaged config.json is named, not overwritten', async () => {
    const bad = newConfig();
    try {
      writeFileSync(join(bad, 'config.json'), '{"auths": {');
      const r = await run(root, bad, ['login', '-u', 'alice', '--password-stdin', reg.host], { input: password });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`Error loading config file: ${join(bad, 'config.json')}: `);
      expect(readFileSync(join(bad, 'config.json'), 'utf8')).toBe('{"auths": {');
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!isRoot)('login and push with bearer tokens (a token server, as Docker Hub)', () => {
  const root = useRoot();
  let config: string;
  const password = 'tok3n-Secret';
  let reg: TestRegistry;
  beforeAll(async () => {
    config = newConfig();
    reg = await startRegistry({ auth: 'token', users: { bob: password } });
  });
  afterAll(async () => {
    await reg?.stop();
    if (config) rmSync(config, { recursive: true, force: true });
  });

  it('anonymous: the token only allows pull, so the push is refused', async () => {
    const name = `${reg.host}/bob/three`;
    await loadThree(root, config, `${name}:v1`);
    const r = await run(root, config, ['push', `${name}:v1`]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('unauthorized: authentication required\n');
  });

  it('a wrong password: the token server says no, in Docker\'s words', async () => {
    const r = await run(root, config, ['login', '-u', 'bob', '--password-stdin', reg.host], { input: 'nope\n' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`Error response from daemon: Get "http://${reg.host}/v2/": unauthorized: incorrect username or password\n`);
    expect(existsSync(join(config, 'config.json'))).toBe(false);
  });

  it('login gets a token with the credentials; push asks for repository:NAME:pull,push and succeeds', async () => {
    const login = await run(root, config, ['login', '-u', 'bob', '--password-stdin', reg.host], { input: password });
    expect(login.exitCode, login.stderr).toBe(0);
    expect(login.stdout).toBe('Login Succeeded\n');
    expect(statSync(join(config, 'config.json')).mode & 0o777).toBe(0o600);
    const before = reg.tokenServer!.requests.length;
    const traceFile = join(scratch, 'trace.jsonl');
    const push = await run(root, config, ['--explain', 'push', `${reg.host}/bob/three:v1`], { env: { GLASS_TRACE_FILE: traceFile } });
    expect(push.exitCode, push.stderr).toBe(0);
    expect(push.stdout).toContain(`v1: digest: ${built.manifestDigest} size: `);
    const asked = reg.tokenServer!.requests.slice(before);
    expect(asked.some((q) => q.user === 'bob' && q.scopes.includes('repository:bob/three:pull,push'))).toBe(true);
    expect(push.stderr).toContain("-H 'Authorization: Bearer <redacted>'");
    if (existsSync(traceFile)) seen.push(readFileSync(traceFile, 'utf8'));
    expect(await skopeoDigest(`${reg.host}/bob/three:v1`, `bob:${password}`)).toBe(built.manifestDigest);

    // A mount from another repository needs pull on it too: the token is asked for both scopes.
    expect((await run(root, config, ['tag', `${reg.host}/bob/three:v1`, `${reg.host}/bob/copy:v1`])).exitCode).toBe(0);
    const mark = reg.tokenServer!.requests.length;
    const mount = await run(root, config, ['push', `${reg.host}/bob/copy:v1`]);
    expect(mount.exitCode, mount.stderr).toBe(0);
    for (const id of shownLayers()) expect(mount.stdout).toContain(`${id}: Mounted from bob/three\n`);
    expect(reg.tokenServer!.requests.slice(mark).some((q) => q.scopes.includes('repository:bob/copy:pull,push') && q.scopes.includes('repository:bob/three:pull'))).toBe(true);

    // Login again with what is stored: Docker's "Authenticating with existing credentials...".
    const again = await run(root, config, ['login', reg.host]);
    expect(again).toMatchObject({ exitCode: 0, stdout: 'Authenticating with existing credentials...\nLogin Succeeded\n' });
    await collectEvents(root, config);
  });
});

/**
 * Two corners of the protocol docker-registry never shows deterministically:
 * a relative Location (with a query of its own to keep), and a 401 in the
 * middle of a push (a token that expired: distribution allows a minute of
 * clock skew, so a real one cannot be made to expire on cue). This small
 * server answers as a registry does, and checks what glass sends.
 */
describe.skipIf(!isRoot)('a registry that wants credentials only when the upload comes, or drops the connection', () => {
  const root = useRoot();
  let config: string;
  let server: ReturnType<typeof createServer>;
  let host: string;
  const seenPuts: { url: string; auth: boolean; bytes: number; digest: string }[] = [];
  const broken = new Set<string>();
  const body = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });
  beforeAll(async () => {
    config = newConfig();
    server = createServer(async (req, res) => {
      const url = new URL(req.url!, 'http://x');
      const data = await body(req);
      const authed = req.headers.authorization === `Basic ${Buffer.from('carol:pw').toString('base64')}`;
      if (req.method === 'HEAD' && url.pathname.includes('/blobs/sha256:')) return res.writeHead(404).end();
      const repo = /^\/v2\/(x\/(?:y|flaky))\//.exec(url.pathname)?.[1];
      if (req.method === 'POST' && repo && url.pathname === `/v2/${repo}/blobs/uploads/`) {
        // Relative, with a query the client must keep.
        return res.writeHead(202, { location: `/v2/${repo}/blobs/uploads/u${Math.random().toString(16).slice(2)}?_state=s%2Fx%3D%3D` }).end();
      }
      if (req.method === 'PUT' && repo && url.pathname.startsWith(`/v2/${repo}/blobs/uploads/`)) {
        const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
        seenPuts.push({ url: req.url!, auth: authed, bytes: data.length, digest });
        // x/flaky: the first authenticated PUT of each blob loses its connection, as a flaky network would.
        if (repo === 'x/flaky' && authed && !broken.has(digest)) {
          broken.add(digest);
          return req.socket.destroy();
        }
        if (!authed) return res.writeHead(401, { 'www-authenticate': 'Basic realm="late"', 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        if (digest !== url.searchParams.get('digest') || url.searchParams.get('_state') !== 's/x==') return res.writeHead(400).end('{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}');
        return res.writeHead(201, { 'docker-content-digest': digest }).end();
      }
      if (req.method === 'PUT' && repo && url.pathname.startsWith(`/v2/${repo}/manifests/`)) {
        return res.writeHead(201, { 'docker-content-digest': `sha256:${createHash('sha256').update(data).digest('hex')}` }).end();
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from('carol:pw').toString('base64') } } }), { mode: 0o600 });
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (config) rmSync(config, { recursive: true, force: true });
  });

  it('follows a relative Location keeping its query, and re-sends the whole blob after a 401', async () => {
    await loadThree(root, config, `${host}/x/y:v1`);
    const r = await run(root, config, ['push', `${host}/x/y:v1`]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`v1: digest: ${built.manifestDigest} size: ${manifestSize()}`);
    // Every blob: first PUT refused (no credentials yet), then the same PUT again, whole, with them.
    const blobs = [...built.layers.map((l) => l.digest), built.configDigest];
    for (const d of blobs) {
      const puts = seenPuts.filter((p) => p.url.endsWith(`&digest=${encodeURIComponent(d)}`));
      expect(puts.length, d).toBeGreaterThanOrEqual(1);
      const last = puts[puts.length - 1]!;
      expect(last).toMatchObject({ auth: true, digest: d });
      expect(last.url).toMatch(/\?_state=s%2Fx%3D%3D&digest=sha256%3A[0-9a-f]{64}$/);
    }
    expect(seenPuts.some((p) => !p.auth)).toBe(true);
  });

  it('a connection that breaks mid-upload is retried from a new upload session, as Docker does', async () => {
    await loadThree(root, config, `${host}/x/flaky:v1`);
    const r = await run(root, config, ['push', `${host}/x/flaky:v1`]);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const id of shownLayers()) {
      expect(r.stdout).toContain(`${id}: Retrying in 1 second\n`);
      expect(r.stdout).toContain(`${id}: Pushed\n`);
    }
    expect(r.stdout).toContain(`v1: digest: ${built.manifestDigest} size: ${manifestSize()}`);
    for (const l of built.layers) expect(broken.has(l.digest)).toBe(true);
  });
});

describe.skipIf(!isRoot)('no output, trace or event holds a password', () => {
  it('checked over everything the tests above printed', async () => {
    expect(seen.length).toBeGreaterThan(10);
    const secrets = ['Wonder-land-42!', 'tok3n-Secret'];
    const forms = secrets.flatMap((s) => [s, Buffer.from(`alice:${s}`).toString('base64'), Buffer.from(`bob:${s}`).toString('base64'), encodeURIComponent(s)]);
    for (const text of seen) for (const f of forms) expect(text.includes(f), `output contains a password form: ${text.slice(0, 200)}`).toBe(false);
  });
});
