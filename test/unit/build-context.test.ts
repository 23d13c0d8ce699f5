import { execFileSync } from 'node:child_process';
import { chmodSync, createReadStream, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { combineChecksums, entryChecksum, sourceChecksum } from '../../runtime/engine/build/checksum.js';
import { entriesUnder, indexTree, openContext, resolveSources, type BuildContext } from '../../runtime/engine/build/context.js';
import { DOCUMENTED_DOCKERIGNORE, makeTree, type TreeFiles } from '../context-tree.js';

/**
 * The build context on real directories and tar streams: what .dockerignore
 * leaves in, the size Docker would send, how COPY sources resolve (wildcards,
 * symlinks kept inside the context, ".." refused), and the checksums behind
 * the cache. Needs no root.
 */
const dirs: string[] = [];
const contexts: BuildContext[] = [];
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.dispose();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: TreeFiles): string {
  const root = makeTree(tmpdir(), files);
  dirs.push(root);
  return root;
}

async function open(dir: string, dockerfile?: string): Promise<BuildContext> {
  const scratch = mkdtempSync(join(tmpdir(), 'glass-ctx-scratch-'));
  dirs.push(scratch);
  const ctx = await openContext({ dir }, { scratchDir: scratch, ...(dockerfile ? { dockerfile } : {}) });
  contexts.push(ctx);
  return ctx;
}

const paths = (ctx: BuildContext) => [...ctx.entries.keys()];
const copyError = (ctx: BuildContext, sources: string[]) => {
  try {
    resolveSources(ctx, sources, 'COPY');
  } catch (e) {
    expect((e as { exitCode?: number }).exitCode).toBe(1);
    return (e as Error).message;
  }
  throw new Error('expected COPY to fail');
};

describe('a directory context', () => {
  it('sends a lone small Dockerfile as 2048 bytes (Docker: "2.048kB") and indexes it', async () => {
    const ctx = await open(tree({ Dockerfile: 'FROM busybox\n' }));
    expect(ctx.tarSize).toBe(2048);
    expect(ctx.dockerfile).toEqual({ name: 'Dockerfile', text: 'FROM busybox\n' });
    expect(paths(ctx)).toEqual(['.', 'Dockerfile']);
    expect(ctx.entries.get('Dockerfile')).toMatchObject({ kind: 'file', size: 13, uid: 0, gid: 0 });
  });

  it('counts every entry as tar does: headers, contents padded to 512, directories', async () => {
    const ctx = await open(tree({ Dockerfile: 'FROM busybox\n', 'app/': '', 'app/big.bin': 'x'.repeat(1000), 'app/empty': '' }));
    // Dockerfile 512+512, app/ 512, app/big.bin 512+1024, app/empty 512, trailer 1024
    expect(ctx.tarSize).toBe(512 + 512 + 512 + 512 + 1024 + 512 + 1024);
    expect(paths(ctx)).toEqual(['.', 'Dockerfile', 'app', 'app/big.bin', 'app/empty']);
  });

  it('counts a PAX header for a long or non-ASCII name, as Go’s tar writes it', async () => {
    const long = 'n'.repeat(120);
    const ctx = await open(tree({ Dockerfile: 'FROM x\n', [long]: '', 'café': '' }));
    // Dockerfile 1024; the long name: PAX header 512 + its "128 path=nnn…\n" record padded to 512, then its own 512;
    // café: the same with a short record; trailer 1024.
    expect(ctx.tarSize).toBe(1024 + (512 + 512 + 512) + (512 + 512 + 512) + 1024);
  });

  it('walks as Go’s filepath.Walk: depth first, names in byte order', async () => {
    const ctx = await open(tree({ Dockerfile: 'FROM x', 'a/b': '', 'a-c': '', B: '' }));
    expect(paths(ctx)).toEqual(['.', 'B', 'Dockerfile', 'a', 'a/b', 'a-c']);
  });

  it('finds -f relative to the context or absolute (even outside it), falls back to "dockerfile", refuses missing or empty ones', async () => {
    const ctx = await open(tree({ 'build/Dockerfile.dev': 'FROM dev\n' }), 'build/Dockerfile.dev');
    expect(ctx.dockerfile).toEqual({ name: 'build/Dockerfile.dev', text: 'FROM dev\n' });
    const outside = tree({ 'Dockerfile.other': 'FROM other\n' });
    const ctx2 = await open(tree({ 'x.txt': 'x' }), join(outside, 'Dockerfile.other'));
    expect(ctx2.dockerfile.text).toBe('FROM other\n');
    expect(paths(ctx2)).toEqual(['.', 'x.txt']);
    expect((await open(tree({ dockerfile: 'FROM lower\n' }))).dockerfile.text).toBe('FROM lower\n');
    const empty = tree({ 'x.txt': 'x' });
    await expect(open(empty)).rejects.toThrow(
      `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${join(empty, 'Dockerfile')}: no such file or directory`,
    );
    await expect(open(tree({ Dockerfile: '' }))).rejects.toThrow('the Dockerfile (Dockerfile) cannot be empty');
    await expect(open('/nonexistent/glass-ctx')).rejects.toThrow('unable to prepare context: path "/nonexistent/glass-ctx" not found');
  });
});

describe('.dockerignore on a real context (Docker’s documented behaviour)', () => {
  it('leaves out what it names: *.md except README.md, */temp*, temp?, **/*.go', async () => {
    const ctx = await open(
      tree(DOCUMENTED_DOCKERIGNORE),
    );
    expect(paths(ctx).sort()).toEqual(['.', '.dockerignore', 'Dockerfile', 'README.md', 'pkg', 'pkg/x', 'somedir', 'somedir/keep.txt', 'somedir/subdir', 'temp'].sort());
  });

  it('skips an excluded directory whole, but walks into it for an exception that starts with it', async () => {
    const root = tree({
      Dockerfile: 'FROM busybox\n',
      '.dockerignore': 'docs\n!docs/README.md\nlogs\n!**/keep.log\n',
      'docs/README.md': 'readme',
      'docs/other.md': 'other',
      'logs/keep.log': 'kept?',
      'logs/a.log': 'a',
    });
    chmodSync(join(root, 'docs'), 0o700);
    const ctx = await open(root);
    expect(paths(ctx)).toContain('docs/README.md');
    expect(paths(ctx)).not.toContain('docs/other.md');
    // The excluded dir itself was not sent: it appears as unpacking makes it (0755, root).
    expect(ctx.entries.get('docs')).toMatchObject({ kind: 'dir', mode: 0o755, uid: 0, implied: true });
    // "!**/keep.log" does not start with "logs/": Docker never walks into logs.
    expect(paths(ctx).filter((p) => p.startsWith('logs'))).toEqual([]);
  });

  it('still sends the Dockerfile and .dockerignore it names, but COPY cannot see them', async () => {
    const ctx = await open(tree({ Dockerfile: 'FROM busybox\n', '.dockerignore': 'Dockerfile\n.dockerignore\n', 'a.txt': 'a' }));
    expect(ctx.dockerfile.text).toBe('FROM busybox\n');
    expect(paths(ctx)).toEqual(['.', 'a.txt']);
    // Sent all the same: Dockerfile (13 B), .dockerignore (26 B), a.txt: 3 × 1024 + trailer.
    expect(ctx.tarSize).toBe(3 * 1024 + 1024);
    expect(copyError(ctx, ['Dockerfile'])).toBe(
      'COPY failed: file not found in build context or excluded by .dockerignore: stat Dockerfile: file does not exist',
    );
    expect(ctx.ignorePatterns).toEqual(['Dockerfile', '.dockerignore']);
  });

  it('refuses a malformed pattern with Docker’s words', async () => {
    await expect(open(tree({ Dockerfile: 'FROM x', '.dockerignore': '[\n' }))).rejects.toThrow("Error checking context: 'syntax error in pattern'.");
  });
});

describe('COPY sources (Docker’s copier)', () => {
  it('drops a leading "/" and "./"; names what it resolved and what was asked', async () => {
    const ctx = await open(tree({ Dockerfile: 'FROM x', 'app/main.py': 'print(1)' }));
    expect(resolveSources(ctx, ['/app/main.py', './app', 'app/../app/main.py', '.'], 'COPY').map((r) => [r.matched, r.path, r.entry.kind])).toEqual([
      ['app/main.py', 'app/main.py', 'file'],
      ['app', 'app', 'dir'],
      ['app/main.py', 'app/main.py', 'file'],
      ['.', '.', 'dir'],
    ]);
    expect(entriesUnder(ctx, 'app').map((e) => e.path)).toEqual(['app/main.py']);
  });

  it('matches wildcards per path element, in walk order; nothing matched is Docker’s error', async () => {
    const ctx = await open(tree({ Dockerfile: 'FROM x', 'a.txt': '', 'b.txt': '', 'c.md': '', 'sub/d.txt': '', 'sub/e.txt': '' }));
    expect(resolveSources(ctx, ['*.txt'], 'COPY').map((r) => r.matched)).toEqual(['a.txt', 'b.txt']);
    expect(resolveSources(ctx, ['sub/*.txt', '[c]*'], 'ADD').map((r) => r.matched)).toEqual(['sub/d.txt', 'sub/e.txt', 'c.md']);
    expect(resolveSources(ctx, ['*'], 'COPY').map((r) => r.matched)).toEqual(['Dockerfile', 'a.txt', 'b.txt', 'c.md', 'sub']);
    expect(copyError(ctx, ['*.none'])).toBe('COPY failed: no source files were specified');
    expect(copyError(ctx, ['missing.txt'])).toBe('COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist');
  });

  it('refuses ".." that leaves the context, as Docker does', async () => {
    const ctx = await open(tree({ Dockerfile: 'FROM x', 'a/b.txt': '' }));
    expect(copyError(ctx, ['../x'])).toBe('COPY failed: forbidden path outside the build context: ../x ()');
    expect(copyError(ctx, ['a/../../etc/passwd'])).toBe('COPY failed: forbidden path outside the build context: a/../../etc/passwd ()');
    expect(copyError(ctx, ['/../etc/passwd'])).toBe('COPY failed: forbidden path outside the build context: ../etc/passwd ()');
  });

  it('follows a symlink only inside the context: absolute and climbing links land in the context, never on the host', async () => {
    const outside = tree({ 'secret.txt': 'host secret' });
    const ctx = await open(
      tree({
        Dockerfile: 'FROM x',
        'etc/hostname': 'ctx hostname',
        'data/real.txt': 'real',
        'link.txt': { link: 'data/real.txt' },
        'abs-passwd': { link: '/etc/passwd' },
        'abs-hostname': { link: '/etc/hostname' },
        'climb': { link: '../../../../../../../..' + join(outside, 'secret.txt') },
        'hostdir': { link: outside },
        'loop': { link: 'loop' },
      }),
    );
    // The walk never follows a link: the host directory behind "hostdir" is not in the index.
    expect(paths(ctx).filter((p) => p.startsWith('hostdir'))).toEqual(['hostdir']);
    expect(ctx.entries.get('hostdir')).toMatchObject({ kind: 'symlink', link: outside });
    const [viaLink] = resolveSources(ctx, ['link.txt'], 'COPY');
    expect(viaLink).toMatchObject({ matched: 'link.txt', path: 'data/real.txt', entry: { kind: 'file', size: 4 } });
    // "/etc/hostname" means <context>/etc/hostname.
    expect(resolveSources(ctx, ['abs-hostname'], 'COPY')[0]!.entry.hostPath).toBe(join(ctx.root, 'etc/hostname'));
    for (const name of ['abs-passwd', 'climb', 'hostdir/secret.txt', 'loop']) {
      expect(copyError(ctx, [name])).toBe(`COPY failed: file not found in build context or excluded by .dockerignore: stat ${name}: file does not exist`);
    }
  });

  it('works on any tree (indexTree: COPY --from files, downloads)', async () => {
    const ctx = await indexTree(tree({ 'out/app': 'bin', 'out/lib.so': { link: 'app' } }));
    expect(resolveSources(ctx, ['out/*'], 'COPY').map((r) => [r.matched, r.path])).toEqual([
      ['out/app', 'out/app'],
      ['out/lib.so', 'out/app'],
    ]);
  });
});

describe('tar and Dockerfile-only contexts', () => {
  const scratchDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'glass-ctx-scratch-'));
    dirs.push(d);
    return d;
  };
  const tarOf = (dir: string, members: string[], extra: string[] = []) => {
    const out = join(mkdtempSync(join(tmpdir(), 'glass-ctx-tar-')), 'ctx.tar');
    dirs.push(dirname(out));
    execFileSync('tar', [...extra, '-C', dir, '-cf', out, ...members]);
    return out;
  };

  it('unpacks a tar context safely and reads its Dockerfile; its .dockerignore hides only itself and the Dockerfile', async () => {
    const src = tree({ Dockerfile: 'FROM busybox\nCOPY . /\n', '.dockerignore': 'Dockerfile\n.dockerignore\n*.log\n', 'a.log': 'kept', 'app/x': 'x' });
    const tar = tarOf(src, ['Dockerfile', '.dockerignore', 'a.log', 'app']);
    const ctx = await openContext({ tar: createReadStream(tar) }, { scratchDir: scratchDir() });
    contexts.push(ctx);
    expect(ctx.dockerfile.text).toBe('FROM busybox\nCOPY . /\n');
    expect(paths(ctx)).toEqual(['.', 'a.log', 'app', 'app/x']);
    expect(ctx.tarSize).toBe(10240); // the bytes of the stream itself (GNU tar pads to 10 KiB records)
    const scratch = ctx.root;
    await ctx.dispose();
    contexts.pop();
    expect(() => readdirSync(scratch)).toThrow();
  });

  it('takes an xz-compressed tar context, as Docker does', async () => {
    const src = tree({ Dockerfile: 'FROM busybox\n', 'a.txt': 'a' });
    const tar = tarOf(src, ['Dockerfile', 'a.txt'], ['-J']);
    const ctx = await openContext({ tar: createReadStream(tar) }, { scratchDir: scratchDir() });
    contexts.push(ctx);
    expect(ctx.dockerfile.text).toBe('FROM busybox\n');
    expect(paths(ctx)).toEqual(['.', 'Dockerfile', 'a.txt']);
  });

  it('refuses a tar whose members climb out, and leaves nothing behind', async () => {
    const base = tree({ 'ctx/Dockerfile': 'FROM x\n', 'evil.txt': 'evil' });
    const tar = tarOf(join(base, 'ctx'), ['Dockerfile', '../evil.txt'], ['-P']);
    const scratch = scratchDir();
    await expect(openContext({ tar: createReadStream(tar) }, { scratchDir: scratch })).rejects.toThrow(/refusing to unpack the build context/);
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('reads a tar’s Dockerfile only inside the context: a Dockerfile symlink to /etc/passwd is not found', async () => {
    const src = tree({ Dockerfile: { link: '/etc/passwd' } });
    const tar = tarOf(src, ['Dockerfile']);
    await expect(openContext({ tar: createReadStream(tar) }, { scratchDir: scratchDir() })).rejects.toThrow('Cannot locate specified Dockerfile: Dockerfile');
  });

  it('falls back to a lower-case "dockerfile" in a tar, as Docker’s daemon does', async () => {
    const src = tree({ dockerfile: 'FROM lower\n' });
    const ctx = await openContext({ tar: createReadStream(tarOf(src, ['dockerfile'])) }, { scratchDir: scratchDir() });
    contexts.push(ctx);
    expect(ctx.dockerfile).toEqual({ name: 'dockerfile', text: 'FROM lower\n' });
  });

  it('a Dockerfile alone (build - < Dockerfile) is a context holding only it, 2048 bytes', async () => {
    const ctx = await openContext({ dockerfileText: 'FROM busybox\n' }, { scratchDir: scratchDir() });
    contexts.push(ctx);
    expect(ctx.tarSize).toBe(2048);
    expect(paths(ctx)).toEqual(['.', 'Dockerfile']);
  });
});

describe('checksums (the cache key of COPY/ADD)', () => {
  it('ignore mtime, see content, mode and names; a dir sees what is in it; several sources are multi:', async () => {
    const root = tree({ Dockerfile: 'FROM x', 'app/a.txt': 'one', 'app/b.txt': 'two', 'c.txt': 'three', '.dockerignore': 'app/ignored\n', 'app/ignored': 'x' });
    const hashOf = async (src: string) => {
      const ctx = await open(root);
      return sourceChecksum(ctx, resolveSources(ctx, [src], 'COPY')[0]!);
    };
    const file1 = await hashOf('app/a.txt');
    const dir1 = await hashOf('app');
    expect(file1).toMatch(/^file:[0-9a-f]{64}$/);
    expect(dir1).toMatch(/^dir:[0-9a-f]{64}$/);

    utimesSync(join(root, 'app/a.txt'), new Date(1e9), new Date(1e9));
    writeFileSync(join(root, 'app/ignored'), 'changed, but ignored');
    expect(await hashOf('app/a.txt')).toBe(file1);
    expect(await hashOf('app')).toBe(dir1);

    chmodSync(join(root, 'app/a.txt'), 0o600);
    expect(await hashOf('app/a.txt')).not.toBe(file1);
    chmodSync(join(root, 'app/a.txt'), 0o644);
    expect(await hashOf('app/a.txt')).toBe(file1);

    writeFileSync(join(root, 'app/b.txt'), 'TWO');
    expect(await hashOf('app')).not.toBe(dir1);
    expect(await hashOf('app/a.txt')).toBe(file1);

    const ctx = await open(root);
    const many = resolveSources(ctx, ['app/*.txt'], 'COPY');
    const hashes = await Promise.all(many.map((r) => sourceChecksum(ctx, r)));
    expect(combineChecksums(hashes)).toMatch(/^multi:[0-9a-f]{64}$/);
    expect(combineChecksums([hashes[0]!])).toBe(hashes[0]);
    expect(await entryChecksum(ctx, 'app/a.txt')).toBe(file1.slice('file:'.length));
  });

  it('hash a file reached through a symlink as the file itself (Docker: the link’s own name does not count)', async () => {
    const ctx = await open(tree({ Dockerfile: 'FROM x', 'real.txt': 'same', 'link.txt': { link: 'real.txt' } }));
    const [viaLink] = resolveSources(ctx, ['link.txt'], 'COPY');
    const [direct] = resolveSources(ctx, ['real.txt'], 'COPY');
    expect(await sourceChecksum(ctx, viaLink!)).toBe(await sourceChecksum(ctx, direct!));
  });

  it('is Docker’s tarsum record: sha256 of name, mode, uid, gid, size, typeflag, linkname, uname, gname, devmajor, devminor, content', async () => {
    const ctx = await open(tree({ Dockerfile: 'FROM x', 'a.txt': 'hello\n' }));
    const record = 'namea.txtmode420uid0gid0size6typeflag0linknameunamegnamedevmajor0devminor0hello\n';
    const { createHash } = await import('node:crypto');
    expect(await sourceChecksum(ctx, resolveSources(ctx, ['a.txt'], 'COPY')[0]!)).toBe(`file:${createHash('sha256').update(record).digest('hex')}`);
  });

  it.skipIf(process.getuid?.() !== 0)('hash files from an image (COPY --from) as Docker 20.10.24 did for the same files', async () => {
    // FROM busybox AS b / RUN mkdir -p /out/sub && echo hi > /out/a && echo x > /out/sub/b && chmod 600 /out/sub/b,
    // then COPY --from=b /out /out and COPY --from=b /out/a /a: these are the keys in Docker's history.
    const root = tree({ 'out/a': 'hi\n', 'out/sub/b': { mode: 0o600, text: 'x\n' } });
    chmodSync(join(root, 'out'), 0o755);
    chmodSync(join(root, 'out/sub'), 0o755);
    const ctx = await indexTree(root, { hashStyle: 'image' });
    const key = async (src: string) => sourceChecksum(ctx, resolveSources(ctx, [src], 'COPY')[0]!);
    expect(await key('/out')).toBe('dir:ec0086cf0f17e30e592396aed4ec8e19373238d79b50fec34d66a18bcf5d1e32');
    expect(await key('/out/a')).toBe('file:1a551e1a6826be60781fde9262401822a72ad468b6d11f0f7a435624cc178b46');
  });

  it('refuses to read a file swapped for a symlink after the walk', async () => {
    const outside = tree({ 'secret.txt': 'host secret' });
    const root = tree({ Dockerfile: 'FROM x', 'a.txt': 'mine' });
    const ctx = await open(root);
    const [src] = resolveSources(ctx, ['a.txt'], 'COPY');
    rmSync(join(root, 'a.txt'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'a.txt'));
    await expect(sourceChecksum(ctx, src!)).rejects.toThrow();
  });
});
