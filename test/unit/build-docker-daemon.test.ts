import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combineChecksums, sourceChecksum } from '../../runtime/engine/build/checksum.js';
import { openContext, resolveSources, type BuildContext } from '../../runtime/engine/build/context.js';
import { parseDockerfile } from '../../runtime/engine/build/dockerfile.js';
import { makeTree, type TreeFiles } from '../context-tree.js';

/**
 * glass's COPY cache keys and error words against a real Docker daemon's
 * classic builder (DOCKER_BUILDKIT=0), where one answers with busybox loaded:
 * the same context built by Docker gives `COPY file:/dir:/multi:<sha>` in its
 * history, which must equal the checksum glass computes; the same bad
 * Dockerfiles must fail with the same words. Skipped without a daemon.
 */
const run = promisify(execFile);
const env = { ...process.env, DOCKER_BUILDKIT: '0' };
/** A daemon answers, with busybox loaded (decided before the tests are collected, so they are skipped, not failed). */
const daemon = (() => {
  try {
    execFileSync('docker', ['image', 'inspect', 'busybox:latest'], { env, timeout: 10_000, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
let dir: string;
const images: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'glass-docker-daemon-'));
});

afterAll(async () => {
  if (images.length) await run('docker', ['rmi', ...images], { env }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

type Files = TreeFiles;

const tree = (files: Files): string => makeTree(dir, files);

/** Docker's COPY keys, in Dockerfile order, for `COPY <sources> /dN/` lines. */
async function dockerKeys(root: string, copies: string[][]): Promise<string[]> {
  const tag = `glass-test-keys-${process.pid}-${images.length}`;
  writeFileSync(join(root, 'Dockerfile'), ['FROM busybox', ...copies.map((s, i) => `COPY ${s.join(' ')} /d${i}/`)].join('\n') + '\n');
  await run('docker', ['build', '-q', '-t', tag, root], { env, timeout: 120_000 });
  images.push(tag);
  const { stdout } = await run('docker', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', tag], { env });
  return stdout
    .split('\n')
    .map((l) => /#\(nop\) COPY (\S+) in /.exec(l)?.[1])
    .filter((k): k is string => !!k)
    .reverse();
}

async function glassKeys(root: string, copies: string[][]): Promise<string[]> {
  const scratch = mkdtempSync(join(dir, 'scratch-'));
  const ctx: BuildContext = await openContext({ dir: root }, { scratchDir: scratch });
  const keys: string[] = [];
  for (const sources of copies) {
    const resolved = resolveSources(ctx, sources, 'COPY');
    keys.push(combineChecksums(await Promise.all(resolved.map((r) => sourceChecksum(ctx, r)))));
  }
  return keys;
}

const cases: [string, Files, string[][]][] = [
  [
    'a file, a directory holding a symlink and a 0600 file, several sources',
    { 'a.txt': 'hello\n', 'app/x': 'x', 'app/sub/y': { mode: 0o600, text: 'y\n' }, 'app/l': { link: 'x' } },
    [['a.txt'], ['app'], ['a.txt', 'app/x']],
  ],
  [
    'symlinks: a source that is one, relative and absolute (inside the context), dangling and to a directory inside a copied dir',
    {
      'data/real.txt': 'real\n',
      'link.txt': { link: 'data/real.txt' },
      'abs.txt': { link: '/data/real.txt' },
      'dir/dangling': { link: 'nowhere' },
      'dir/todir': { link: '../data' },
      'dir/file': 'f',
    },
    [['link.txt'], ['abs.txt'], ['dir'], ['data/real.txt']],
  ],
  [
    'modes and shapes: setuid, empty file, empty directory, wildcards, the whole context',
    { 'bin/tool': { mode: 0o4755, text: '#!/bin/sh\n' }, 'empty.txt': '', 'emptydir/': '', 'w/a.txt': 'a', 'w/b.txt': 'b', 'w/c.md': 'c' },
    [['bin'], ['empty.txt'], ['emptydir'], ['w/*.txt'], ['w/c*'], ['.']],
  ],
  [
    '.dockerignore: an excluded file inside a copied directory does not count; an exception does, also inside an excluded directory',
    {
      '.dockerignore': 'app/secret*\n!app/secret-ok\ndocs\n!docs/README.md\n',
      'app/main': 'm',
      'app/secret': 's',
      'app/secret-ok': 'ok',
      'docs/README.md': 'r',
      'docs/other.md': 'o',
    },
    [['app'], ['app/secret-ok'], ['docs']],
  ],
];

describe.skipIf(!daemon)('against a real Docker daemon (classic builder)', () => {
  it.each(cases)('COPY keys equal Docker’s: %s', async (_name, files, copies) => {
    const root = tree(files);
    const theirs = await dockerKeys(root, copies);
    const ours = await glassKeys(root, copies);
    expect(theirs).toHaveLength(copies.length);
    expect(ours).toEqual(theirs);
  });

  it('parse errors in Docker’s words (Docker names no line where glass appends one)', async () => {
    const root = tree({ 'a.txt': 'a' });
    const bad = ['FROM busybox\nRUNN x\n', 'FROM busybox\nENV A\n', 'RUN echo\n', 'FROM busybox AS 1x\n', 'FROM busybox\nHEALTHCHECK --retries=0 CMD x\n'];
    for (const text of bad) {
      writeFileSync(join(root, 'Dockerfile'), text);
      const r = await run('docker', ['build', '-q', root], { env, timeout: 60_000 }).then(() => ({ stderr: '' }), (e: { stderr: string }) => e);
      const docker = /Error response from daemon: (.*)/.exec(r.stderr)?.[1] ?? '';
      let ours = '';
      try {
        parseDockerfile(text);
      } catch (e) {
        ours = (e as Error).message;
      }
      expect(docker).not.toBe('');
      expect(ours.startsWith(docker) || ours.startsWith(docker.replace(/ \(line \d+\)$/, ''))).toBe(true);
    }
  });
});
