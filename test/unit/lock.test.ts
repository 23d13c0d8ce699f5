import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lockName, withLock } from '../../runtime/engine/state/lock.js';

const LOCK_TS = fileURLToPath(new URL('../../runtime/engine/state/lock.ts', import.meta.url));

/** A read-modify-write that loses updates unless the lock holds: read, yield, write. */
async function increment(file: string): Promise<void> {
  const n = Number(readFileSync(file, 'utf8'));
  await new Promise((r) => setImmediate(r));
  writeFileSync(file, String(n + 1));
}

describe('withLock (an abstract unix socket name between glass processes)', () => {
  it('serialises 300 concurrent writers in one process: no lost update', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glass-lock-'));
    try {
      const counter = join(dir, 'n');
      writeFileSync(counter, '0');
      await Promise.all(Array.from({ length: 300 }, () => withLock(join(dir, 'lock'), () => increment(counter))));
      expect(readFileSync(counter, 'utf8')).toBe('300');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serialises 8 processes × 40 writers (320 updates, none lost) and creates nothing on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glass-lock-'));
    try {
      const counter = join(dir, 'n');
      writeFileSync(counter, '0');
      const script = `
        import { withLock } from ${JSON.stringify(LOCK_TS)};
        import { readFileSync, writeFileSync } from 'node:fs';
        const file = ${JSON.stringify(counter)};
        await Promise.all(Array.from({ length: 40 }, () => withLock(${JSON.stringify(join(dir, 'lock'))}, async () => {
          const n = Number(readFileSync(file, 'utf8'));
          await new Promise((r) => setImmediate(r));
          writeFileSync(file, String(n + 1));
        })));`;
      const codes = await Promise.all(
        Array.from({ length: 8 }, () =>
          new Promise<number | null>((done) => {
            const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'inherit' });
            child.on('exit', done);
          }),
        ),
      );
      expect(codes).toEqual(Array(8).fill(0));
      expect(readFileSync(counter, 'utf8')).toBe('320');
      expect(readFileSync(counter, 'utf8') && (await import('node:fs')).readdirSync(dir)).toEqual(['n']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('is free again at once when its holder is killed (no stale lock to break)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glass-lock-'));
    const path = join(dir, 'held');
    // A child takes the lock and holds it until it is killed.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(lockName(path))}, () => console.log('held'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout.once('data', r));
    let got = false;
    const waiting = withLock(path, async () => (got = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toBe(false); // held by a live process: never broken
    child.kill('SIGKILL');
    await waiting;
    expect(got).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('names a lock by its absolute path', () => {
    expect(lockName('/x/locks/a')).toBe(lockName('/x/locks/../locks/a'));
    expect(lockName('/x/locks/a')).not.toBe(lockName('/x/locks/b'));
    expect(lockName('/x/locks/a').startsWith('\0glass-lock/')).toBe(true);
  });
});

describe('withLock re-entrancy', () => {
  it('lets one chain of calls take its own lock again, but not a concurrent one', async () => {
    const path = join(tmpdir(), `glass-reentrant-${process.pid}`);
    const order: string[] = [];
    await Promise.all([
      withLock(path, async () => {
        order.push('outer');
        await withLock(path, async () => void order.push('inner')); // would wait for itself forever
        await new Promise((r) => setTimeout(r, 30));
        order.push('outer done');
      }),
      (async () => {
        await new Promise((r) => setTimeout(r, 5));
        await withLock(path, async () => void order.push('other'));
      })(),
    ]);
    expect(order).toEqual(['outer', 'inner', 'outer done', 'other']);
  });
});
