import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLock } from '../../runtime/engine/state/lock.js';
import { processStartTime } from '../../runtime/kernel/proc.js';

describe('withLock (mkdir lock between glass processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glass-lock-'));

  it('breaks at once a lock whose owner is gone', async () => {
    const lock = join(dir, 'dead');
    mkdirSync(lock);
    writeFileSync(join(lock, 'owner'), `${process.pid} 1`); // our pid, another start time: a process long gone
    const t0 = Date.now();
    expect(await withLock(lock, async () => 'got it')).toBe('got it');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(existsSync(lock)).toBe(false);
  });

  it('waits while the owner lives, and gets the lock when it is released', async () => {
    const lock = join(dir, 'live');
    mkdirSync(lock);
    writeFileSync(join(lock, 'owner'), `${process.pid} ${processStartTime(process.pid)}`);
    let got = false;
    const waiting = withLock(lock, async () => (got = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toBe(false);
    rmSync(lock, { recursive: true });
    await waiting;
    expect(got).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
