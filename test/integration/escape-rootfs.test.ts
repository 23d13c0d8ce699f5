import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { glass, isRoot, useRoot } from '../helpers.js';

/**
 * An image is untrusted input: a symlink in it must never make glass create
 * or mount anything on the host. Mount points and the /etc bind targets are
 * resolved inside the container's root (openat2 RESOLVE_IN_ROOT in
 * native/rootfs.c); a symlinked /proc or /dev is refused. Each test builds a
 * small busybox image whose tree holds the symlink, imports it, runs it, and
 * looks at the host.
 */
describe.skipIf(!isRoot || !existsSync('/bin/busybox'))('an image cannot make glass write outside its root', () => {
  const root = useRoot();
  const uniq = () => `glass-escape-${randomBytes(6).toString('hex')}`;
  const hostTmp: string[] = []; // /tmp paths the tests name; none may ever exist
  afterAll(() => {
    for (const p of hostTmp) rmSync(p, { recursive: true, force: true });
  });

  /** A host directory the test owns, which must stay empty. */
  const hostDir = (name: string) => {
    const d = `${root}/host-${name}`;
    mkdirSync(d, { recursive: true });
    return d;
  };

  /**
   * Import a busybox image whose tree gets `links` (path -> target) and
   * `dirs`; returns its reference. `planted` links are put straight into the
   * stored layer after the import, for what `glass import` itself refuses
   * (a symlink climbing out of the layer): the shim must not rely on every
   * layer having come through that check.
   */
  const image = async (name: string, links: Record<string, string>, dirs: string[] = [], planted: Record<string, string> = {}) => {
    const tree = `${root}/tree-${name}`;
    mkdirSync(`${tree}/bin`, { recursive: true });
    copyFileSync('/bin/busybox', `${tree}/bin/busybox`);
    for (const applet of ['sh', 'ls', 'cat', 'pwd', 'readlink', 'echo', 'touch', 'true']) symlinkSync('busybox', `${tree}/bin/${applet}`);
    for (const d of dirs) mkdirSync(`${tree}/${d}`, { recursive: true });
    for (const [path, target] of Object.entries(links)) symlinkSync(target, `${tree}/${path}`);
    await execa('tar', ['-C', tree, '-cf', `${tree}.tar`, '.']);
    const ref = `escape-${name}:test`;
    const layersDir = `${root}/images/layers`;
    const before = new Set(existsSync(layersDir) ? readdirSync(layersDir) : []);
    const r = await glass(root, ['import', `${tree}.tar`, ref]);
    expect(r.exitCode, r.stderr).toBe(0);
    const layer = readdirSync(layersDir).filter((l) => !before.has(l));
    expect(layer).toHaveLength(1);
    for (const [path, target] of Object.entries(planted)) symlinkSync(target, `${layersDir}/${layer[0]}/${path}`);
    rmSync(tree, { recursive: true, force: true });
    rmSync(`${tree}.tar`, { force: true });
    return ref;
  };

  it('/etc -> an absolute host directory: hostname, hosts and resolv.conf land inside the root', async () => {
    const target = hostDir('etc-abs');
    const ref = await image('etc-abs', { etc: target });
    const r = await glass(root, ['run', '--rm', '-h', 'abs-box', ref, 'sh', '-c', 'cat /etc/hostname; ls /etc']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('abs-box\nhostname\nhosts\nresolv.conf\n');
    expect(readdirSync(target)).toEqual([]);
  });

  it('/etc -> a relative symlink climbing out (../../../../tmp/<uniq>) stays inside too', async () => {
    const name = uniq();
    hostTmp.push(`/tmp/${name}`);
    const ref = await image('etc-rel', {}, [], { etc: `../../../../tmp/${name}` });
    const r = await glass(root, ['run', '--rm', '-h', 'rel-box', ref, 'sh', '-c', `cat /etc/hostname; ls /tmp/${name}`]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('rel-box\nhostname\nhosts\nresolv.conf\n');
    expect(existsSync(`/tmp/${name}`)).toBe(false);
  });

  for (const dir of ['proc', 'dev']) {
    it(`/${dir} as a symlink is refused with a clear error, exit 125, nothing created`, async () => {
      const target = hostDir(`${dir}-link`);
      const ref = await image(`${dir}-link`, { [dir]: target });
      const r = await glass(root, ['run', '--rm', ref, 'true']);
      expect(r.exitCode).toBe(125);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`mount destination /${dir} is a symlink in the image; refusing`));
      expect(readdirSync(target)).toEqual([]);
    });
  }

  it('a symlinked working directory (-w /link, /link -> /tmp/<uniq>) is created inside the root', async () => {
    const name = uniq();
    hostTmp.push(`/tmp/${name}`);
    const ref = await image('workdir', { link: `/tmp/${name}` });
    const r = await glass(root, ['run', '--rm', '-w', '/link', ref, 'sh', '-c', `touch made-here; /bin/busybox pwd -P; ls /tmp/${name}`]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`/tmp/${name}\nmade-here\n`);
    expect(existsSync(`/tmp/${name}`)).toBe(false);
  });

  it('a symlink that stays inside the root still works: /etc -> /data/etc', async () => {
    const ref = await image('etc-inside', { etc: '/data/etc' }, ['data/etc']);
    const r = await glass(root, ['run', '--rm', '-h', 'inside-box', ref, 'sh', '-c', 'cat /etc/hostname; ls /data/etc']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('inside-box\nhostname\nhosts\nresolv.conf\n');
  });

  it('and a relative one: /etc -> usr/etc', async () => {
    const ref = await image('etc-relative-inside', { etc: 'usr/etc' }, ['usr/etc']);
    const r = await glass(root, ['run', '--rm', '-h', 'rel-inside', ref, 'sh', '-c', 'cat /etc/hostname; ls /usr/etc']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('rel-inside\nhostname\nhosts\nresolv.conf\n');
  });
});
