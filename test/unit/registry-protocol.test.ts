import { describe, expect, it } from 'vitest';
import { parseChallenges, pickChallenge, repositoryScope } from '../../runtime/engine/registry/challenge.js';
import { CONFIG_MEDIA, hostPlatform, layerCompression, MANIFEST_ACCEPT, MANIFEST_MEDIA, parseManifest, parsePlatform, platformMatches, selectPlatform } from '../../runtime/engine/registry/manifest.js';
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

describe('manifests and platforms', () => {
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  const manifest = (mediaType?: string) =>
    Buffer.from(JSON.stringify({ schemaVersion: 2, ...(mediaType ? { mediaType } : {}), config: { mediaType: CONFIG_MEDIA[0], digest: d('c'), size: 10 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('a'), size: 5 }] }));
  const index = {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA.ociIndex,
    manifests: [
      { mediaType: MANIFEST_MEDIA.ociManifest, digest: d('1'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: MANIFEST_MEDIA.ociManifest, digest: d('2'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { mediaType: MANIFEST_MEDIA.ociManifest, digest: d('3'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { mediaType: MANIFEST_MEDIA.ociManifest, digest: d('4'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: MANIFEST_MEDIA.ociManifest, digest: d('5'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  };

  it('tells indexes from manifests by Content-Type, their own mediaType, or their shape', () => {
    expect(parseManifest(manifest(MANIFEST_MEDIA.dockerManifest), null, 'x').kind).toBe('manifest');
    expect(parseManifest(manifest(), 'application/vnd.oci.image.manifest.v1+json; charset=utf-8', 'x').mediaType).toBe(MANIFEST_MEDIA.ociManifest);
    expect(parseManifest(manifest(), 'application/json', 'x').mediaType).toBe(MANIFEST_MEDIA.ociManifest);
    const list = parseManifest(Buffer.from(JSON.stringify({ ...index, mediaType: MANIFEST_MEDIA.dockerList })), null, 'x');
    expect(list.kind).toBe('index');
    expect(MANIFEST_ACCEPT.split(', ').slice(0, 4)).toEqual([MANIFEST_MEDIA.ociIndex, MANIFEST_MEDIA.dockerList, MANIFEST_MEDIA.ociManifest, MANIFEST_MEDIA.dockerManifest]);
  });

  it('refuses schema 1 as Docker does, and malformed or foreign documents clearly', () => {
    const s1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] }));
    expect(() => parseManifest(s1, MANIFEST_MEDIA.schema1Signed, 'docker.io/library/old:1')).toThrow(
      /\[DEPRECATION NOTICE\] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled.*Suggest the author of docker.io\/library\/old:1 to upgrade/,
    );
    expect(() => parseManifest(Buffer.from('{nope'), null, 'x')).toThrow(/not valid JSON/);
    expect(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.thing+json' })), null, 'x')).toThrow(/unsupported manifest media type/);
    const badDigest = JSON.parse(manifest().toString());
    badDigest.layers[0].digest = 'sha512:abc';
    expect(() => parseManifest(Buffer.from(JSON.stringify(badDigest)), null, 'x')).toThrow(/sha256 digests only/);
    const badSize = JSON.parse(manifest().toString());
    badSize.config.size = -1;
    expect(() => parseManifest(Buffer.from(JSON.stringify(badSize)), null, 'x')).toThrow(/malformed entry/);
  });

  it('knows which layers it can unpack', () => {
    expect(layerCompression({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: d('a'), size: 1 }, 'x')).toBe('gzip');
    expect(layerCompression({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d('a'), size: 1 }, 'x')).toBe('none');
    expect(() => layerCompression({ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: d('a'), size: 1 }, 'x')).toThrow(/zstd/);
    expect(() => layerCompression({ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: d('a'), size: 1 }, 'x')).toThrow(/Windows/);
  });

  it('picks the platform asked for, with containerd\'s normalisation, and says what is available', () => {
    expect(selectPlatform(index, parsePlatform('linux/amd64'), 'x').digest).toBe(d('1'));
    expect(selectPlatform(index, parsePlatform('linux/x86_64'), 'x').digest).toBe(d('1'));
    expect(selectPlatform(index, parsePlatform('linux/arm64'), 'x').digest).toBe(d('4'));
    expect(selectPlatform(index, parsePlatform('linux/aarch64/v8'), 'x').digest).toBe(d('4'));
    expect(selectPlatform(index, parsePlatform('linux/arm/v7'), 'x').digest).toBe(d('3'));
    expect(selectPlatform(index, parsePlatform('linux/arm/6'), 'x').digest).toBe(d('2'));
    expect(() => selectPlatform(index, parsePlatform('linux/s390x'), 'alpine:latest')).toThrow(
      'no matching manifest for linux/s390x in the manifest list entries of alpine:latest (available: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8; choose one with --platform)',
    );
    expect(() => parsePlatform('amd64')).toThrow(/invalid platform/);
    expect(() => parsePlatform('linux/amd64/v1/x')).toThrow(/invalid platform/);
    expect(hostPlatform().os).toBe('linux');
    expect(platformMatches({ os: 'linux', architecture: 'amd64' }, hostPlatform())).toBe(process.arch === 'x64');
  });
});
