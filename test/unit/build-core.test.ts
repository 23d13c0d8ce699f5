import { describe, expect, it } from 'vitest';
import { BuildArgs } from '../../runtime/engine/build/build-args.js';
import { portSpecs } from '../../runtime/engine/build/builder.js';
import { configDifference, probeCache } from '../../runtime/engine/build/cache.js';
import { goDuration, goHealthcheck, goList, goQuote, goQuoteList } from '../../runtime/engine/build/go-format.js';
import type { ImageRecord, ImageRunConfig } from '../../runtime/engine/images/types.js';

/**
 * The classic builder's pure rules: Go's formatting of step keys (they ARE
 * the cache key and the history text), build-arg scoping, and the cache
 * probe's choice and its reasons.
 */

describe('Go formatting of step keys, as moby writes them', () => {
  it('quotes like %q and lists like %v', () => {
    expect(goQuoteList(['/bin/sh', '-c', 'echo "hi"'])).toBe('["/bin/sh" "-c" "echo \\"hi\\""]');
    expect(goQuoteList([])).toBe('[]');
    expect(goQuote('tab\there\x01é')).toBe('"tab\\there\\x01é"');
    expect(goList(['/data', '/logs'])).toBe('[/data /logs]');
  });

  it('prints durations as time.Duration.String()', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(30e9)).toBe('30s');
    expect(goDuration(90e9)).toBe('1m30s');
    expect(goDuration(300e9)).toBe('5m0s');
    expect(goDuration(3600e9)).toBe('1h0m0s');
    expect(goDuration(1.5e9)).toBe('1.5s');
    expect(goDuration(250e6)).toBe('250ms');
    expect(goDuration(1500)).toBe('1.5µs');
  });

  it('prints a HEALTHCHECK as %q of *HealthConfig', () => {
    expect(goHealthcheck({ Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], Interval: 300e9, Timeout: 3e9 })).toBe(
      '&{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "5m0s" "3s" "0s" \'\\x00\'}',
    );
    expect(goHealthcheck({ Test: ['NONE'], Retries: 65 })).toBe('&{["NONE"] "0s" "0s" "0s" \'A\'}');
  });
});

describe('build args (moby buildargs.go)', () => {
  it('reach a stage only through an ARG declared in it; a bare ARG brings in a meta arg', () => {
    const global = new BuildArgs({ V: 'cli', META: undefined });
    global.declareMeta('BASE', 'busybox');
    global.declareMeta('TAG', undefined);
    expect(global.metaEnv()).toEqual(['BASE=busybox']);
    const stage = global.forStage();
    expect(stage.filterAllowed([])).toEqual([]);
    stage.declare('BASE', undefined);
    stage.declare('V', 'default');
    expect(stage.filterAllowed([]).sort()).toEqual(['BASE=busybox', 'V=cli']);
    // An ENV of the same name wins: the arg is not passed.
    expect(stage.filterAllowed(['V=env'])).toEqual(['BASE=busybox']);
  });

  it('RUN\'s key carries the args sorted after their count; an undeclared proxy arg is passed but not keyed', () => {
    const s = new BuildArgs({ http_proxy: 'http://p:3128', B: '2' }).forStage();
    s.declare('B', undefined);
    s.declare('A', '1');
    const passed = s.filterAllowed([]).sort();
    expect(passed).toEqual(['A=1', 'B=2', 'http_proxy=http://p:3128']);
    expect(s.prefixedCmd(passed, ['/bin/sh', '-c', 'make'])).toEqual(['|2', 'A=1', 'B=2', '/bin/sh', '-c', 'make']);
  });

  it('names the --build-args nothing declared', () => {
    const global = new BuildArgs({ USED: '1', NOPE: '2', HTTPS_PROXY: 'x' });
    global.forStage().declare('USED', undefined);
    expect(global.unused()).toEqual(['NOPE']);
  });
});

describe('EXPOSE port specs (nat.ParsePortSpecs)', () => {
  it('defaults to tcp, expands ranges, refuses a bad protocol', () => {
    expect(portSpecs('80')).toEqual(['80/tcp']);
    expect(portSpecs('53/UDP')).toEqual(['53/udp']);
    expect(portSpecs('8000-8002')).toEqual(['8000/tcp', '8001/tcp', '8002/tcp']);
    expect(() => portSpecs('80/xyz')).toThrow('Invalid proto: xyz');
    expect(() => portSpecs('http')).toThrow('Invalid containerPort: http');
  });
});

describe('the cache probe (moby getLocalCachedImage)', () => {
  const sh = (text: string) => ['/bin/sh', '-c', text];
  let n = 0;
  const image = (parent: string, key: ImageRunConfig, created = '2026-01-01T00:00:00Z'): ImageRecord => ({
    id: `sha256:${String(++n).padStart(64, '0')}`,
    manifestDigest: '',
    repoTags: [],
    repoDigests: [],
    created,
    size: 0,
    config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, parent: parent || undefined, container_config: key },
    layerDirs: [],
  });
  const P = `sha256:${'a'.repeat(64)}`;

  it('hits on a child of the same parent with the same Cmd and config, the newest of several', () => {
    const key = { Env: ['A=1'], Cmd: sh('#(nop) COPY file:abc in /app ') };
    const older = image(P, key, '2026-01-01T00:00:00Z');
    const newer = image(P, key, '2026-01-02T00:00:00Z');
    const elsewhere = image(`sha256:${'b'.repeat(64)}`, key);
    const { hit, verdict } = probeCache([older, elsewhere, newer], P, key);
    expect(hit).toBe(newer);
    expect(verdict.hit).toBe(true);
    expect(verdict.key).toEqual({ parent: P, cmd: key.Cmd });
  });

  it('says why it missed: nothing built on the parent, changed files, other build args, a config field', () => {
    expect(probeCache([], P, { Cmd: sh('echo') }).verdict.reason).toMatch(/^no image was built on [0-9a-f]{12} yet/);
    const copied = image(P, { Cmd: sh('#(nop) COPY file:1111111111111111111111 in /app ') });
    expect(probeCache([copied], P, { Cmd: sh('#(nop) COPY file:2222222222222222222222 in /app ') }).verdict.reason).toMatch(/files copied changed/);
    const ran = image(P, { Cmd: ['|1', 'V=1', ...sh('make')] });
    expect(probeCache([ran], P, { Cmd: ['|1', 'V=2', ...sh('make')] }).verdict.reason).toMatch(/build args differ.*"\|1 V=1" then, "\|1 V=2" now/);
    const env = image(P, { Env: ['A=1'], Cmd: sh('make') });
    expect(probeCache([env], P, { Env: ['A=2'], Cmd: sh('make') }).verdict.reason).toMatch(/its Env differs/);
    expect(probeCache([env], P, { Env: ['A=1'], Cmd: sh('make test') }).verdict.reason).toMatch(/none of the 1 image built on/);
    // A child that differs in User AND Cmd is not "the same instruction".
    const user = image(P, { User: 'app', Cmd: sh('make') });
    expect(probeCache([user], P, { Cmd: sh('make install') }).verdict.reason).toMatch(/none of the 1 image built on/);
  });

  it('compares the fields Docker compares', () => {
    expect(configDifference({ Cmd: ['a'], Labels: { x: '1' } }, { Cmd: ['a'], Labels: { x: '1' } })).toBeUndefined();
    expect(configDifference({ Cmd: ['a'], Labels: { x: '1' } }, { Cmd: ['a'], Labels: { x: '2' } })).toBe('Labels');
    expect(configDifference({ Cmd: ['a'], ExposedPorts: { '80/tcp': {} } }, { Cmd: ['a'] })).toBe('ExposedPorts');
    expect(configDifference({ Cmd: ['a'], User: 'x' }, { Cmd: ['a'] })).toBe('User');
    expect(configDifference({ Cmd: ['a'], Entrypoint: null }, { Cmd: ['a'] })).toBeUndefined();
  });
});
