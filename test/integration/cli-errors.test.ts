import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { findCommand } from '../../runtime/catalog/commands.js';
import { cleanRoot, GLASS, glass, isRoot, REPO, sleep, useRoot } from '../helpers.js';
import { TEST_ROOT_PREFIX } from '../leaks.js';

const mountedUnder = (root: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4]?.startsWith(root + '/') || l.split(' ')[4] === root);

/** glass through sh, for redirections (> /dev/full). */
const shell = (cmd: string) => execa('sh', ['-c', cmd], { reject: false, stripFinalNewline: false, timeout: 60_000 });

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const p = execa('true');
  await p;
  return p.pid!;
}

/** Poll `check` until it returns something truthy (the thing waited for), failing after `ms`. */
async function until<T>(what: string, check: () => T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(!isRoot)('scratch sweep touches only what glass recorded', () => {
  const root = useRoot();
  const tmp = `${root}/tmp`;
  const owners = `${root}/tmp-owners`; // the owner record of <root>/tmp/<name> is <root>/tmp-owners/<name>
  beforeAll(async () => {
    expect((await glass(root, ['images'])).exitCode).toBe(0); // builds busybox, makes <root>/tmp
  });

  it('leaves alone directories and files it has no record of, even named like its old scratch', async () => {
    const dead = await deadPid();
    const lookalike = `${tmp}/import-${dead}-12345-abcdef`; // the old name pattern, with a dead pid
    const bare = `${tmp}/export-norecord`;
    for (const d of [lookalike, bare]) {
      mkdirSync(d);
      writeFileSync(`${d}/keep`, 'not glass\'s\n');
    }
    writeFileSync(`${tmp}/loose-file`, 'x');
    // A record of a live owner (this test process) is left alone too.
    const live = `${tmp}/import-livecafe`;
    const liveRecord = `${owners}/import-livecafe`;
    const start = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19]);
    mkdirSync(owners, { recursive: true });
    writeFileSync(liveRecord, JSON.stringify({ pid: process.pid, start, kind: 'import', created: new Date().toISOString() }));
    mkdirSync(live);
    try {
      expect((await glass(root, ['images'])).exitCode).toBe(0);
      expect((await glass(root, ['ps', '-a'])).exitCode).toBe(0);
      expect(readFileSync(`${lookalike}/keep`, 'utf8')).toBe("not glass's\n");
      expect(existsSync(`${bare}/keep`)).toBe(true);
      expect(existsSync(`${tmp}/loose-file`)).toBe(true);
      expect(existsSync(live) && existsSync(liveRecord)).toBe(true);
    } finally {
      for (const p of [lookalike, bare, `${tmp}/loose-file`, live, liveRecord]) rmSync(p, { recursive: true, force: true });
    }
  });

  it('sweeps the scratch of a glass process that was killed (made through the library), and its half-written record', async () => {
    // A child makes a scratch directory as glass does, puts a file in it, and is killed before it can clean up.
    const script = `
      import { makeScratchDir } from '${REPO}dist/runtime/engine/state/scratch.js';
      import { writeFileSync } from 'node:fs';
      const d = await makeScratchDir(process.argv[1], 'import');
      writeFileSync(d + '/layer.tar', 'partial');
      console.log(d);
      process.kill(process.pid, 'SIGKILL');`;
    const child = await execa('node', ['--input-type=module', '-e', script, tmp], { reject: false });
    expect(child.signal).toBe('SIGKILL');
    const dir = child.stdout.trim();
    expect(dir).toMatch(new RegExp(`^${tmp}/import-[0-9a-f]+$`));
    const record = `${owners}/${dir.slice(tmp.length + 1)}`;
    expect(existsSync(`${dir}/layer.tar`) && existsSync(record)).toBe(true);
    expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({ kind: 'import' });
    // A record killed before it was put in place (step 1 of makeScratchDir).
    const staged = `${owners}/.new-${await deadPid()}-1-abcdef`;
    writeFileSync(staged, '{');

    expect((await glass(root, ['images'])).exitCode).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(record)).toBe(false);
    expect(existsSync(staged)).toBe(false);
  });

  it('a glass import killed half-way leaves its partial copy only until the next command (images)', async () => {
    // A tarball of 32 MiB of random bytes, fed to `glass import -` half at a time so it is surely mid-way when killed.
    const src = mkdtempSync(`${TEST_ROOT_PREFIX}import-src-`);
    try {
      writeFileSync(`${src}/big`, randomBytes(32 << 20));
      execFileSync('tar', ['-C', src, '-cf', `${src}.tar`, 'big']);
      const tarball = readFileSync(`${src}.tar`);
      // Its own process group, so SIGKILL reaches glass and any tar it started, as a terminal's would.
      const imp = execa(GLASS, ['--root', root, 'import', '-', 'killed:import'], { reject: false, detached: true, stdin: 'pipe' });
      imp.stdin!.write(tarball.subarray(0, tarball.length >> 1));
      const partial = await until('the import to store part of the tarball', () => {
        const d = readdirSync(tmp).find((n) => /^import-[0-9a-f]+$/.test(n));
        try {
          return d && statSync(`${tmp}/${d}/layer.tar`).size >= 1 << 20 ? `${tmp}/${d}` : undefined;
        } catch {
          return undefined;
        }
      });
      process.kill(-imp.pid!, 'SIGKILL');
      expect((await imp).signal).toBe('SIGKILL');
      expect(existsSync(partial)).toBe(true); // left behind by the killed import

      const images = await glass(root, ['images']);
      expect(images.exitCode).toBe(0);
      expect(images.stdout).not.toContain('killed');
      expect(readdirSync(tmp)).toEqual([]);
      expect(readdirSync(owners)).toEqual([]);
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(`${src}.tar`, { force: true });
    }
  });
});

describe.skipIf(!isRoot)('env files are read with a bound', () => {
  const root = useRoot();

  it('--env-file /dev/zero fails at once with the 64 KiB line limit, naming the file', async () => {
    const r = await glass(root, ['run', '--rm', '--env-file', '/dev/zero', 'busybox', 'true'], { timeout: 30_000 });
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toBe(
      'glass: env file /dev/zero: line 1 is longer than 64 KiB, the longest line Docker reads (bufio.Scanner: token too long): an env file holds one KEY=value per line\n',
    );
    expect((await glass(root, ['ps', '-a', '-q'])).stdout).toBe('');
  });

  it('a 70 KiB line is refused with its line number; a line of 64 KiB - 1 bytes is read, as by Docker', async () => {
    const f = `${root}/long.env`;
    writeFileSync(f, `A=1\nB=${'b'.repeat(70 * 1024)}\n`);
    const r = await glass(root, ['create', '--env-file', f, 'busybox', 'true']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/^glass: env file \/.*\/long\.env: line 2 is longer than 64 KiB, .*\(bufio\.Scanner: token too long\)/);
    expect((await glass(root, ['ps', '-a', '-q'])).stdout).toBe('');

    writeFileSync(f, `K=${'k'.repeat(64 * 1024 - 3)}\n`); // 65535 bytes before the line end: Go's Scanner takes it
    const ok = await glass(root, ['run', '--rm', '--env-file', f, 'busybox', 'sh', '-c', 'echo ${#K}']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe(`${64 * 1024 - 3}\n`);
  });
});

describe.skipIf(!isRoot)('output that cannot be written ends cleanly', () => {
  const root = useRoot();
  beforeAll(async () => {
    expect((await glass(root, ['run', '--name', 'printer', 'busybox', 'sh', '-c', 'echo hello; echo world'])).exitCode).toBe(0);
  });

  const clean = () => {
    expect(mountedUnder(root)).toEqual([]);
    expect(readdirSync(`${root}/tmp`)).toEqual([]);
    expect(readdirSync(`${root}/tmp-owners`)).toEqual([]);
  };

  it('export > /dev/full: one line, exit 1, nothing mounted, no scratch', async () => {
    const r = await shell(`${GLASS} --root ${root} export printer > /dev/full`);
    expect(r.stderr).toBe('Error: write /dev/stdout: no space left on device\n');
    expect(r.exitCode).toBe(1);
    clean();
  });

  it('export -o /dev/full: one line naming the file, exit 1, nothing mounted, no scratch', async () => {
    const r = await glass(root, ['export', '-o', '/dev/full', 'printer']);
    expect(r.stderr).toBe('Error: write /dev/full: no space left on device: free space on that filesystem, or write somewhere else\n');
    expect(r.exitCode).toBe(1);
    clean();
  });

  it('logs > /dev/full: one line, exit 1', async () => {
    const r = await shell(`${GLASS} --root ${root} logs printer > /dev/full`);
    expect(r.stderr).toBe('Error: write /dev/stdout: no space left on device\n');
    expect(r.exitCode).toBe(1);
  });

  it('export -o into a missing directory, or of a missing container, leaves no file', async () => {
    const out = mkdtempSync(`${TEST_ROOT_PREFIX}out-`);
    try {
      const r = await glass(root, ['export', '-o', `${out}/nodir/x.tar`, 'printer']);
      expect(r.stderr).toBe(`Error: open ${out}/nodir/x.tar: no such file or directory: check the path\n`);
      expect(r.exitCode).toBe(1);
      const ghost = await glass(root, ['export', '-o', `${out}/x.tar`, 'ghost']);
      expect(ghost.stderr).toBe('Error: No such container: ghost\n');
      expect(readdirSync(out)).toEqual([]);
      expect((await glass(root, ['export', '-o', `${out}/x.tar`, 'printer'])).exitCode).toBe(0);
      expect(readdirSync(out)).toEqual(['x.tar']);
      expect(execFileSync('tar', ['-tf', `${out}/x.tar`], { encoding: 'utf8' })).toContain('./bin/busybox');
      clean();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!isRoot)("usage errors exit as Docker's CLI does", () => {
  const root = useRoot();

  it('a missing argument: exit 1, the usage line and summary', async () => {
    const r = await glass(root, ['run']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      `glass: "glass run" requires at least 1 argument.\nSee 'glass run --help'.\n\nUsage:  glass run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n${findCommand('run')!.summary}\n`,
    );
    expect((await glass(root, ['rename', 'a'])).exitCode).toBe(1);
  });

  it('an unknown flag or a bad flag value: exit 125', async () => {
    const r = await glass(root, ['run', '--foo', 'busybox']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toBe("glass: unknown flag: --foo\nSee 'glass run --help'.\n");
    const v = await glass(root, ['stop', '-t', 'soon', 'c1']);
    expect(v.exitCode).toBe(125);
    expect(v.stderr).toMatch(/^glass: invalid argument "soon" for "-t, --time" flag/);
  });

  it('an unknown command: exit 1', async () => {
    const r = await glass(root, ['bogus']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe("glass: 'bogus' is not a glass command.\nSee 'glass --help'.\n");
  });
});

describe.skipIf(!isRoot)('host errors get a line a user can act on, not "internal error"', () => {
  // The root is a directory inside a test directory, so the read-only mount on it is seen as
  // this file's by the mid-suite leak checks of files running beside it.
  const base = mkdtempSync(TEST_ROOT_PREFIX);
  const root = `${base}/state`;
  beforeAll(async () => {
    expect((await glass(root, ['create', '--name', 'frozen', 'busybox', 'true'])).exitCode).toBe(0);
  });
  afterAll(async () => {
    await cleanRoot(root);
    rmSync(base, { recursive: true, force: true });
  });

  /** Run `fn` with `dir` bind-mounted read-only onto itself; always unmounted after. */
  async function readOnly(dir: string, fn: () => Promise<void>) {
    execFileSync('mount', ['--bind', dir, dir]);
    try {
      execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
      await fn();
    } finally {
      execFileSync('umount', [dir]);
    }
  }

  it('a read-only state root (EROFS) is named, with what to do', async () => {
    await readOnly(root, async () => {
      const run = await glass(root, ['run', '--rm', 'busybox', 'true']);
      expect(run.exitCode).toBe(125);
      expect(run.stderr).toMatch(new RegExp(`^glass: the state root ${root} is on a read-only filesystem \\(.*\\): point --root at a writable directory, or remount it read-write\\n$`));
      const rm = await glass(root, ['rm', 'frozen']);
      expect(rm.exitCode).toBe(1);
      expect(rm.stderr).toMatch(new RegExp(`^Error: the state root ${root} is on a read-only filesystem \\(.*\\): point --root at a writable directory`));
      const tag = await glass(root, ['tag', 'busybox', 'other:tag']);
      expect(tag.exitCode).toBe(1);
      expect(tag.stderr).toMatch(/^Error: the state root .* is on a read-only filesystem/);
      for (const r of [run, rm, tag]) {
        expect(r.stderr).not.toContain('internal error');
        expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      }
      // Reading still works.
      const ps = await glass(root, ['ps', '-a', '--format', '{{.Names}}']);
      expect(ps.stdout).toBe('frozen\n');
    });
    expect((await glass(root, ['ps', '-a', '--format', '{{.Names}}'])).stdout).toBe('frozen\n');
  });

  it('export -o into a read-only directory names that file', async () => {
    const out = `${base}/out`;
    mkdirSync(out);
    try {
      await readOnly(out, async () => {
        const r = await glass(root, ['export', '-o', `${out}/x.tar`, 'frozen']);
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toBe(`Error: open ${out}/x.tar: read-only file system: that filesystem is mounted read-only: write somewhere else\n`);
      });
      expect(mountedUnder(root)).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
