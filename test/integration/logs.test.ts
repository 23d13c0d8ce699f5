import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GLASS, glass, isRoot, useRoot } from '../helpers.js';

/**
 * The json-file log with a bound: the shim rotates it (--log-opt max-size,
 * max-file; glass's defaults 10m and 3), and `logs` streams it whatever its
 * size, reads --tail from the end, follows across rotations and reports what
 * it cannot read.
 */

let n = 0;
const unique = (what: string) => `logs-${what}-${process.pid}-${n++}`;

async function inspect(root: string, ref: string) {
  const r = await glass(root, ['inspect', ref]);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout)[0];
}

/** The log's files (current, .1, .2 ...) and their sizes. */
function logFiles(logPath: string): { name: string; size: number }[] {
  const base = basename(logPath);
  return readdirSync(dirname(logPath))
    .filter((f) => f === base || (f.startsWith(`${base}.`) && /^\d+$/.test(f.slice(base.length + 1))))
    .map((f) => ({ name: f, size: statSync(join(dirname(logPath), f)).size }));
}

/**
 * For the tests below that run many glass commands one after another (up to
 * 18, runs among them): each takes seconds with the CPU throttled to 5% of
 * one core (a learner's slow VM), where they took 55 s to more than the
 * default 60 s.
 */
const MANY_COMMANDS_MS = 150_000;

/** Wait for the container to exit (glass wait), returning its code. */
async function waitExit(root: string, ref: string): Promise<number> {
  const r = await glass(root, ['wait', ref], { timeout: 300_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  return Number(r.stdout.trim());
}

describe.skipIf(!isRoot)('logs: rotation and reading', () => {
  const root = useRoot();

  it('200 MiB of output stays within max-size × max-file, and --tail 1 is its last line', { timeout: 300_000 }, async () => {
    const name = unique('big');
    // 209 716 lines of 1000 "x" and a newline (just over 200 MiB), then THE-END.
    const script = 'x=$(head -c 1000 /dev/zero | tr "\\0" x); yes "$x" | head -n 209716; echo THE-END';
    const started = Date.now();
    const r = await glass(root, ['run', '-d', '--name', name, '--log-opt', 'max-size=1m', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', script]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await waitExit(root, name)).toBe(0);
    const seconds = (Date.now() - started) / 1000;

    const info = await inspect(root, name);
    expect(info.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '3' } });
    const files = logFiles(info.LogPath);
    // Docker's units are decimal: 1m is 1 000 000 bytes. A file is rotated before an entry would take it past that.
    expect(files.map((f) => f.name).sort()).toEqual([basename(info.LogPath), `${basename(info.LogPath)}.1`, `${basename(info.LogPath)}.2`]);
    for (const f of files) expect(f.size, f.name).toBeLessThanOrEqual(1_000_000);
    expect(files.reduce((s, f) => s + f.size, 0)).toBeLessThanOrEqual(3_000_000);

    const tail = await glass(root, ['logs', '--tail', '1', name]);
    expect(tail).toEqual({ stdout: 'THE-END\n', stderr: '', exitCode: 0 });
    const two = await glass(root, ['logs', '--tail', '2', name]);
    expect(two.stdout.endsWith('x'.repeat(100) + '\nTHE-END\n')).toBe(true);
    // The whole log streams: only the newest ~3 MB are left, all of them 1000-x lines but the last.
    const all = await execa('sh', ['-c', `${GLASS} --root ${root} logs ${name} | sort | uniq -c | sort -n`], { reject: false });
    expect(all.exitCode).toBe(0);
    const counts = all.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(counts.at(-1)![1]).toBe('x'.repeat(1000));
    expect(Number(counts.at(-1)![0])).toBeGreaterThan(1500);
    expect(all.stdout).toContain(' 1 THE-END');
    console.log(`200 MiB through the log in ${seconds.toFixed(1)} s`);
    expect((await glass(root, ['rm', name])).exitCode).toBe(0);
  });

  it('a default container is bounded: json-file, max-size 10m, max-file 3, given to the shim in bytes', { timeout: MANY_COMMANDS_MS }, async () => {
    const name = unique('default');
    const r = await glass(root, ['run', '--name', name, 'busybox', 'true']);
    expect(r.exitCode, r.stderr).toBe(0);
    const info = await inspect(root, name);
    expect(info.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
    const spec = readFileSync(info.GlassSpecPath, 'utf8').split('\0');
    expect(spec[spec.indexOf('log-max-size') + 1]).toBe('10000000');
    expect(spec[spec.indexOf('log-max-file') + 1]).toBe('3');
    // One option given: the other keeps its default; --log-driver json-file is accepted.
    const c = await glass(root, ['create', '--name', unique('one-opt'), '--log-driver', 'json-file', '--log-opt', 'max-file=5', 'busybox', 'true']);
    expect(c.exitCode, c.stderr).toBe(0);
    expect((await inspect(root, c.stdout.trim())).HostConfig.LogConfig.Config).toEqual({ 'max-size': '10m', 'max-file': '5' });
    for (const ref of [name, c.stdout.trim()]) expect((await glass(root, ['rm', ref])).exitCode).toBe(0);
  });

  it('max-file 2 keeps two files in order; max-file 1 keeps one file', { timeout: MANY_COMMANDS_MS }, async () => {
    const two = unique('two');
    expect((await glass(root, ['run', '--name', two, '--log-opt', 'max-size=2k', '--log-opt', 'max-file=2', 'busybox', 'seq', '1', '1000'])).exitCode).toBe(0);
    const info = await inspect(root, two);
    const files = logFiles(info.LogPath);
    expect(files.length).toBe(2);
    for (const f of files) expect(f.size).toBeLessThanOrEqual(2000);
    // What is left is the newest lines, consecutive, ending with 1000.
    const lines = (await glass(root, ['logs', two])).stdout.trim().split('\n').map(Number);
    expect(lines.at(-1)).toBe(1000);
    expect(lines.length).toBeGreaterThan(20);
    expect(lines).toEqual(lines.map((_, i) => 1000 - lines.length + 1 + i));

    const one = unique('one');
    expect((await glass(root, ['run', '--name', one, '--log-opt', 'max-size=1k', '--log-opt', 'max-file=1', 'busybox', 'seq', '1', '1000'])).exitCode).toBe(0);
    const oneFiles = logFiles((await inspect(root, one)).LogPath);
    expect(oneFiles.length).toBe(1);
    expect(oneFiles[0]!.size).toBeLessThanOrEqual(1000);
    expect((await glass(root, ['logs', '--tail', '1', one])).stdout).toBe('1000\n');
    for (const ref of [two, one]) expect((await glass(root, ['rm', ref])).exitCode).toBe(0);
  });

  it('logs -f follows across rotations: every line once, in order', { timeout: 120_000 }, async () => {
    const name = unique('follow');
    // max-file large enough that no file is deleted before the follower reads it: this is about following renames.
    // It waits for SIGUSR1 (sent once the follower is following), then writes.
    const script = 'trap "go=1" USR1; echo waiting; while [ -z "$go" ]; do usleep 10000; done; for i in $(seq 1 300); do echo line-$i; usleep 1000; done';
    const r = await glass(root, ['run', '-d', '--name', name, '--log-opt', 'max-size=1k', '--log-opt', 'max-file=1000', 'busybox', 'sh', '-c', script]);
    expect(r.exitCode, r.stderr).toBe(0);
    const info = await inspect(root, name);
    const follow = execa(GLASS, ['--root', root, '--no-color', 'logs', '-f', name], { reject: false, stripFinalNewline: false, timeout: 100_000 });
    // Wait until the follower has printed the first line, then let the container write.
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      follow.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('waiting\n')) resolve();
      });
      follow.catch(reject).then(() => reject(new Error(`logs -f ended before the first line: ${seen}`)));
    });
    expect((await glass(root, ['kill', '--signal', 'USR1', name])).exitCode).toBe(0);
    const f = await follow;
    expect(f.exitCode).toBe(0);
    expect(f.stdout).toBe(['waiting', ...Array.from({ length: 300 }, (_, i) => `line-${i + 1}`)].join('\n') + '\n');
    expect(logFiles(info.LogPath).length).toBeGreaterThan(10); // it did rotate, many times
    expect((await glass(root, ['rm', name])).exitCode).toBe(0);
  });

  it('a full disk drops log entries (counted in shim.log) but never the output to attached clients', { timeout: 120_000 }, async () => {
    const name = unique('full');
    // The log on a 64 KiB tmpfs, filled up: the shim's writes fail with ENOSPC until the filler goes.
    const disk = execa('mktemp', ['-d', '/tmp/glass-logs-tmpfs-XXXXXX']);
    const dir = (await disk).stdout.trim();
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    try {
      await execa('sh', ['-c', `head -c 1048576 /dev/zero > ${dir}/filler`], { reject: false }); // stops at ENOSPC
      const script = 'for i in $(seq 1 100); do echo lost-$i; done; trap "go=1" USR1; echo waiting; while [ -z "$go" ]; do usleep 10000; done; echo kept';
      const c = await glass(root, ['create', '--name', name, 'busybox', 'sh', '-c', script]);
      expect(c.exitCode, c.stderr).toBe(0);
      const info = await inspect(root, name);
      await execa('ln', ['-s', `${dir}/log`, info.LogPath]); // the shim opens (and creates) the log through the link
      const started = execa(GLASS, ['--root', root, '--no-color', 'start', '-a', name], { reject: false, stripFinalNewline: false, timeout: 60_000 });
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        started.stdout!.on('data', (d: Buffer) => {
          seen += d.toString();
          if (seen.includes('waiting\n')) resolve();
        });
        started.catch(reject).then(() => reject(new Error(`start -a ended early: ${seen}`)));
      });
      rmSync(`${dir}/filler`);
      expect((await glass(root, ['kill', '--signal', 'USR1', name])).exitCode).toBe(0);
      const r = await started;
      expect(r.exitCode).toBe(0);
      // Every line reached the attached client.
      expect(r.stdout).toBe([...Array.from({ length: 100 }, (_, i) => `lost-${i + 1}`), 'waiting', 'kept'].join('\n') + '\n');
      // The log kept what came once there was room again, and nothing broken.
      expect((await glass(root, ['logs', name])).stdout).toBe('kept\n');
      const shimLog = readFileSync(join(info.GlassStateDir, 'shim.log'), 'utf8');
      expect(shimLog).toMatch(/writing the log \S+ failed \(No space left on device\): dropping output until a write works again/);
      expect(shimLog).toMatch(/writing the log \S+ works again; [1-9]\d* bytes of output were dropped/);
      expect((await glass(root, ['rm', name])).exitCode).toBe(0);
    } finally {
      await glass(root, ['rm', '-f', name]);
      await execa('umount', [dir], { reject: false });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a log that cannot be read is an error, not an empty output', async () => {
    const name = unique('unreadable');
    expect((await glass(root, ['run', '--name', name, 'busybox', 'echo', 'hi'])).exitCode).toBe(0);
    const info = await inspect(root, name);
    rmSync(info.LogPath);
    expect(await glass(root, ['logs', name])).toEqual({ stdout: '', stderr: '', exitCode: 0 }); // no log at all: nothing to show
    mkdirSync(info.LogPath); // a directory where the file should be: read fails with EISDIR
    for (const args of [['logs'], ['logs', '--tail', '1']]) {
      const r = await glass(root, [...args, name]);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`Error: cannot read the container's log ${info.LogPath}: EISDIR: illegal operation on a directory (read); check that it is a file glass can read and that the disk under the state root is healthy\n`);
    }
    expect((await glass(root, ['rm', name])).exitCode).toBe(0);
  });

  it('bad --log-driver and --log-opt values: one line, exit 125, nothing created', { timeout: MANY_COMMANDS_MS }, async () => {
    const cases: [string[], string][] = [
      [['--log-opt', 'foo=bar'], "glass: unknown log opt 'foo' for json-file log driver\n"],
      [['--log-opt', 'max-size=abc'], "glass: failed to initialize logging driver: invalid size: 'abc'\n"],
      [['--log-opt', 'max-size=0'], 'glass: failed to initialize logging driver: max-size must be a positive number\n'],
      [['--log-opt', 'max-size'], "glass: failed to initialize logging driver: invalid size: ''\n"],
      [['--log-opt', 'max-file=0'], 'glass: failed to initialize logging driver: max-file cannot be less than 1\n'],
      [['--log-opt', 'max-file=two'], 'glass: failed to initialize logging driver: strconv.Atoi: parsing "two": invalid syntax\n'],
      [['--log-opt', 'compress=true'], "glass: log opt 'compress' for json-file log driver is not supported by glass (only max-size and max-file are)\n"],
      [['--log-driver', 'syslog'], "glass: logger: no log driver named 'syslog' is registered (glass has only the json-file driver)\n"],
    ];
    const before = (await glass(root, ['ps', '-a', '-q', '--no-trunc'])).stdout;
    for (const cmd of ['run', 'create']) {
      for (const [flags, message] of cases) {
        const r = await glass(root, [cmd, '--name', unique('bad'), ...flags, 'busybox', 'true']);
        expect({ cmd, flags, ...r }).toEqual({ cmd, flags, stdout: '', stderr: message, exitCode: 125 });
      }
    }
    expect((await glass(root, ['ps', '-a', '-q', '--no-trunc'])).stdout).toBe(before);
    expect(readdirSync(`${root}/containers`).filter((e) => /^[0-9a-f]{64}$/.test(e)).length).toBe(before.split('\n').filter(Boolean).length);
  });
});
