import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../runtime/engine/build/context.js';
import { DOCUMENTED_DOCKERIGNORE, makeTree, type TreeFiles } from '../context-tree.js';

/**
 * The build context against Docker's own CLI. `docker build` (classic
 * builder) packs the context — .dockerignore applied, the Dockerfile and
 * .dockerignore kept — into a tar and sends it to the daemon. A stand-in
 * daemon on a unix socket records that tar, so each case compares what
 * Docker's CLI really sends (members, and the size it prints as "Sending
 * build context to Docker daemon") with glass's walk. Runs where a docker
 * CLI is installed; no Docker daemon is needed.
 */
const run = promisify(execFile);
let docker: string | undefined;
let dir: string;
let server: http.Server;
let lastTar: Buffer | undefined;

beforeAll(async () => {
  docker = await run('sh', ['-c', 'command -v docker']).then((r) => r.stdout.trim() || undefined, () => undefined);
  dir = mkdtempSync(join(tmpdir(), 'glass-ctx-docker-'));
  server = http.createServer((req, res) => {
    if (req.url?.endsWith('/_ping')) {
      res.writeHead(200, { 'API-Version': '1.41', OSType: 'linux', 'Content-Type': 'text/plain' });
      res.end('OK');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.includes('/build')) lastTar = Buffer.concat(chunks);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`${JSON.stringify({ error: 'recorded', errorDetail: { message: 'recorded' } })}\n`);
    });
  });
  await new Promise<void>((r) => server.listen(join(dir, 'docker.sock'), r));
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

type Files = TreeFiles;

const tree = (files: Files): string => makeTree(dir, files);

/** What Docker's CLI sends for this context: its tar's members and its size (what "Sending build context" counts). */
async function dockerSends(root: string, dockerfile?: string): Promise<{ members: string[]; size: number }> {
  lastTar = undefined;
  const args = ['-H', `unix://${join(dir, 'docker.sock')}`, 'build', ...(dockerfile ? ['-f', dockerfile] : []), root];
  await run(docker!, args, { env: { ...process.env, DOCKER_BUILDKIT: '0' } }).catch(() => undefined); // our stand-in daemon answers with an error
  const tarPath = join(dir, 'sent.tar');
  writeFileSync(tarPath, lastTar ?? Buffer.alloc(0));
  // With a Dockerfile from outside, Docker's CLI ends the stream before the tar's end: tar warns, lists all the same.
  const list = await run('tar', ['--quoting-style=literal', '-tf', tarPath]).catch((e: { stdout: string }) => e);
  const members = list.stdout.split('\n').filter(Boolean).map((m) => m.replace(/\/$/, '')).sort();
  return { members, size: lastTar?.length ?? -1 };
}

/** What glass would send: the entries COPY sees plus the Dockerfile and .dockerignore (always sent). */
async function glassSends(root: string, dockerfile?: string): Promise<{ members: string[]; size: number }> {
  const scratch = mkdtempSync(join(dir, 'scratch-'));
  const ctx = await openContext({ dir: root }, { scratchDir: scratch, ...(dockerfile ? { dockerfile } : {}) });
  const members = new Set([...ctx.entries.keys()].filter((p) => p !== '.'));
  // Parent dirs made up for an exception inside an excluded dir are not in Docker's tar (the daemon's unpack makes them).
  for (const [p, e] of ctx.entries) if (e.implied) members.delete(p);
  const sentAnyway = ['.dockerignore', ctx.dockerfile.name];
  for (const name of sentAnyway) {
    try {
      readFileSync(join(root, name));
      members.add(name);
    } catch {
      /* not in the context */
    }
  }
  return { members: [...members].sort(), size: ctx.tarSize };
}

const cases: [string, Files, string?][] = [
  [
    'the documented examples: */temp*, */*/temp*, temp?, **/*.go, *.md with !README.md',
    DOCUMENTED_DOCKERIGNORE,
  ],
  [
    'exceptions: walked into an excluded dir only when the exception starts with it',
    {
      Dockerfile: 'FROM busybox\n',
      '.dockerignore': 'docs\n!docs/README.md\nlogs\n!**/keep.log\n*.md\n!*/README*.md\nREADME-secret.md\n',
      'docs/README.md': 'readme',
      'docs/other.md': 'other',
      'logs/keep.log': 'kept?',
      'logs/a.log': 'a',
      'README-secret.md': 's',
      'a/README-x.md': 'x',
    },
  ],
  [
    'the Dockerfile and .dockerignore named by .dockerignore are still sent',
    { Dockerfile: 'FROM busybox\n', '.dockerignore': 'Dockerfile\n.dockerignore\n**\n!keep\n', keep: 'k', other: 'o' },
  ],
  [
    'long and non-ASCII names, symlinks, hard links, empty directories, a bigger file',
    {
      Dockerfile: 'FROM busybox\n',
      ['n'.repeat(130)]: 'long',
      'café/crème.txt': 'fr',
      ['deep/'.repeat(30) + 'f']: 'deep',
      'big.bin': 'x'.repeat(70_000),
      'link-out': { link: '/etc/passwd' },
      'link-long': { link: `/${'l'.repeat(150)}` },
      'hard-a': 'same',
      'hard-b': { hardlink: 'hard-a' },
      'empty/': '',
    },
  ],
];

const dockerCli = (process.env.PATH ?? '').split(':').some((p) => p !== '' && existsSync(join(p, 'docker')));

describe.skipIf(!dockerCli)(
  'the build context against Docker’s CLI (a stand-in daemon records what it sends)',
  () => {
    it.each(cases)('%s', async (_name, files) => {
      const root = tree(files);
      const theirs = await dockerSends(root);
      const ours = await glassSends(root);
      expect(ours.members).toEqual(theirs.members);
      expect(ours.size).toBe(theirs.size);
    });

    it('a Dockerfile outside the context: sent too, under a made-up name; the size agrees', async () => {
      const outside = tree({ 'Dockerfile.elsewhere': 'FROM busybox\nCOPY a.txt /\n' });
      const df = join(outside, 'Dockerfile.elsewhere');
      // With a .dockerignore of its own (extended in place), and without (one is added).
      const withIgnore = tree({ 'a.txt': 'a', '.dockerignore': '*.log\n', 'x.log': 'x' });
      const theirs = await dockerSends(withIgnore, df);
      expect(theirs.members.filter((m) => !m.startsWith('.dockerfile.'))).toEqual(['.dockerignore', 'a.txt']);
      expect((await glassSends(withIgnore, df)).size).toBe(theirs.size);
      const without = tree({ 'a.txt': 'a' });
      const theirs2 = await dockerSends(without, df);
      expect(theirs2.members.filter((m) => !m.startsWith('.dockerfile.'))).toEqual(['.dockerignore', 'a.txt']);
      // Docker adds the two entries in Go's random map order and leaves the last one unpadded: either size may come.
      const ours = (await glassSends(without, df)).size;
      const otherOrder = ours - (Math.ceil(26 / 512) * 512 - 26) + (Math.ceil(47 / 512) * 512 - 47);
      expect([ours, otherOrder]).toContain(theirs2.size);
    });
  },
);
