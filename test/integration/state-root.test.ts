import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { GLASS, isRoot } from '../helpers.js';
import { TEST_ROOT_PREFIX } from '../leaks.js';

/**
 * The state root must be a directory glass may own: not empty (which once
 * meant "the current directory"), not /, not a kernel interface (/proc once
 * spun at 100% CPU), not someone else's files. Each bad root is refused with
 * one line, before glass makes anything.
 */
describe.skipIf(!isRoot)('state root', () => {
  // Everything this file makes lives in here (the leak check looks for /tmp/glass-test-*).
  const base = mkdtempSync(TEST_ROOT_PREFIX);
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  /** glass with exactly these arguments (no --root of the helpers'), from `cwd`. */
  const raw = (args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) =>
    execa(GLASS, ['--no-color', ...args], { reject: false, timeout: 30_000, stdin: 'ignore', stripFinalNewline: false, cwd: opts.cwd ?? base, env: opts.env });

  const dir = (name: string) => {
    const d = `${base}/${name}`;
    mkdirSync(d, { recursive: true });
    return d;
  };
  const oneLine = (stderr: string) => expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);

  it('an empty --root or GLASS_ROOT is an error, not the current directory', async () => {
    const cwd = dir('cwd-empty');
    const r = await raw(['--root', '', 'ps'], { cwd });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('Error: --root is empty: give the directory glass keeps its state in (default /var/lib/glass)\n');
    const run = await raw(['--root=', 'run', '--rm', 'busybox', 'true'], { cwd });
    expect(run.exitCode).toBe(125);
    expect(run.stderr).toMatch(/^glass: --root is empty/);
    const env = await raw(['ps'], { cwd, env: { GLASS_ROOT: '' } });
    expect(env.exitCode).toBe(1);
    expect(env.stderr).toMatch(/^Error: GLASS_ROOT is set but empty: unset it/);
    oneLine(env.stderr);
    expect(readdirSync(cwd)).toEqual([]); // nothing made in the current directory
  });

  it('/ is refused, and nothing is made at the top of the host', async () => {
    const had = existsSync('/containers');
    const r = await raw(['--root', '/', 'ps']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^Error: the state root cannot be \/ .*: point --root \(or GLASS_ROOT\) at a directory of its own/);
    oneLine(r.stderr);
    expect(existsSync('/containers')).toBe(had);
  });

  it('/proc fails at once (it used to spin), and so do /sys/fs/cgroup and /dev', async () => {
    const proc = await raw(['--root', '/proc', 'run', '--rm', 'busybox', 'true']);
    expect(proc.exitCode).toBe(125);
    expect(proc.stderr).toMatch(/^glass: the state root \/proc is where the kernel shows its own interfaces, not a place for files: point --root/);
    oneLine(proc.stderr);
    const sub = await raw(['--root', '/proc/glass', 'ps']);
    expect(sub.exitCode).toBe(1);
    expect(sub.stderr).toMatch(/^Error: the state root \/proc\/glass is inside \/proc, /);
    const cg = await raw(['--root', '/sys/fs/cgroup', 'ps']);
    expect(cg.exitCode).toBe(1);
    expect(cg.stderr).toMatch(/^Error: the state root \/sys\/fs\/cgroup is inside \/sys, where the kernel shows its own interfaces/);
    oneLine(cg.stderr);
    expect(existsSync('/sys/fs/cgroup/containers')).toBe(false);
    const dev = await raw(['--root', '/dev/glass', 'ps']);
    expect(dev.exitCode).toBe(1);
    expect(existsSync('/dev/glass')).toBe(false);
  });

  it('a pseudo-filesystem mounted anywhere is refused by its type', async () => {
    const mnt = dir('procfs');
    execFileSync('mount', ['-t', 'proc', 'proc', mnt]);
    try {
      const r = await raw(['--root', `${mnt}/state`, 'ps']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toBe(
        `Error: the state root ${mnt}/state is on proc, a kernel pseudo-filesystem that cannot hold glass's files: point --root (or GLASS_ROOT) at a directory of its own, e.g. /var/lib/glass\n`,
      );
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it("someone else's non-empty directory is refused and left as it was", async () => {
    const foreign = dir('foreign');
    writeFileSync(`${foreign}/notes.txt`, 'mine\n');
    const r = await raw(['--root', foreign, 'run', '--rm', 'busybox', 'true']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(new RegExp(`^glass: the state root ${foreign} is not empty and is not a glass state root \\(it has no glass-root.json\\)`));
    oneLine(r.stderr);
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
  });

  it('a file is refused', async () => {
    const file = `${base}/a-file`;
    writeFileSync(file, 'x');
    const r = await raw(['--root', file, 'ps']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^Error: the state root ${file} is a file, not a directory`));
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('a relative root is made absolute against the current directory, as dockerd does', async () => {
    const cwd = dir('cwd-relative');
    const r = await raw(['--root', 'state', 'ps', '-a'], { cwd });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(`${cwd}/state/glass-root.json`, 'utf8'))).toMatchObject({ format: 1 });
    const v = await raw(['--root', 'state', 'version'], { cwd });
    expect(v.stdout).toContain(` State root:        ${cwd}/state\n`);
  });

  it('a new or empty directory is made a glass root (marked); a marked root or one of an older glass is accepted', async () => {
    const fresh = `${base}/new/deeper`;
    expect((await raw(['--root', fresh, 'ps'])).exitCode).toBe(0);
    expect(readdirSync(fresh).sort()).toEqual(['containers', 'glass-root.json', 'tmp']);

    const empty = dir('empty');
    mkdirSync(`${empty}/lost+found`); // a freshly made filesystem mounted as the root
    expect((await raw(['--root', empty, 'ps'])).exitCode).toBe(0);
    expect(existsSync(`${empty}/glass-root.json`)).toBe(true);

    const older = dir('older');
    mkdirSync(`${older}/containers`);
    writeFileSync(`${older}/events.jsonl`, '');
    expect((await raw(['--root', older, 'ps'])).exitCode).toBe(0);
    expect(existsSync(`${older}/glass-root.json`)).toBe(true);

    const newer = dir('newer');
    writeFileSync(`${newer}/glass-root.json`, JSON.stringify({ format: 99 }));
    const r = await raw(['--root', newer, 'ps']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/was laid out by a newer glass \(format 99; this glass knows 1\)/);
  });
});
