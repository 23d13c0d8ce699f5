import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_BLOCK, readLog, tailEntries, type LogEntry } from '../../runtime/engine/containers/logs.js';
import { containerLogConfig, logLimits, parseLogFileCount, parseLogSize, resolveLogConfig } from '../../runtime/engine/containers/log-config.js';
import type { ContainerConfig } from '../../runtime/engine/containers/types.js';

/** Root-free tests of the json-file log rules and reader, on files made here. */

const scratch = mkdtempSync(join(tmpdir(), 'glass-logs-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const newLog = () => {
  const dir = join(scratch, String(dirs++));
  mkdirSync(dir);
  return join(dir, 'c-json.log');
};

const line = (log: string, stream = 'stdout') => JSON.stringify({ log, stream, time: '2026-01-01T00:00:00.000000000Z' }) + '\n';
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(`line ${from + i}\n`)).join('');
const texts = (entries: LogEntry[]) => entries.map((e) => e.log.trimEnd());
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

async function collect(path: string, opts: Parameters<typeof readLog>[1] = {}): Promise<string[]> {
  const out: LogEntry[] = [];
  for await (const e of readLog(path, opts)) out.push(e);
  return texts(out);
}

describe('log options (--log-opt), as Docker reads them', () => {
  it('max-size uses go-units FromHumanSize: decimal units, optional i/b, a fraction truncated', () => {
    expect(parseLogSize('10m')).toBe(10_000_000);
    expect(parseLogSize('1k')).toBe(1000);
    expect(parseLogSize('1KiB')).toBe(1000);
    expect(parseLogSize('1kb')).toBe(1000);
    expect(parseLogSize('2 G')).toBe(2_000_000_000);
    expect(parseLogSize('1.5m')).toBe(1_500_000);
    expect(parseLogSize('123')).toBe(123);
  });

  it('refuses bad sizes and counts with Docker’s messages', () => {
    expect(() => parseLogSize('abc')).toThrow("failed to initialize logging driver: invalid size: 'abc'");
    expect(() => parseLogSize('-1')).toThrow("invalid size: '-1'");
    expect(() => parseLogSize('')).toThrow("invalid size: ''");
    expect(() => parseLogSize('0')).toThrow('max-size must be a positive number');
    expect(() => parseLogSize('0.1')).toThrow('max-size must be a positive number');
    expect(() => parseLogSize('1.2.3m')).toThrow('strconv.ParseFloat: parsing "1.2.3": invalid syntax');
    expect(parseLogFileCount('3')).toBe(3);
    expect(parseLogFileCount('+2')).toBe(2);
    expect(() => parseLogFileCount('0')).toThrow('max-file cannot be less than 1');
    expect(() => parseLogFileCount('x')).toThrow('strconv.Atoi: parsing "x": invalid syntax');
    expect(() => parseLogFileCount('99999999999999999999')).toThrow('value out of range');
  });

  it('merges glass’s defaults (10m, 3) into what is given; refuses other drivers and unknown options', () => {
    expect(resolveLogConfig()).toEqual({ type: 'json-file', config: { 'max-size': '10m', 'max-file': '3' } });
    expect(resolveLogConfig({ type: '', config: { 'max-size': '1m' } })).toEqual({ type: 'json-file', config: { 'max-size': '1m', 'max-file': '3' } });
    expect(resolveLogConfig({ config: { 'max-file': '1' } }).config).toEqual({ 'max-size': '10m', 'max-file': '1' });
    expect(() => resolveLogConfig({ config: { foo: 'bar' } })).toThrow("unknown log opt 'foo' for json-file log driver");
    expect(() => resolveLogConfig({ config: { compress: 'true' } })).toThrow("log opt 'compress' for json-file log driver is not supported by glass");
    expect(() => resolveLogConfig({ type: 'syslog' })).toThrow("logger: no log driver named 'syslog' is registered");
    expect(() => resolveLogConfig({ config: { 'max-size': 'big' } })).toThrow("invalid size: 'big'");
  });

  it('gives the shim bytes and a count; a container made before log options gets the defaults', () => {
    expect(logLimits(resolveLogConfig({ config: { 'max-size': '1.5k', 'max-file': '2' } }))).toEqual({ maxSize: '1500', maxFile: '2' });
    const old = { id: 'x' } as ContainerConfig;
    expect(logLimits(containerLogConfig(old))).toEqual({ maxSize: '10000000', maxFile: '3' });
  });
});

describe('tailEntries reads from the end', () => {
  // Three files of 20 000 entries each (about 1.5 MB each), oldest first.
  const files = [lines(1, 20000), lines(20001, 40000), lines(40001, 60000)].map((t) => Buffer.from(t));
  const counting = (bufs: Buffer[]) => {
    const calls: { file: number; position: number; length: number }[] = [];
    const readAt = async (file: number, position: number, length: number) => {
      calls.push({ file, position, length });
      return bufs[file]!.subarray(position, position + length);
    };
    return { calls, readAt };
  };

  it('the last line costs one block of the last file, not a pass over the log', async () => {
    const { calls, readAt } = counting(files);
    const r = await tailEntries(files.map((b) => b.length), 1, readAt);
    expect(texts(r.entries)).toEqual(['line 60000']);
    expect(calls).toEqual([{ file: 2, position: files[2]!.length - LOG_BLOCK, length: LOG_BLOCK }]);
    expect(r.end).toBe(files[2]!.length);
  });

  it('100 lines take as many blocks as they fill; tail 0 reads only to find where whole lines end', async () => {
    const { calls, readAt } = counting(files);
    const r = await tailEntries(files.map((b) => b.length), 100, readAt, 1024);
    expect(texts(r.entries)).toEqual(range(59901, 60000));
    const bytes = calls.reduce((n, c) => n + c.length, 0);
    expect(bytes).toBeLessThan(100 * 80 + 2 * 1024); // 100 entries of < 80 bytes, plus a block either side
    const zero = counting(files);
    expect((await tailEntries(files.map((b) => b.length), 0, zero.readAt)).entries).toEqual([]);
    expect(zero.calls.length).toBe(1);
  });

  it('crosses into older files when the current one has fewer lines, and reads only their ends', async () => {
    const bufs = [files[0]!, files[1]!, Buffer.from(lines(40001, 40002))];
    const { calls, readAt } = counting(bufs);
    const r = await tailEntries(bufs.map((b) => b.length), 5, readAt);
    expect(texts(r.entries)).toEqual(range(39998, 40002));
    expect(calls.map((c) => c.file)).toEqual([2, 1]);
    // Everything, from a tiny log across three files: each file read whole, oldest lines first.
    const small = [lines(1, 3), lines(4, 4), lines(5, 6)].map((t) => Buffer.from(t));
    const all = await tailEntries(small.map((b) => b.length), 100, counting(small).readAt, 16);
    expect(texts(all.entries)).toEqual(range(1, 6));
  });

  it('leaves out an entry still being written, and says where the whole lines end', async () => {
    const whole = lines(1, 10);
    const current = Buffer.from(whole + '{"log":"line 11\\n","str');
    const r = await tailEntries([current.length], 2, counting([current]).readAt, 7);
    expect(texts(r.entries)).toEqual(['line 9', 'line 10']);
    expect(r.end).toBe(Buffer.byteLength(whole));
  });

  it('skips damaged lines and does not count them', async () => {
    const buf = Buffer.from(line('a\n') + 'not json\n' + line('b\n') + '\n' + '{"truncated\n');
    const r = await tailEntries([buf.length], 2, counting([buf]).readAt, 5);
    expect(r.entries.map((e) => e.log)).toEqual(['a\n', 'b\n']);
  });
});

describe('readLog', () => {
  it('reads rotated files oldest first, then the current one; no file is no output', async () => {
    const path = newLog();
    expect(await collect(path)).toEqual([]);
    expect(await collect(path, { tail: 3 })).toEqual([]);
    writeFileSync(`${path}.2`, lines(1, 1000));
    writeFileSync(`${path}.1`, lines(1001, 2000));
    writeFileSync(path, lines(2001, 2500) + '{"partial');
    expect(await collect(path)).toEqual(range(1, 2500));
    expect(await collect(path, { tail: 3 })).toEqual(range(2498, 2500));
    expect(await collect(path, { tail: 600 })).toEqual(range(1901, 2500));
  });

  it('streams a file far bigger than one read, with a stream for each entry', async () => {
    const path = newLog();
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 40; i++) appendFileSync(path, line(`${big}${i}\n`, i % 2 ? 'stderr' : 'stdout'));
    const got: LogEntry[] = [];
    for await (const e of readLog(path)) got.push(e);
    expect(got.length).toBe(40);
    expect(got[39]!.log).toBe(`${big}39\n`);
    expect(got.map((e) => e.stream).slice(0, 2)).toEqual(['stdout', 'stderr']);
  });

  it('reports a log it cannot read instead of printing nothing', async () => {
    const path = newLog();
    mkdirSync(path); // reading a directory fails with EISDIR
    await expect(collect(path)).rejects.toThrow(`cannot read the container's log ${path}: EISDIR: illegal operation on a directory (read); check that it is a file glass can read`);
    await expect(collect(path, { tail: 1 })).rejects.toThrow(/EISDIR/);
  });

  /** A follower whose entries the test takes one at a time, waiting on each. */
  function follower(path: string) {
    let running = true;
    const it = readLog(path, { follow: true, pollMs: 2, isRunning: async () => running });
    return {
      next: async (n: number) => {
        const out: LogEntry[] = [];
        while (out.length < n) {
          const r = await it.next();
          if (r.done) break;
          out.push(r.value);
        }
        return texts(out);
      },
      stop: async () => {
        running = false;
        const rest: LogEntry[] = [];
        for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
        return texts(rest);
      },
    };
  }

  /** What the shim does (jsonlog.c): .1 → .2 ..., current → .1, a new current. */
  function rotate(path: string, maxFile: number) {
    if (maxFile < 2) {
      unlinkSync(path);
    } else {
      rmSync(`${path}.${maxFile - 1}`, { force: true });
      for (let i = maxFile - 2; i >= 1; i--) {
        try {
          renameSync(`${path}.${i}`, `${path}.${i + 1}`);
        } catch { /* not there yet */ }
      }
      renameSync(path, `${path}.1`);
    }
    writeFileSync(path, '');
  }

  it('follows across rotations without losing or repeating a line', async () => {
    const path = newLog();
    const f = follower(path);
    writeFileSync(path, lines(1, 3));
    expect(await f.next(3)).toEqual(range(1, 3));
    // Written just before the rotation, then the new file.
    appendFileSync(path, lines(4, 5));
    rotate(path, 3);
    appendFileSync(path, lines(6, 7));
    expect(await f.next(4)).toEqual(range(4, 7));
    // Two rotations before the follower looks again: the middle file is read from its new name.
    appendFileSync(path, lines(8, 8));
    rotate(path, 3);
    appendFileSync(path, lines(9, 10));
    rotate(path, 3);
    appendFileSync(path, lines(11, 11));
    expect(await f.next(4)).toEqual(range(8, 11));
    // max-file 1 (no rotated files then): the file is unlinked and started again.
    rmSync(`${path}.1`);
    rmSync(`${path}.2`);
    appendFileSync(path, lines(12, 12));
    rotate(path, 1);
    appendFileSync(path, lines(13, 14));
    expect(await f.next(3)).toEqual(range(12, 14));
    // A file cut short in place (shorter than what was read) is read again from its start.
    truncateSync(path, 0);
    appendFileSync(path, lines(15, 15));
    expect(await f.next(1)).toEqual(range(15, 15));
    // An entry in two writes is one entry.
    appendFileSync(path, line('line 16\n').slice(0, 10));
    appendFileSync(path, line('line 16\n').slice(10) + lines(17, 17));
    expect(await f.next(2)).toEqual(range(16, 17));
    appendFileSync(path, lines(18, 19));
    expect(await f.stop()).toEqual(range(18, 19));
  });

  it('follows a log that does not exist yet, and from --tail', async () => {
    const path = newLog();
    const waiting = follower(path);
    const first = waiting.next(2);
    writeFileSync(path, lines(1, 2));
    expect(await first).toEqual(range(1, 2));
    expect(await waiting.stop()).toEqual([]);

    // --tail 1 -f: the last line, then what comes after it (taken once the first is out: no race with the tail).
    let running = true;
    const it = readLog(path, { follow: true, tail: 1, pollMs: 2, isRunning: async () => running });
    expect(((await it.next()).value as LogEntry).log).toBe('line 2\n');
    appendFileSync(path, lines(3, 3));
    expect(((await it.next()).value as LogEntry).log).toBe('line 3\n');
    running = false;
    expect((await it.next()).done).toBe(true);
  });
});
