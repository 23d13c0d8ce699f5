import { describe, expect, it } from 'vitest';
import { parseChallenges, pickChallenge, repositoryScope } from '../../runtime/engine/registry/challenge.js';
import { allowsPlainHttp, familiarReference, manifestReference, registryKeyOfDomain, resolveName } from '../../runtime/engine/registry/name.js';

describe('WWW-Authenticate challenges', () => {
  it("parses Docker Hub's Bearer challenge", () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"');
    expect(c).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
    });
  });

  it('keeps commas inside quoted values and reads escapes', () => {
    const [c] = parseChallenges('Bearer realm="http://127.0.0.1:1/t",scope="repository:x/y:pull,push",error="insufficient_scope",x="a\\"b"');
    expect(c!.params.scope).toBe('repository:x/y:pull,push');
    expect(c!.params.error).toBe('insufficient_scope');
    expect(c!.params.x).toBe('a"b');
  });

  it('reads several challenges in one header, Basic and unquoted values; Bearer is preferred', () => {
    const cs = parseChallenges('Basic realm="Registry Realm", Bearer realm=https://t.example/token, service=reg');
    expect(cs.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(cs[1]!.params).toEqual({ realm: 'https://t.example/token', service: 'reg' });
    expect(pickChallenge(cs)!.scheme).toBe('bearer');
    expect(pickChallenge(parseChallenges('Basic realm="Registry Realm"'))!.scheme).toBe('basic');
  });

  it('survives empty and malformed headers', () => {
    expect(parseChallenges(null)).toEqual([]);
    expect(parseChallenges('')).toEqual([]);
    expect(pickChallenge(parseChallenges('Negotiate'))).toBeUndefined();
    expect(pickChallenge(parseChallenges('Bearer service="x"'))).toBeUndefined(); // no realm: no token server to ask
    expect(() => parseChallenges('=,=="",Bearer realm')).not.toThrow();
  });

  it('asks for repository:NAME:ACTIONS scopes', () => {
    expect(repositoryScope('library/alpine', ['pull'])).toBe('repository:library/alpine:pull');
    expect(repositoryScope('me/app', ['pull', 'push'])).toBe('repository:me/app:pull,push');
  });
});

describe('registry names', () => {
  it('sends Docker Hub names to registry-1.docker.io, official images under library/', () => {
    const n = resolveName('alpine');
    expect(n).toMatchObject({ domain: 'docker.io', host: 'registry-1.docker.io', path: 'library/alpine', familiar: 'alpine', tag: 'latest', defaultedTag: true });
    expect(resolveName('me/app:1.0')).toMatchObject({ host: 'registry-1.docker.io', path: 'me/app', familiar: 'me/app', tag: '1.0', defaultedTag: false });
    expect(resolveName('docker.io/library/python:3.12-slim')).toMatchObject({ path: 'library/python', familiar: 'python', tag: '3.12-slim' });
    expect(registryKeyOfDomain('docker.io')).toBe('https://index.docker.io/v1/');
  });

  it('keeps other registries as named, with their port', () => {
    const n = resolveName('127.0.0.1:5000/x/y:t');
    expect(n).toMatchObject({ domain: '127.0.0.1:5000', host: '127.0.0.1:5000', path: 'x/y', familiar: '127.0.0.1:5000/x/y', tag: 't' });
    expect(resolveName('ghcr.io/o/r').path).toBe('o/r');
    expect(resolveName('localhost/app').host).toBe('localhost');
    expect(registryKeyOfDomain('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });

  it('pins a digest: the manifest is fetched by digest, and no tag is defaulted', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    const n = resolveName(`127.0.0.1:5000/x@${d}`);
    expect(n.digest).toBe(d);
    expect(n.tag).toBeUndefined();
    expect(n.defaultedTag).toBe(false);
    expect(manifestReference(n)).toBe(d);
    expect(familiarReference(n)).toBe(`127.0.0.1:5000/x@${d}`);
    expect(familiarReference(resolveName('alpine'))).toBe('alpine:latest');
  });

  it('refuses what Docker refuses', () => {
    expect(() => resolveName('Alpine')).toThrow(/must be lowercase/);
    expect(() => resolveName('a b')).toThrow(/invalid reference format/);
  });
});

describe('plain HTTP or HTTPS', () => {
  it('allows plain HTTP only to loopback registries and the insecure ones listed', () => {
    for (const h of ['127.0.0.1:5000', '127.1.2.3', 'localhost:5000', 'localhost', '[::1]:5000']) expect(allowsPlainHttp(h)).toBe(true);
    for (const h of ['registry-1.docker.io', 'ghcr.io', '10.0.0.5:5000', '128.0.0.1:5000', 'localhost.evil.com']) expect(allowsPlainHttp(h)).toBe(false);
    expect(allowsPlainHttp('10.0.0.5:5000', ['10.0.0.5:5000'])).toBe(true);
    expect(allowsPlainHttp('10.0.0.5:5000', ['10.0.0.5'])).toBe(true);
    expect(allowsPlainHttp('10.0.0.5:5000', ['10.0.0.6:5000'])).toBe(false);
    expect(allowsPlainHttp('10.1.2.3:5000', ['10.0.0.0/8'])).toBe(true);
    expect(allowsPlainHttp('11.1.2.3:5000', ['10.0.0.0/8'])).toBe(false);
    expect(allowsPlainHttp('myreg.lan:5000', ['http://myreg.lan:5000/'])).toBe(true);
  });
});
