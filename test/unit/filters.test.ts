import { describe, expect, it } from 'vitest';
import { containerMatcher, type ContainerFilters } from '../../runtime/engine/containers/filters.js';
import type { ContainerInfo } from '../../runtime/engine/containers/types.js';

const ctr = (name: string, status: ContainerInfo['status'], exitCode: number, image = 'busybox', imageId = 'sha256:aa'): ContainerInfo =>
  ({ config: { id: `${name.length}`.repeat(64), name, image, imageId }, status, exitCode, running: status === 'running' }) as unknown as ContainerInfo;
const all = [ctr('web', 'running', 0), ctr('ok', 'exited', 0), ctr('bad', 'dead', 3, 'other', 'sha256:bb'), ctr('new', 'created', 0)];
const filters = (args: string[]): ContainerFilters => {
  const f: ContainerFilters = {};
  for (const a of args) (f[a.slice(0, a.indexOf('='))] ??= []).push(a.slice(a.indexOf('=') + 1));
  return f;
};
const names = (args: string[], ancestorIds: string[] = []) => all.filter(containerMatcher(filters(args), ancestorIds)).map((c) => c.config.name);

describe('ps --filter', () => {
  it('matches each key the way docker does', () => {
    expect(names(['status=exited'])).toEqual(['ok', 'bad']); // a dead container (shim gone) shows as exited
    expect(names(['exited=3'])).toEqual(['bad']);
    expect(names(['name=e'])).toEqual(['web', 'new']); // a regexp against "/<name>"
    expect(names(['name=^/ok$'])).toEqual(['ok']);
    expect(names(['id=333'])).toEqual(['web', 'bad', 'new']);
    expect(names(['ancestor=other'])).toEqual(['bad']); // by the name it was created with
    expect(names(['ancestor=x'], ['sha256:aa'])).toEqual(['web', 'ok', 'new']); // by the resolved image ID
  });

  it('volume=NAME or a mount path (Docker\'s ps --filter volume=)', () => {
    const withMounts = all.map((c) => (c.config.name === 'ok' ? { ...c, config: { ...c.config, mounts: [{ type: 'volume', name: 'data', source: '/r/volumes/data/_data', destination: '/srv', readOnly: false, mode: 'z', propagation: '', copy: true }] } } : c)) as ContainerInfo[];
    const match = (v: string) => withMounts.filter(containerMatcher({ volume: [v] }, [])).map((c) => c.config.name);
    expect(match('data')).toEqual(['ok']);
    expect(match('/srv')).toEqual(['ok']);
    expect(match('other')).toEqual([]);
  });

  it('ORs values of one key and ANDs different keys', () => {
    expect(names(['status=running', 'status=created'])).toEqual(['web', 'new']);
    expect(names(['status=running', 'status=exited', 'name=o'])).toEqual(['ok']);
  });

  it('refuses unknown keys, states, codes and regexps with a hint', () => {
    expect(() => names(['size=1'])).toThrow(/Invalid filter 'size': glass filters containers by id, name/);
    expect(() => names(['status=zombie'])).toThrow(/the states are created, restarting, running/);
    expect(() => names(['exited=x'])).toThrow(/give an exit code/);
    expect(() => names(['name=('])).toThrow(/not a valid regular expression/);
  });
});
