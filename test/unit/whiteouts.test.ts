import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '../../runtime/kernel/step.js';
import { convertWhiteouts } from '../../runtime/kernel/whiteouts.js';

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'glass-whiteouts-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('OCI whiteouts to overlay whiteouts', () => {
  it('never follows a symlink out of the layer directory', async () => {
    const outside = fresh();
    writeFileSync(join(outside, 'secret'), 'keep me\n');
    writeFileSync(join(outside, '.wh.secret'), '');
    writeFileSync(join(outside, '.wh..wh..opq'), '');
    const layer = fresh();
    symlinkSync(outside, join(layer, 'out'));
    mkdirSync(join(layer, 'sub'));
    symlinkSync(outside, join(layer, 'sub', 'deeper'));
    const steps: Step[] = [];
    expect(await convertWhiteouts((s) => steps.push(s), layer)).toEqual({ whiteouts: 0, opaque: 0 });
    expect(readdirSync(outside).sort()).toEqual(['.wh..wh..opq', '.wh.secret', 'secret']);
    expect(steps).toEqual([]);
  });

  it('drops aufs bookkeeping and refuses a whiteout that names nothing', async () => {
    const layer = fresh();
    mkdirSync(join(layer, '.wh..wh.plnk'));
    writeFileSync(join(layer, '.wh..wh.aufs'), '');
    await convertWhiteouts(() => {}, layer);
    expect(readdirSync(layer)).toEqual([]);
    writeFileSync(join(layer, '.wh.'), '');
    await expect(convertWhiteouts(() => {}, layer)).rejects.toThrow(/malformed whiteout \.wh\.: it names no file/);
  });

  it.skipIf(!isRoot)('makes a char device 0/0 per whiteout and marks opaque directories, each an explained step', async () => {
    const layer = fresh();
    mkdirSync(join(layer, 'etc/cache'), { recursive: true });
    writeFileSync(join(layer, 'etc/.wh.motd'), '');
    writeFileSync(join(layer, 'etc/cache/.wh..wh..opq'), '');
    writeFileSync(join(layer, 'etc/cache/new'), 'new\n');
    const old = new Date('2026-01-01T00:00:00Z');
    utimesSync(join(layer, 'etc'), old, old);
    utimesSync(join(layer, 'etc/cache'), old, old);
    const steps: Step[] = [];
    expect(await convertWhiteouts((s) => steps.push(s), layer)).toEqual({ whiteouts: 1, opaque: 1 });
    // The directories keep the times the layer gave them (ls -l in a container shows the image's dates).
    expect(lstatSync(join(layer, 'etc')).mtime).toEqual(old);
    expect(lstatSync(join(layer, 'etc/cache')).mtime).toEqual(old);
    const dev = lstatSync(join(layer, 'etc/motd'));
    expect(dev.isCharacterDevice()).toBe(true);
    expect(dev.rdev).toBe(0);
    expect(existsSync(join(layer, 'etc/.wh.motd'))).toBe(false);
    expect(readdirSync(join(layer, 'etc/cache'))).toEqual(['new']);
    expect(execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(layer, 'etc/cache')], { encoding: 'utf8' })).toBe('y');
    const done = steps.filter((s) => s.phase === 'done');
    expect(done.map((s) => s.command).sort()).toEqual([
      `mknod -m 000 ${join(layer, 'etc/motd')} c 0 0`,
      `setfattr -h -n trusted.overlay.opaque -v y ${join(layer, 'etc/cache')}`,
    ]);
    for (const s of done) expect(s.why.length).toBeGreaterThan(40);
  });
});
