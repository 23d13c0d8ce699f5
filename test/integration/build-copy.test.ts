import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { createEngine, type Engine } from '../../runtime/engine/index.js';
import { prepareCopy, type CopyInstruction } from '../../runtime/engine/build/copy.js';
import { openContext, type BuildContext } from '../../runtime/engine/build/context.js';
import { tarEntries, type TarEntry } from '../../runtime/kernel/tar-stream.js';
import { isRoot, removeContainersAfterEach, useRoot } from '../helpers.js';

/**
 * COPY and ADD (runtime/engine/build/copy.ts) against real build
 * containers: each case writes a context on the host, runs the step as the
 * builder does (prepare → the cache text; apply → into a container created
 * from the image, never started; commit), then runs the committed image
 * and looks at what is in it: names, modes, owners, mtimes, contents.
 * A loopback HTTP server answers ADD's URLs; hostile archives and symlinks
 * that point out of the context must leave nothing behind.
 */
const SLOW_MS = 180_000;
const HEX = /^[0-9a-f]{64}$/;

describe.skipIf(!isRoot)('COPY and ADD', () => {
  const root = useRoot();
  removeContainersAfterEach(root);
  let engine: Engine;
  let work: string;
  let server: Server;
  let base = '';
  /** An image with a user the host does not have: app (1234) in group app (2345). */
  let appImage = '';

  beforeAll(async () => {
    engine = createEngine({ root });
    work = mkdtempSync(join(tmpdir(), 'glass-build-copy-'));
    const made = await engine.containers.run({
      image: 'busybox',
      autoRemove: false,
      command: ['sh', '-c', 'echo app:x:1234:2345::/home/app:/bin/sh >> /etc/passwd && echo app:x:2345: >> /etc/group && echo staff:x:50: >> /etc/group'],
    });
    expect(made.exitCode).toBe(0);
    appImage = (await engine.images.commit(made.id)).id;
    await engine.containers.remove(made.id);
    server = createServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/files/hello.txt') {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
        res.end('hello from the server\n');
      } else if (url === '/moved') {
        res.writeHead(302, { Location: '/files/hello.txt' });
        res.end();
      } else if (url === '/download/') {
        res.writeHead(200, { 'Content-Disposition': 'attachment; filename="report.csv"' });
        res.end('a,b\n1,2\n');
      } else if (url === '/nameless/') {
        res.writeHead(200);
        res.end('no name\n');
      } else if (url === '/slow/big.bin') {
        // Half a reply, then nothing: only Ctrl-C ends this download.
        res.writeHead(200, { 'Content-Length': '1000000' });
        res.write(Buffer.alloc(1000));
      } else if (url === '/files/site.tar.gz') {
        res.writeHead(200);
        res.end(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('404 page not found\n');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let n = 0;
  /** A fresh context directory with a Dockerfile and these files (string: contents; the callback may add modes, links, owners). */
  function context(files: Record<string, string>, extra?: (dir: string) => void): string {
    const dir = join(work, `ctx-${n++}`);
    mkdirSync(dir);
    for (const [name, text] of Object.entries({ Dockerfile: 'FROM busybox\n', ...files })) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    extra?.(dir);
    return dir;
  }

  interface Step {
    inst: CopyInstruction;
    ctx?: BuildContext;
    image?: string;
    workdir?: string;
  }

  /** Run one COPY/ADD the way the builder does; the committed image's ID and the cache text. */
  async function copyStep({ inst, ctx, image = 'busybox', workdir = '' }: Step): Promise<{ image: string; comment: string }> {
    const prepared = await prepareCopy(inst, {
      trace: () => {},
      containers: engine.containers,
      context: ctx,
      workdir,
      fromImage: async (ref) => (await engine.images.inspect(ref)).Id,
      scratchDir: join(work, 'scratch'),
    });
    try {
      const c = await engine.containers.create({ image, command: ['/bin/sh', '-c', `#(nop) ${prepared.comment}`] });
      try {
        await prepared.apply(c.id);
        return { image: (await engine.images.commit(c.id)).id, comment: prepared.comment };
      } finally {
        await engine.containers.remove(c.id, { force: true });
      }
    } finally {
      await prepared.dispose();
    }
  }

  async function open(dir: string): Promise<BuildContext> {
    const ctx = await openContext({ dir }, { scratchDir: join(work, 'scratch') });
    return ctx;
  }

  /** What a shell in the image says. */
  async function inImage(image: string, script: string): Promise<string> {
    const r = await engine.containers.run({ image, command: ['sh', '-c', script], autoRemove: true });
    expect(r.stderr).toBe('');
    return r.stdout;
  }

  /** Docker's message for a step, as the builder would report it. */
  async function failure(step: Step): Promise<string> {
    try {
      await copyStep(step);
    } catch (e) {
      expect((e as { exitCode?: number }).exitCode).toBe(1);
      return (e as Error).message;
    }
    throw new Error('the step did not fail');
  }

  it('files, directories, wildcards and Docker\'s destination rules; owners root, modes and mtimes kept', { timeout: SLOW_MS }, async () => {
    const dir = context({ 'a.txt': 'alpha\n', 'src/sub/b.txt': 'beta\n', 'src/top.txt': 'top\n', 'x1.conf': 'one\n', 'x2.conf': 'two\n', 'y.conf': 'no\n' }, (d) => {
      chmodSync(join(d, 'a.txt'), 0o640);
      chownSync(join(d, 'a.txt'), 1234, 1234); // a host owner: Docker's client sends every file as 0:0
      utimesSync(join(d, 'a.txt'), 1_500_000_000, 1_500_000_000);
      symlinkSync('../a.txt', join(d, 'src/link'));
      utimesSync(join(d, 'src/sub'), 1_400_000_000, 1_400_000_000);
    });
    const ctx = await open(dir);
    try {
      // A file into a directory (trailing "/"), made with its missing parents.
      const a = await copyStep({ ctx, inst: { kind: 'COPY', sources: ['a.txt'], dest: '/app/' } });
      expect(a.comment).toMatch(/^COPY file:[0-9a-f]{64} in \/app\/ $/);
      expect(await inImage(a.image, 'stat -c "%n %a %u:%g" /app; stat -c "%n %a %u:%g %Y" /app/a.txt; cat /app/a.txt')).toBe('/app 755 0:0\n/app/a.txt 640 0:0 1500000000\nalpha\n');
      // The same file again: the same cache text (the checksum is of name, mode, owners, size and bytes, not of mtime).
      const again = await copyStep({ ctx, inst: { kind: 'COPY', sources: ['a.txt'], dest: '/app/' } });
      expect(again.comment).toBe(a.comment);

      // A file to a new name; a relative destination is under WORKDIR.
      const renamed = await copyStep({ ctx, image: a.image, workdir: '/srv', inst: { kind: 'COPY', sources: ['./a.txt'], dest: 'conf/renamed' } });
      expect(await inImage(renamed.image, 'cat /srv/conf/renamed; ls /srv/conf; ls /app')).toBe('alpha\nrenamed\na.txt\n');

      // A directory: its contents, not itself; a symlink inside stays a symlink.
      const d = await copyStep({ ctx, inst: { kind: 'COPY', sources: ['src'], dest: '/data' } });
      expect(d.comment).toMatch(/^COPY dir:[0-9a-f]{64} in \/data $/);
      expect(await inImage(d.image, 'cd /data && find . | sort && readlink link && cat sub/b.txt')).toBe('.\n./link\n./sub\n./sub/b.txt\n./top.txt\n../a.txt\nbeta\n');
      // A directory keeps its mtime too, although its files were written into it after it was made.
      expect(await inImage(d.image, 'stat -c %Y /data/sub')).toBe('1400000000\n');

      // Into an existing directory: /etc keeps its own mode and owner.
      const etc = await copyStep({ ctx, inst: { kind: 'COPY', sources: ['src/'], dest: '/etc' } });
      expect(await inImage(etc.image, 'stat -c "%a %u" /etc; cat /etc/top.txt /etc/passwd | head -n 2')).toBe('755 0\ntop\nroot:x:0:0:root:/root:/bin/sh\n');

      // Wildcards (Go's filepath.Match per name) and several sources: the cache text is multi:.
      const w = await copyStep({ ctx, inst: { kind: 'COPY', sources: ['x?.conf', 'a.txt'], dest: '/cfg/' } });
      expect(w.comment).toMatch(/^COPY multi:[0-9a-f]{64} in \/cfg\/ $/);
      expect(await inImage(w.image, 'ls /cfg')).toBe('a.txt\nx1.conf\nx2.conf\n');

      // A file over an existing file replaces it.
      const over = await copyStep({ ctx, image: a.image, inst: { kind: 'COPY', sources: ['x1.conf'], dest: '/app/a.txt' } });
      expect(await inImage(over.image, 'cat /app/a.txt')).toBe('one\n');

      // Docker's errors, word for word.
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['x?.conf'], dest: '/cfg' } })).toBe(
        'When using COPY with more than one source file, the destination must be a directory and end with a /',
      );
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['nope.txt'], dest: '/' } })).toBe(
        'COPY failed: file not found in build context or excluded by .dockerignore: stat nope.txt: file does not exist',
      );
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['z*'], dest: '/' } })).toBe('COPY failed: no source files were specified');
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['../outside'], dest: '/' } })).toBe('COPY failed: forbidden path outside the build context: ../outside ()');
      // Docker 20.10's words (it names the host path under its overlay; glass names the image's path).
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['a.txt'], dest: '/etc/passwd/x' } })).toBe('failed to copy files: lstat /etc/passwd/x: not a directory');
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['src'], dest: '/etc/passwd' } })).toBe('failed to copy files: failed to copy directory: mkdir /etc/passwd: not a directory');
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['a.txt'], dest: '/etc/passwd/' } })).toBe('failed to copy files: failed to create new directory: mkdir /etc/passwd: not a directory');
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['a.txt'], dest: '/x', chmod: '755' } })).toBe(
        'the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled',
      );
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: [`${base}/files/hello.txt`], dest: '/' } })).toBe("COPY failed: source can't be a URL for COPY");
    } finally {
      await ctx.dispose();
    }
  });

  it('symlinks in the context that point outside it never bring host files in', { timeout: SLOW_MS }, async () => {
    const secret = join(work, 'host-secret');
    writeFileSync(secret, 'host secret\n');
    const dir = context({ 'ok.txt': 'ok\n' }, (d) => {
      symlinkSync(secret, join(d, 'abs-link'));
      symlinkSync('../host-secret', join(d, 'rel-link'));
      symlinkSync('/etc', join(d, 'etc-link'));
      mkdirSync(join(d, 'tree'));
      symlinkSync(secret, join(d, 'tree/inner'));
      symlinkSync('ok.txt', join(d, 'good-link'));
    });
    const ctx = await open(dir);
    try {
      // Followed inside the context (its root is "/"): the host's file is not there.
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['abs-link'], dest: '/x' } })).toMatch(/^COPY failed: file not found in build context or excluded by \.dockerignore: stat /);
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['rel-link'], dest: '/x' } })).toMatch(/^COPY failed: (file not found in build context|forbidden path outside the build context)/);
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['etc-link/passwd'], dest: '/x' } })).toMatch(/^COPY failed: file not found in build context/);
      // Inside a copied directory a symlink is copied as a symlink: its text, never what it points to.
      const t = await copyStep({ ctx, inst: { kind: 'COPY', sources: ['tree'], dest: '/t/' } });
      expect(await inImage(t.image, `readlink /t/inner; cat /t/inner 2>/dev/null || echo missing`)).toBe(`${secret}\nmissing\n`);
      // A link that stays inside is followed and the file lands under the link's own name.
      const g = await copyStep({ ctx, inst: { kind: 'COPY', sources: ['good-link'], dest: '/g/' } });
      expect(await inImage(g.image, 'ls -l /g | grep -c "^-"; cat /g/good-link')).toBe('1\nok\n');
    } finally {
      await ctx.dispose();
    }
  });

  it("--chown takes names from the image's own /etc/passwd and /etc/group", { timeout: SLOW_MS }, async () => {
    const ctx = await open(context({ 'f.txt': 'f\n', 'd/g.txt': 'g\n' }));
    try {
      const named = await copyStep({ ctx, image: appImage, inst: { kind: 'COPY', sources: ['f.txt'], dest: '/home/app/new/f.txt', chown: 'app:staff' } });
      expect(named.comment).toMatch(/^COPY --chown=app:stafffile:[0-9a-f]{64} in \/home\/app\/new\/f\.txt $/);
      // A file's missing parents go to the user too (busybox has /home already: it stays root's).
      expect(await inImage(named.image, 'stat -c "%n %u:%g %a" /home /home/app /home/app/new /home/app/new/f.txt')).toBe(
        '/home 0:0 755\n/home/app 1234:50 755\n/home/app/new 1234:50 755\n/home/app/new/f.txt 1234:50 644\n',
      );
      // A directory: the new destination and everything in it; "app" alone means group "app" as well.
      const d = await copyStep({ ctx, image: appImage, inst: { kind: 'COPY', sources: ['d'], dest: '/opt/d', chown: 'app' } });
      expect(await inImage(d.image, 'stat -c "%n %u:%g" /opt /opt/d /opt/d/g.txt')).toBe('/opt 0:0\n/opt/d 1234:2345\n/opt/d/g.txt 1234:2345\n');
      // Numbers need no lookup.
      const num = await copyStep({ ctx, inst: { kind: 'COPY', sources: ['f.txt'], dest: '/n/', chown: '4321:8765' } });
      expect(await inImage(num.image, 'stat -c "%u:%g" /n/f.txt')).toBe('4321:8765\n');
      // busybox has no user "app": the name is looked up in the image, never on the host.
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['f.txt'], dest: '/', chown: 'app' } })).toBe(
        'unable to convert uid/gid chown string to host mapping: can\'t find uid for user app: no such user: app',
      );
      expect(await failure({ ctx, image: appImage, inst: { kind: 'COPY', sources: ['f.txt'], dest: '/', chown: 'app:nogroup2' } })).toBe(
        'unable to convert uid/gid chown string to host mapping: can\'t find gid for group nogroup2: no such group: nogroup2',
      );
      expect(await failure({ ctx, inst: { kind: 'COPY', sources: ['f.txt'], dest: '/', chown: 'a:b:c' } })).toBe(
        'unable to convert uid/gid chown string to host mapping: invalid chown string format: a:b:c',
      );
    } finally {
      await ctx.dispose();
    }
  });

  it('--from copies out of another image, keeping its owners; wildcards and symlinks resolved inside that image', { timeout: SLOW_MS }, async () => {
    const made = await engine.containers.run({
      image: 'busybox',
      autoRemove: false,
      command: ['sh', '-c', 'mkdir -p /opt/art && echo built > /opt/art/app.bin && chmod 750 /opt/art/app.bin && chown 1000:1001 /opt/art/app.bin && echo n1 > /opt/art/n1.txt && echo n2 > /opt/art/n2.txt && ln -s /opt/art/app.bin /current'],
    });
    expect(made.exitCode).toBe(0);
    const builder = (await engine.images.commit(made.id)).id;
    await engine.containers.remove(made.id);

    const one = await copyStep({ inst: { kind: 'COPY', sources: ['/opt/art/app.bin'], dest: '/usr/local/bin/', from: builder } });
    expect(one.comment).toMatch(/^COPY file:[0-9a-f]{64} in \/usr\/local\/bin\/ $/);
    expect(await inImage(one.image, 'stat -c "%a %u:%g" /usr/local/bin/app.bin; cat /usr/local/bin/app.bin')).toBe('750 1000:1001\nbuilt\n');
    // The final image holds only what was copied: no /opt/art.
    expect(await inImage(one.image, 'ls /opt 2>&1 || true')).toMatch(/No such file or directory/);

    const wild = await copyStep({ inst: { kind: 'COPY', sources: ['/opt/art/n*.txt', '../../opt/art/app.bin'], dest: '/notes/', from: builder } });
    expect(wild.comment).toMatch(/^COPY multi:[0-9a-f]{64} in \/notes\/ $/);
    // ".." cannot climb out of an image's root: it stays at "/".
    expect(await inImage(wild.image, 'cat /notes/n1.txt /notes/n2.txt /notes/app.bin')).toBe('n1\nn2\nbuilt\n');

    // /current -> /opt/art/app.bin is followed inside the image; --chown replaces the owners.
    const link = await copyStep({ inst: { kind: 'COPY', sources: ['/current'], dest: '/x/', from: builder, chown: '7:7' } });
    expect(await inImage(link.image, 'stat -c "%F %u:%g" /x/current; cat /x/current')).toBe('regular file 7:7\nbuilt\n');

    expect(await failure({ inst: { kind: 'COPY', sources: ['/opt/art/nope'], dest: '/', from: builder } })).toBe('COPY failed: stat opt/art/nope: file does not exist');
    expect(await failure({ inst: { kind: 'COPY', sources: ['/x'], dest: '/', from: 'no-such-stage' } })).toMatch(/^invalid from flag value no-such-stage: /);
  });

  it('ADD unpacks local archives (gzip, xz, plain) keeping their owners; a file that only looks like one is copied', { timeout: SLOW_MS }, async () => {
    const dir = context({ 'payload/hello.txt': 'hello\n', 'payload/sub/deep.txt': 'deep\n', 'fake.tar.gz': 'not an archive\n' });
    chownSync(join(dir, 'payload/hello.txt'), 42, 43);
    linkSync(join(dir, 'payload/hello.txt'), join(dir, 'payload/hard.txt'));
    await execa('tar', ['--numeric-owner', '-C', join(dir, 'payload'), '-czf', join(dir, 'site.tar.gz'), '.']);
    await execa('tar', ['--numeric-owner', '-C', join(dir, 'payload'), '-cJf', join(dir, 'site.txz'), '.']);
    await execa('tar', ['--numeric-owner', '-C', join(dir, 'payload'), '-cf', join(dir, 'plain.tar'), 'hello.txt']);
    rmSync(join(dir, 'payload'), { recursive: true });
    // A device node and a fifo, as images carry them (/dev/null is 1:3).
    await pipeline(
      tarEntries([
        { name: 'null', kind: 'char', mode: 0o666, uid: 0, gid: 0, mtime: 0, devMajor: 1, devMinor: 3 },
        { name: 'pipe', kind: 'fifo', mode: 0o600, uid: 0, gid: 0, mtime: 0 },
      ]),
      createWriteStream(join(dir, 'dev.tar')),
    );
    const ctx = await open(dir);
    try {
      const gz = await copyStep({ ctx, inst: { kind: 'ADD', sources: ['site.tar.gz'], dest: '/www' } });
      expect(gz.comment).toMatch(/^ADD file:[0-9a-f]{64} in \/www $/);
      // A hard link in the archive stays one: two names, one file.
      expect(await inImage(gz.image, 'cd /www && find . | sort && stat -c "%u:%g %h" hello.txt && cat sub/deep.txt')).toBe('.\n./hard.txt\n./hello.txt\n./sub\n./sub/deep.txt\n42:43 2\ndeep\n');
      const xz = await copyStep({ ctx, inst: { kind: 'ADD', sources: ['site.txz', 'plain.tar', 'fake.tar.gz'], dest: '/mix/' } });
      expect(await inImage(xz.image, 'cd /mix && find . | sort && cat fake.tar.gz')).toBe('.\n./fake.tar.gz\n./hard.txt\n./hello.txt\n./sub\n./sub/deep.txt\nnot an archive\n');
      // --chown does not apply to an unpacked archive's files: they keep the archive's owners (Docker's UntarPath).
      const owned = await copyStep({ ctx, inst: { kind: 'ADD', sources: ['plain.tar'], dest: '/o', chown: '9:9' } });
      expect(await inImage(owned.image, 'stat -c "%n %u:%g" /o /o/hello.txt')).toBe('/o 0:0\n/o/hello.txt 42:43\n');
      const dev = await copyStep({ ctx, inst: { kind: 'ADD', sources: ['dev.tar'], dest: '/devs/' } });
      expect(await inImage(dev.image, 'stat -c "%n %F %t:%T %a" /devs/null /devs/pipe')).toBe('/devs/null character special file 1:3 666\n/devs/pipe fifo 0:0 600\n');
      // COPY never unpacks.
      const copied = await copyStep({ ctx, inst: { kind: 'COPY', sources: ['site.tar.gz'], dest: '/c/' } });
      expect(await inImage(copied.image, 'ls /c')).toBe('site.tar.gz\n');
    } finally {
      await ctx.dispose();
    }
  });

  it("ADD refuses hostile archives ('..', absolute names, links leading out) and writes nothing", { timeout: SLOW_MS }, async () => {
    const file = join(work, 'payload.txt');
    writeFileSync(file, 'pwned\n');
    const entry = (name: string, more: Partial<TarEntry> = {}): TarEntry => ({ name, kind: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1_600_000_000, size: 6, hostPath: file, ...more });
    const hostile: Record<string, TarEntry[]> = {
      'dotdot.tar': [entry('ok.txt'), entry('../../../../../../tmp/glass-pwned-dotdot')],
      'absolute.tar': [entry('ok.txt'), entry('/tmp/glass-pwned-abs')],
      'symlink-out.tar': [{ name: 'esc', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 0, link: '../../../../../../tmp' }, entry('esc/glass-pwned-link')],
      'hardlink-out.tar': [{ name: 'h', kind: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtime: 0, link: '/etc/shadow' }],
    };
    const dir = context({});
    for (const [name, entries] of Object.entries(hostile)) {
      await pipeline(tarEntries(entries), createWriteStream(join(dir, name)));
    }
    const ctx = await open(dir);
    try {
      for (const name of Object.keys(hostile)) {
        const message = await failure({ ctx, inst: { kind: 'ADD', sources: [name], dest: '/unpacked/' } });
        expect(message).toMatch(new RegExp(`^ADD failed: refusing to unpack ${name.replace('.', '\\.')}: `));
      }
      expect(existsSync('/tmp/glass-pwned-dotdot') || existsSync('/tmp/glass-pwned-abs') || existsSync('/tmp/glass-pwned-link')).toBe(false);
      // Nothing half-made: the scratch directories are gone, and no image or container was left by the failed steps.
      expect(readdirSync(join(work, 'scratch')).filter((e) => /^(add|copy)-/.test(e))).toEqual([]);
    } finally {
      await ctx.dispose();
    }
  });

  it('ADD <url> fetches over HTTP for real: a file (0600, Last-Modified as mtime), never unpacked; Docker\'s errors', { timeout: SLOW_MS }, async () => {
    const url = await copyStep({ inst: { kind: 'ADD', sources: [`${base}/files/hello.txt`], dest: '/dl/' } });
    const [, hash] = /^ADD ([0-9a-f]{64}) in \/dl\/ $/.exec(url.comment) ?? [];
    expect(hash).toMatch(HEX);
    expect(await inImage(url.image, 'stat -c "%a %u:%g %Y" /dl/hello.txt; cat /dl/hello.txt')).toBe(`600 0:0 ${Date.parse('Wed, 21 Oct 2015 07:28:00 GMT') / 1000}\nhello from the server\n`);
    // The same bytes again: the same cache text.
    expect((await copyStep({ inst: { kind: 'ADD', sources: [`${base}/files/hello.txt`], dest: '/dl/' } })).comment).toBe(url.comment);
    // A redirect is followed; the file is named after the URL as written, as Docker does.
    const moved = await copyStep({ inst: { kind: 'ADD', sources: [`${base}/moved`], dest: '/m/' } });
    expect(await inImage(moved.image, 'cat /m/moved')).toBe('hello from the server\n');
    // A name from Content-Disposition; a .tar.gz from a URL stays a file.
    const named = await copyStep({ inst: { kind: 'ADD', sources: [`${base}/download/`, `${base}/files/site.tar.gz`], dest: '/d/', chown: '5:6' } });
    expect(await inImage(named.image, 'cd /d && stat -c "%A %u %g %n" *')).toBe('-rw------- 5 6 report.csv\n-rw------- 5 6 site.tar.gz\n');
    // No name at all: fine as a file destination, Docker's error for a directory.
    const nameless = await copyStep({ inst: { kind: 'ADD', sources: [`${base}/nameless/`], dest: '/etc/motd' } });
    expect(await inImage(nameless.image, 'cat /etc/motd')).toBe('no name\n');
    expect(await failure({ inst: { kind: 'ADD', sources: [`${base}/nameless/`], dest: '/x/' } })).toBe(`ADD failed: cannot determine filename for source ${base}/nameless/`);
    expect(await failure({ inst: { kind: 'ADD', sources: [`${base}/missing`], dest: '/' } })).toBe(`ADD failed: failed to GET ${base}/missing with status 404 Not Found: 404 page not found`);
    expect(await failure({ inst: { kind: 'ADD', sources: ['http://127.0.0.1:1/x'], dest: '/' } })).toBe('ADD failed: Get "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused');

    // Ctrl-C during a download that stalls: the step stops at once and leaves no scratch file behind.
    const ctrlC = new AbortController();
    const stalled = prepareCopy(
      { kind: 'ADD', sources: [`${base}/slow/big.bin`], dest: '/' },
      { trace: () => {}, containers: engine.containers, workdir: '', fromImage: async () => '', scratchDir: join(work, 'scratch'), signal: ctrlC.signal },
    );
    setTimeout(() => ctrlC.abort(), 300);
    await expect(stalled).rejects.toMatchObject({ name: 'AbortError' });
    expect(readdirSync(join(work, 'scratch')).filter((e) => /^(add|copy)-/.test(e))).toEqual([]);
  });
});
