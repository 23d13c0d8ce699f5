import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { cleanRoot, GLASS, glass, isRoot, newRoot, REPO } from '../helpers.js';
import { settledLeaksOf, snapshot } from '../leaks.js';

const containerDirs = (root: string) => (existsSync(`${root}/containers`) ? readdirSync(`${root}/containers`) : []);

/** Bad input gets one clear line, Docker's exit code, and leaves nothing behind. */
describe.skipIf(!isRoot)('bad input', () => {
  let root: string;
  beforeAll(async () => {
    root = newRoot();
    await glass(root, ['images']); // build busybox up front so snapshots below are stable
    await glass(root, ['run', '--rm', 'busybox', 'true']);
  });
  afterAll(() => cleanRoot(root));

  it('command not found → 127, not executable → 126, nothing left behind', async () => {
    const before = snapshot();
    const nf = await glass(root, ['run', '--rm', 'busybox', 'no-such-binary']);
    expect(nf.exitCode).toBe(127);
    expect(nf.stderr).toBe('glass: exec: "no-such-binary": executable file not found in $PATH\n');
    const ne = await glass(root, ['run', 'busybox', '/etc/passwd']);
    expect(ne.exitCode).toBe(126);
    expect(ne.stderr).toMatch(/^glass: exec: "\/etc\/passwd": permission denied\n$/);
    const d = await glass(root, ['run', '-d', 'busybox', 'nope']);
    expect(d.exitCode).toBe(127);
    expect(containerDirs(root)).toEqual([]);
    expect(await settledLeaksOf(root, before)).toEqual([]);
  });

  it('unknown image → 125 with a hint', async () => {
    // Not here, so run pulls it, as Docker does: from a registry on loopback that is not there (port 2 is closed), so no traffic leaves the host.
    const r = await glass(root, ['run', '127.0.0.1:2/nosuchimage', 'true']);
    expect(r.exitCode).toBe(125);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("Unable to find image '127.0.0.1:2/nosuchimage:latest' locally");
    expect(lines[1]).toMatch(/127\.0\.0\.1:2.*connection refused/);
    const bad = await glass(root, ['run', 'Bad Name', 'true']);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toMatch(/invalid reference format/);
    expect(containerDirs(root)).toEqual([]);
  });

  it('unknown container → exit 1 with "No such container"', async () => {
    for (const cmd of [['stop', 'ghost'], ['rm', 'ghost'], ['logs', 'ghost'], ['start', 'ghost'], ['kill', 'ghost'], ['wait', 'ghost']]) {
      const r = await glass(root, cmd);
      expect(r.exitCode, cmd.join(' ')).toBe(1);
      expect(r.stderr).toBe('Error: No such container: ghost\n');
    }
    const i = await glass(root, ['inspect', 'ghost']);
    expect(i.exitCode).toBe(1);
    expect(i.stderr).toBe('Error: No such object: ghost\n');
  });

  it('name in use and invalid names → 125, the first container untouched', async () => {
    const first = await glass(root, ['create', '--name', 'taken', 'busybox', 'true']);
    expect(first.exitCode).toBe(0);
    const r = await glass(root, ['run', '--name', 'taken', 'busybox', 'true']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/The container name "\/taken" is already in use by container "[0-9a-f]{64}"/);
    expect(containerDirs(root)).toHaveLength(1);
    const x = await glass(root, ['run', '--name', 'x', 'busybox', 'true']);
    expect(x.exitCode).toBe(125);
    expect(x.stderr).toMatch(/Invalid container name \(x\)/);
    await glass(root, ['rm', 'taken']);
    expect(containerDirs(root)).toEqual([]);
  });

  it('env-file: bad line and missing file → 125 with the line number', async () => {
    const f = `${root}/bad.env`;
    writeFileSync(f, 'GOOD=1\n# comment\nBAD KEY=2\n');
    const r = await glass(root, ['run', '--rm', '--env-file', f, 'busybox', 'true']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/bad\.env:3: invalid env-file line/);
    const m = await glass(root, ['run', '--rm', '--env-file', `${root}/missing.env`, 'busybox', 'true']);
    expect(m.exitCode).toBe(125);
    expect(m.stderr).toMatch(/no such file or directory/);
    writeFileSync(f, 'GOOD=1\n# comment\n\nSPACED=a b\n');
    const ok = await glass(root, ['run', '--rm', '--env-file', f, '-e', 'GOOD=2', 'busybox', 'sh', '-c', 'echo $GOOD $SPACED']);
    expect(ok.stdout).toBe('2 a b\n');
    expect(containerDirs(root)).toEqual([]);
  });

  it("usage errors exit as Docker's CLI does: a flag 125, a missing argument 1", async () => {
    const r = await glass(root, ['ps', '--bogus']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toBe("glass: unknown flag: --bogus\nSee 'glass ps --help'.\n");
    const n = await glass(root, ['rm']);
    expect(n.exitCode).toBe(1);
    expect(n.stderr).toMatch(/"glass rm" requires at least 1 argument/);
  });

  it('refuses to run without root, with a one-line hint', async () => {
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', '--', `${REPO}dist/runtime/cli/main.js`, '--root', root, 'ps'], { reject: false, stripFinalNewline: false });
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toBe('Error: glass needs root to create namespaces, cgroups and mounts: run it with sudo\n');
  });

  it('names the package when the host has no static busybox', async () => {
    const fresh = newRoot();
    const r = await execa(GLASS, ['--root', fresh, 'run', '--rm', 'busybox', 'true'], { reject: false, env: { GLASS_BUSYBOX: '/nonexistent/busybox' } });
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/apt-get install busybox-static/);
    await cleanRoot(fresh);
  });
});
