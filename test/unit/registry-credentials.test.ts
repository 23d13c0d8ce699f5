import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DOCKER_HUB_KEY,
  configDir,
  credentialsFor,
  eraseCredentials,
  insecureRegistries,
  readClientConfig,
  registryKeyOf,
  registryKeyOfServer,
  storeCredentials,
} from '../../runtime/engine/registry/credentials.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'glass-config-unit-'));
  env = { GLASS_CONFIG: join(dir, 'cfg') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('client config directory', () => {
  it('is $GLASS_CONFIG when set, else ~/.glass of the invoking user', () => {
    expect(configDir({ GLASS_CONFIG: '/x/y' })).toBe('/x/y');
    expect(configDir({ HOME: '/home/ann' })).toBe('/home/ann/.glass');
    if (process.getuid?.() === 0) {
      // Under sudo the file belongs in the user's home, not root's (root's entry is in every /etc/passwd).
      expect(configDir({ HOME: '/root', SUDO_USER: 'root' })).toBe('/root/.glass');
      const someone = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] && f[0] !== 'root' && f[5]);
      if (someone) expect(configDir({ HOME: '/root', SUDO_USER: someone[0] })).toBe(join(someone[5]!, '.glass'));
    }
  });
});

describe('registry keys', () => {
  it('maps Docker Hub references to the index server key, others to host[:port]', () => {
    expect(registryKeyOf('alpine')).toBe(DOCKER_HUB_KEY);
    expect(registryKeyOf('me/app:1')).toBe(DOCKER_HUB_KEY);
    expect(registryKeyOf('docker.io/library/alpine:3')).toBe(DOCKER_HUB_KEY);
    expect(registryKeyOf('127.0.0.1:5000/x/y:t')).toBe('127.0.0.1:5000');
    expect(registryKeyOf('localhost:5000/app@sha256:' + 'a'.repeat(64))).toBe('localhost:5000');
    expect(registryKeyOf('ghcr.io/o/r')).toBe('ghcr.io');
  });
  it('normalises login server arguments as Docker does', () => {
    expect(registryKeyOfServer()).toBe(DOCKER_HUB_KEY);
    expect(registryKeyOfServer('docker.io')).toBe(DOCKER_HUB_KEY);
    expect(registryKeyOfServer('https://index.docker.io/v1/')).toBe(DOCKER_HUB_KEY);
    expect(registryKeyOfServer('http://127.0.0.1:5000/v2/')).toBe('127.0.0.1:5000');
    expect(registryKeyOfServer('MyHost:5000')).toBe('myhost:5000');
  });
});

describe('credentials file', () => {
  it('a missing file is an empty config', () => {
    expect(readClientConfig(env)).toEqual({});
    expect(credentialsFor('127.0.0.1:5000', env)).toBeUndefined();
    expect(eraseCredentials('127.0.0.1:5000', env)).toBe(false);
  });

  it('stores Docker-shaped base64 auth, 0600, in a 0700 directory, and reads it back', () => {
    const file = storeCredentials('127.0.0.1:5000', { username: 'ann', password: 's3cr:et' }, env);
    expect(file).toBe(join(dir, 'cfg', 'config.json'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'cfg')).mode & 0o777).toBe(0o700);
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    expect(raw).toEqual({ auths: { '127.0.0.1:5000': { auth: Buffer.from('ann:s3cr:et').toString('base64') } } });
    expect(credentialsFor('127.0.0.1:5000', env)).toEqual({ username: 'ann', password: 's3cr:et' });
    // No temp file is left beside it.
    expect(readdirSync(join(dir, 'cfg'))).toEqual(['config.json']);
  });

  it('keeps the other keys and registries of the file on store and erase', () => {
    mkdirSync(join(dir, 'cfg'));
    const file = join(dir, 'cfg', 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        auths: { 'other:1': { auth: Buffer.from('bob:pw').toString('base64') } },
        'insecure-registries': ['myhost:5000'],
        psFormat: 'table {{.ID}}',
      }),
      { mode: 0o644 },
    );
    storeCredentials('127.0.0.1:5000', { username: 'ann', password: 'x' }, env);
    let raw = JSON.parse(readFileSync(file, 'utf8'));
    expect(raw.psFormat).toBe('table {{.ID}}');
    expect(raw['insecure-registries']).toEqual(['myhost:5000']);
    expect(Object.keys(raw.auths).sort()).toEqual(['127.0.0.1:5000', 'other:1']);
    // A rewrite tightens a file that was world-readable.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(insecureRegistries(env)).toEqual(['myhost:5000']);

    expect(eraseCredentials('127.0.0.1:5000', env)).toBe(true);
    raw = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(raw.auths)).toEqual(['other:1']);
    expect(raw.psFormat).toBe('table {{.ID}}');
    expect(eraseCredentials('127.0.0.1:5000', env)).toBe(false);
  });

  it('matches entries stored under a URL form of the same host, as Docker does', () => {
    mkdirSync(join(dir, 'cfg'));
    writeFileSync(join(dir, 'cfg', 'config.json'), JSON.stringify({ auths: { 'http://127.0.0.1:5000/v2/': { auth: Buffer.from('u:p').toString('base64') } } }));
    expect(credentialsFor('127.0.0.1:5000', env)).toEqual({ username: 'u', password: 'p' });
    expect(eraseCredentials('127.0.0.1:5000', env)).toBe(true);
    expect(credentialsFor('127.0.0.1:5000', env)).toBeUndefined();
  });

  it.skipIf(process.getuid?.() !== 0)('under sudo, the file and a new directory belong to the invoking user', () => {
    const sudo = { ...env, SUDO_USER: 'nobody', SUDO_UID: '65534', SUDO_GID: '65534' };
    const file = storeCredentials('h:1', { username: 'a', password: 'b' }, sudo);
    expect(statSync(file).uid).toBe(65534);
    expect(statSync(file).gid).toBe(65534);
    expect(statSync(join(dir, 'cfg')).uid).toBe(65534);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('~/.glass is made only in a home that exists', () => {
    expect(() => storeCredentials('h:1', { username: 'a', password: 'b' }, { HOME: join(dir, 'no-such-home') })).toThrow(
      `cannot create ${join(dir, 'no-such-home', '.glass')}: ${join(dir, 'no-such-home')} does not exist`,
    );
    const home = join(dir, 'home');
    mkdirSync(home);
    const file = storeCredentials('h:1', { username: 'a', password: 'b' }, { HOME: home });
    expect(file).toBe(join(home, '.glass', 'config.json'));
  });

  it('a damaged file is an error naming it, and is never overwritten', () => {
    mkdirSync(join(dir, 'cfg'));
    const file = join(dir, 'cfg', 'config.json');
    writeFileSync(file, '{"auths": {');
    expect(() => readClientConfig(env)).toThrow(`Error loading config file: ${file}`);
    expect(() => storeCredentials('h:1', { username: 'a', password: 'b' }, env)).toThrow(/Error loading config file/);
    expect(readFileSync(file, 'utf8')).toBe('{"auths": {');
    writeFileSync(file, '{"auths": []}');
    expect(() => credentialsFor('h:1', env)).toThrow(/"auths" is not an object/);
    writeFileSync(file, '{"insecure-registries": "h:1"}');
    expect(() => insecureRegistries(env)).toThrow(/insecure-registries/);
  });
});
