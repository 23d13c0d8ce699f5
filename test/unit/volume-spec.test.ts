import { describe, expect, it } from 'vitest';
import { mergeTmpfsOptions, parseMountFlag, parseTmpfsFlag, parseVolumeFlag, parseVolumesFrom, validMountMode } from '../../runtime/engine/volumes/spec.js';
import { inspectMounts, mountFor, mountSpecPairs, sortMounts, type ContainerMount } from '../../runtime/engine/volumes/mounts.js';
import { naturalLess } from '../../runtime/engine/volumes/service.js';

/** -v, --mount, --tmpfs and --volumes-from as Docker 20.10 reads them (moby's linux parser, docker/cli opts/mount.go). */
describe('-v', () => {
  it('a destination alone is an anonymous volume; NAME:DST a named one (mode "z"); /SRC:DST a bind', () => {
    expect(parseVolumeFlag('/data')).toMatchObject({ type: 'volume', source: '', destination: '/data', readOnly: false, mode: '', copy: true, from: 'anonymous' });
    expect(parseVolumeFlag('data:/data')).toMatchObject({ type: 'volume', source: 'data', destination: '/data', mode: 'z', copy: true, from: 'bind' });
    expect(parseVolumeFlag('data:/data:ro')).toMatchObject({ readOnly: true, mode: 'ro' });
    expect(parseVolumeFlag('data:/data:nocopy')).toMatchObject({ copy: false });
    expect(parseVolumeFlag('/host//dir/:/mnt/:ro')).toMatchObject({ type: 'bind', source: '/host/dir', destination: '/mnt', readOnly: true, mode: 'ro', createSource: true });
  });

  it("refuses what Docker refuses, in Docker's words", () => {
    expect(() => parseVolumeFlag('/x:rel')).toThrow("invalid volume specification: '/x:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute");
    expect(() => parseVolumeFlag('rel')).toThrow("invalid volume specification: 'rel': invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute");
    expect(() => parseVolumeFlag('/tmp:/x:rx')).toThrow(/^invalid mode: rx$/);
    expect(() => parseVolumeFlag('/tmp:/x:ro,rw')).toThrow(/^invalid mode: ro,rw$/);
    expect(() => parseVolumeFlag('/foo:rw')).toThrow(/^invalid volume specification: '\/foo:rw'$/);
    expect(() => parseVolumeFlag('a:b:c:d')).toThrow(/^invalid volume specification/);
    expect(() => parseVolumeFlag(':/x')).toThrow(/^invalid volume specification/);
    expect(() => parseVolumeFlag('x/y:/p')).toThrow('create x/y: "x/y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path');
    expect(() => parseVolumeFlag('a:/p')).toThrow(/includes invalid characters/); // one character: too short for the local driver
    expect(() => parseVolumeFlag('data:/')).toThrow(/destination can't be '\/'/);
    expect(() => parseVolumeFlag('/src:/dst:nocopy')).toThrow(/field VolumeOptions must not be specified/);
    expect(() => parseVolumeFlag('/src:/dst:rshared')).toThrow('glass mounts every bind mount private (rprivate): propagation "rshared" is not supported; leave it out');
    expect(parseVolumeFlag('/src:/dst:ro,rprivate')).toMatchObject({ readOnly: true });
    expect(() => parseMountFlag('type=bind,src=/a,dst=/b,bind-propagation=slave')).toThrow(/propagation "slave" is not supported/);
  });

  it('modes: one of each kind', () => {
    for (const ok of ['', 'ro', 'rw', 'z', 'Z', 'ro,z', 'rprivate', 'nocopy', 'ro,rshared,nocopy']) expect(validMountMode(ok), ok).toBe(true);
    for (const bad of ['rx', 'ro,rw', 'z,Z', 'shared,slave', 'RO']) expect(validMountMode(bad), bad).toBe(false);
  });
});

describe('--mount', () => {
  it('key=value fields, Docker\'s aliases and booleans', () => {
    expect(parseMountFlag('type=bind,source=/tmp,target=/t,readonly')).toMatchObject({ type: 'bind', source: '/tmp', destination: '/t', readOnly: true, spec: { Type: 'bind', Source: '/tmp', Target: '/t', ReadOnly: true } });
    expect(JSON.stringify(parseMountFlag('target=/b,readonly,src=/tmp,type=bind').spec)).toBe('{"Type":"bind","Source":"/tmp","Target":"/b","ReadOnly":true}'); // Docker's field order
    expect(parseMountFlag('type=volume,src=v1,dst=/v,volume-nocopy')).toMatchObject({ type: 'volume', source: 'v1', copy: false, mode: 'z', spec: { VolumeOptions: { NoCopy: true } } });
    expect(parseMountFlag('type=volume,destination=/anon,ro=false')).toMatchObject({ source: '', readOnly: false, copy: true });
    expect(parseMountFlag('type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770')).toMatchObject({ type: 'tmpfs', tmpfsOptions: 'noexec,nosuid,nodev,size=65536k,mode=1770' });
  });

  it('refuses what Docker refuses', () => {
    expect(() => parseMountFlag('type=bind,source=/tmp')).toThrow('invalid argument "type=bind,source=/tmp" for "--mount" flag: target is required');
    expect(() => parseMountFlag('source=/tmp,target=/x')).toThrow(/type is required/);
    expect(() => parseMountFlag('type=bind,src=/a,target=/x,foo=bar')).toThrow("unexpected key 'foo' in 'foo=bar'");
    expect(() => parseMountFlag('type=bind,target=/x')).toThrow('invalid mount config for type "bind": field Source must not be empty');
    expect(() => parseMountFlag('type=tmpfs,source=x,target=/x')).toThrow('invalid mount config for type "tmpfs": field Source must not be specified');
    expect(() => parseMountFlag('type=bind,source=/a,target=/x,volume-nocopy')).toThrow('invalid mount config for type "bind": field VolumeOptions must not be specified');
    expect(() => parseMountFlag('type=nfs,target=/x')).toThrow('invalid mount config for type "nfs": mount type unknown');
    expect(() => parseMountFlag('type=volume,target=rel')).toThrow('invalid mount config for type "volume": invalid mount path: \'rel\' mount path must be absolute');
    expect(() => parseMountFlag('type=bind,source=/a,target=/x,readonly=maybe')).toThrow(/invalid value for readonly: maybe/);
  });
});

describe('--tmpfs and --volumes-from', () => {
  it('tmpfs options merge over Docker\'s noexec,nosuid,nodev (a later flag wins over its opposite)', () => {
    expect(parseTmpfsFlag('/run')).toMatchObject({ destination: '/run', tmpfsOptions: 'noexec,nosuid,nodev' });
    expect(parseTmpfsFlag('/run:exec,size=1m').tmpfsOptions).toBe('nosuid,nodev,exec,size=1m');
    expect(mergeTmpfsOptions(['size=1m', 'size=2m', 'ro'])).toBe('noexec,nosuid,nodev,size=2m,ro');
    expect(() => parseTmpfsFlag('run')).toThrow(/mount path must be absolute/);
    expect(() => parseTmpfsFlag('/run:bogus')).toThrow('invalid tmpfs option ["bogus"]');
  });

  it('CONTAINER[:ro|rw]', () => {
    expect(parseVolumesFrom('store')).toEqual({ container: 'store', readOnly: false });
    expect(parseVolumesFrom('store:ro')).toEqual({ container: 'store', readOnly: true });
    expect(parseVolumesFrom('store:rw')).toEqual({ container: 'store', readOnly: false });
    expect(() => parseVolumesFrom('store:rx')).toThrow(/^invalid mode: rx$/);
    expect(() => parseVolumesFrom('')).toThrow(/cannot be an empty string/);
  });
});

describe("a container's mounts", () => {
  const m = (destination: string, extra: Partial<ContainerMount> = {}): ContainerMount => ({ type: 'volume', name: 'v', source: '/r/volumes/v/_data', destination, readOnly: false, mode: 'z', propagation: '', copy: true, ...extra });

  it('parents are mounted before children', () => {
    expect(sortMounts([m('/a/b/c'), m('/b'), m('/a'), m('/a/b')]).map((x) => x.destination)).toEqual(['/a', '/b', '/a/b', '/a/b/c']);
  });

  it('the shim gets type, source, destination and options', () => {
    expect(mountSpecPairs([m('/data', { readOnly: true }), { ...m('/src'), type: 'bind', name: undefined, source: '/home/me', copy: false }, { ...m('/t'), type: 'tmpfs', source: '', tmpfsOptions: 'noexec,nosuid,nodev' }])).toEqual([
      ['mount', 'volume\t/r/volumes/v/_data\t/data\tro,copy'],
      ['mount', 'bind\t/home/me\t/src\trw'],
      ['mount', 'tmpfs\ttmpfs\t/t\tnoexec,nosuid,nodev'],
    ]);
  });

  it("inspect's Mounts: Docker's MountPoint (no Name or Driver for a bind; --tmpfs not listed)", () => {
    expect(inspectMounts([{ ...m('/src'), type: 'bind', name: undefined, source: '/home/me', mode: '', propagation: 'rprivate', copy: false }, { ...m('/t'), type: 'tmpfs', source: '', mode: '', tmpfsFlag: true }])).toEqual([
      { Type: 'bind', Source: '/home/me', Destination: '/src', Mode: '', RW: true, Propagation: 'rprivate' },
    ]);
  });

  it('mountFor: which mount holds a path inside the container (for cp), the deepest first', () => {
    const mounts = [m('/data'), m('/data/sub', { name: 'w', source: '/r/volumes/w/_data' })];
    expect(mountFor(mounts, '/data/x/y')).toMatchObject({ mount: { name: 'v' }, rest: 'x/y' });
    expect(mountFor(mounts, '/data/sub')).toMatchObject({ mount: { name: 'w' }, rest: '' });
    expect(mountFor(mounts, '/database')).toBeUndefined();
  });

  it('volume names sort naturally, as volume ls lists them', () => {
    expect(['v10', 'v2', 'data', 'a031'].sort(naturalLess)).toEqual(['a031', 'data', 'v2', 'v10']);
  });
});
