import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { containerIds, GLASS, glass, glassInBackground, isRoot, removeContainersAfterEach, useRoot, waitFor } from '../helpers.js';
import { startRegistry } from '../registry.js';

/**
 * `glass build` end to end, as a learner types it: the "Done when"
 * case (a Dockerfile using every instruction builds, runs, and inspect shows
 * each instruction's effect; a second build comes wholly from the cache;
 * editing one file re-runs only the steps from its COPY on; a multi-stage
 * build keeps only the artefact), .dockerignore, the ways to give a context,
 * Ctrl-C, and bad input answered with Docker's words and exit codes.
 */
const SLOW_MS = 240_000;

/** Each step of a classic build's output: its number, instruction, and whether it came from the cache or ran a container. */
interface StepSeen {
  step: number;
  total: number;
  instruction: string;
  cached: boolean;
  ran: boolean;
}
function stepsOf(stdout: string): StepSeen[] {
  const steps: StepSeen[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
    if (m) steps.push({ step: Number(m[1]), total: Number(m[2]), instruction: m[3]!, cached: false, ran: false });
    else if (line === ' ---> Using cache') steps[steps.length - 1]!.cached = true;
    // A RUN runs its command in this container; a metadata step's (ENV, CMD...) is created and never started, as Docker's.
    else if (line.startsWith(' ---> Running in ')) steps[steps.length - 1]!.ran = true;
  }
  return steps;
}

/** A context directory with these files (a value of null makes a directory). */
function contextWith(files: Record<string, string | null>): string {
  const dir = mkdtempSync(join(tmpdir(), 'glass-build-cli-'));
  contexts.push(dir);
  for (const [name, body] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(body === null ? path : join(path, '..'), { recursive: true });
    if (body !== null) writeFileSync(path, body);
  }
  return dir;
}
const contexts: string[] = [];

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

describe.skipIf(!isRoot)('glass build', () => {
  const root = useRoot();
  removeContainersAfterEach(root);
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    // ADD of a URL is fetched for real: a web server on loopback, with a Last-Modified date.
    server = createServer((req, res) => {
      if (req.url === '/remote.txt') {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
        res.end('fetched over http\n');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    for (const d of contexts) rmSync(d, { recursive: true, force: true });
  });

  const inspectJson = async (ref: string, field: string) => {
    const r = await glass(root, ['inspect', '--type', 'image', '-f', `{{json ${field}}}`, ref]);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  };

  it('a Dockerfile using every instruction builds, runs, and shows each effect; the rebuild is all cache', { timeout: SLOW_MS }, async () => {
    const files = contextWith({
      'app.sh': '#!/bin/sh\necho "args: $*"\necho "user: $(id -u):$(id -g)"\necho "pwd: $(pwd)"\ncat greeting.txt exec.txt\necho "mode=$MODE home=$APP_HOME"\n',
      'payload/one.txt': 'one\n',
      'payload/two.txt': 'two\n',
    });
    execFileSync('tar', ['-C', join(files, 'payload'), '-cf', join(files, 'files.tar'), 'one.txt', 'two.txt']);
    rmSync(join(files, 'payload'), { recursive: true });
    // Every instruction, the parser directives, a continuation, comments, ARG before FROM, two stages.
    const dockerfile = [
      '# syntax=docker/dockerfile:1',
      '# escape=\\',
      '# A Dockerfile with every instruction.',
      'ARG BASE=busybox',
      'FROM ${BASE} AS base',
      'LABEL org.example.stage=base',
      '',
      'FROM base',
      'ARG GREETING=hello',
      'MAINTAINER A Learner <learner@example.com>',
      'ENV APP_HOME=/srv/app \\',
      '    MODE=test',
      'LABEL org.example.name="every instruction" org.example.mode=$MODE',
      'WORKDIR $APP_HOME',
      'COPY --chown=1000:1000 app.sh ./',
      'ADD files.tar /srv/unpacked/',
      `ADD http://127.0.0.1:${port}/remote.txt /srv/remote.txt`,
      'RUN echo "$GREETING from $MODE" > greeting.txt && chmod +x app.sh',
      'RUN ["/bin/sh", "-c", "echo exec-form > exec.txt"]',
      'SHELL ["/bin/sh", "-c"]',
      'EXPOSE 8080/tcp 53/udp',
      'VOLUME /srv/data',
      'USER 1000:1000',
      'STOPSIGNAL SIGTERM',
      'HEALTHCHECK --interval=30s --timeout=5s --start-period=1s --retries=2 CMD test -f /srv/app/greeting.txt',
      'ONBUILD RUN echo built on me',
      'ENTRYPOINT ["/srv/app/app.sh"]',
      'CMD ["one", "two"]',
      '',
    ].join('\n');
    writeFileSync(join(files, 'Dockerfile'), dockerfile);
    const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]/.test(l)).map((l) => (l.endsWith('\\') ? `${l.slice(0, -1)}    MODE=test` : l));
    const total = instructions.length; // 1 meta ARG + 2 in the base stage + 20 in the final one

    const first = await glass(root, ['build', '-t', 'every:v1', '-t', 'every:also', files]);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/^Sending build context to Docker daemon {2}\d+(\.\d+)?kB\r\r\n/);
    const steps = stepsOf(first.stdout);
    expect(steps.map((s) => `Step ${s.step}/${s.total} : ${s.instruction}`)).toEqual(instructions.map((l, i) => `Step ${i + 1}/${total} : ${l}`));
    // The two RUN steps ran in containers, their output in between.
    expect(steps.filter((s) => s.ran).map((s) => s.instruction)).toEqual(expect.arrayContaining(['RUN echo "$GREETING from $MODE" > greeting.txt && chmod +x app.sh', 'RUN ["/bin/sh", "-c", "echo exec-form > exec.txt"]']));
    expect(first.stdout).toMatch(/ ---> Running in [0-9a-f]{12}\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n/);
    const id = (await glass(root, ['inspect', '--type', 'image', '-f', '{{.Id}}', 'every:v1'])).stdout.trim();
    expect(first.stdout.endsWith(`Successfully built ${shortId(id)}\nSuccessfully tagged every:v1\nSuccessfully tagged every:also\n`)).toBe(true);
    // No build container is left.
    expect(containerIds(root)).toEqual([]);

    // It runs: ENTRYPOINT + CMD, as USER, in WORKDIR, with ENV, the RUN steps' files and the COPY'd script.
    const run = await glass(root, ['run', '--rm', 'every:v1']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('args: one two\nuser: 1000:1000\npwd: /srv/app\nhello from test\nexec-form\nmode=test home=/srv/app\n');
    expect((await glass(root, ['run', '--rm', 'every:v1', 'three'])).stdout).toMatch(/^args: three\n/);
    // COPY --chown, ADD of a tar (unpacked), ADD of a URL (a file of root's, mode 0600 as Docker makes it, its mtime from Last-Modified).
    const look = await glass(root, ['run', '--rm', '-u', '0', '--entrypoint', 'sh', 'every:v1', '-c', 'stat -c "%u:%g %a" app.sh; cat /srv/unpacked/one.txt /srv/unpacked/two.txt /srv/remote.txt; stat -c "%u %a %Y" /srv/remote.txt; ls -d /srv/data']);
    expect(look.stderr).toBe('');
    expect(look.stdout).toBe(`1000:1000 755\none\ntwo\nfetched over http\n0 600 ${Date.UTC(2015, 9, 21, 7, 28) / 1000}\n/srv/data\n`);

    // inspect shows each instruction's effect on the config.
    const config = await inspectJson('every:v1', '.Config');
    expect(config.Env).toEqual(expect.arrayContaining(['APP_HOME=/srv/app', 'MODE=test']));
    expect(config.Env.some((e: string) => e.startsWith('GREETING='))).toBe(false); // a build arg is not kept
    expect(config.User).toBe('1000:1000');
    expect(config.WorkingDir).toBe('/srv/app');
    expect(config.ExposedPorts).toEqual({ '53/udp': {}, '8080/tcp': {} });
    expect(config.Volumes).toEqual({ '/srv/data': {} });
    expect(config.Labels).toEqual({ 'org.example.stage': 'base', 'org.example.name': 'every instruction', 'org.example.mode': 'test' });
    expect(config.Entrypoint).toEqual(['/srv/app/app.sh']);
    expect(config.Cmd).toEqual(['one', 'two']);
    expect(config.StopSignal).toBe('SIGTERM');
    expect(config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'test -f /srv/app/greeting.txt'], Interval: 30e9, Timeout: 5e9, StartPeriod: 1e9, Retries: 2 });
    expect(config.OnBuild).toEqual(['RUN echo built on me']);
    expect(config.Shell).toEqual(['/bin/sh', '-c']);
    expect(await inspectJson('every:v1', '.Author')).toBe('A Learner <learner@example.com>');

    // history: one row per instruction, newest first; metadata steps add no layer (0B), as Docker shows them.
    const history = (await glass(root, ['history', '--no-trunc', '-H=false', '--format', '{{.CreatedBy}}|{{.Size}}', 'every:v1'])).stdout.split('\n');
    expect(history[0]).toBe('/bin/sh -c #(nop)  CMD ["one" "two"]|0');
    expect(history[1]).toBe('/bin/sh -c #(nop)  ENTRYPOINT ["/srv/app/app.sh"]|0');
    expect(history).toContain('/bin/sh -c #(nop)  EXPOSE 53/udp 8080/tcp|0');
    expect(history).toContain('/bin/sh -c #(nop)  USER 1000:1000|0');
    expect(history.find((h) => h.startsWith('|1 GREETING=hello /bin/sh -c echo "$GREETING from $MODE"'))).toMatch(/\|[1-9]\d*$/);
    // Docker's own text, quirk included: no space between --chown=... and the checksum (moby's performCopy formats it so).
    expect(history.find((h) => /^\/bin\/sh -c #\(nop\) COPY --chown=1000:1000file:[0-9a-f]{64} in \.\/ \|/.test(h))).toBeDefined();

    // The same build again: every step from the cache, no container run, the same image.
    const again = await glass(root, ['build', '-t', 'every:v1', files]);
    expect(again.exitCode).toBe(0);
    const cachedSteps = stepsOf(again.stdout);
    expect(cachedSteps.filter((s) => s.ran)).toEqual([]);
    // Every step but the meta ARG and the two FROMs comes from the cache.
    expect(cachedSteps.filter((s) => !s.cached).map((s) => s.instruction)).toEqual(['ARG BASE=busybox', 'FROM ${BASE} AS base', 'FROM base']);
    expect(again.stdout).toContain(`Successfully built ${shortId(id)}\n`);
    expect(again.stdout).not.toContain('Running in');
    expect(containerIds(root)).toEqual([]);
  });

  it('editing one file re-runs only the steps from its COPY on, and --explain says why', { timeout: SLOW_MS }, async () => {
    const dir = contextWith({
      Dockerfile: 'FROM busybox\nRUN echo first > /first\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy-of-a\nCOPY b.txt /b.txt\nCMD ["cat", "/copy-of-a", "/b.txt"]\n',
      'a.txt': 'version 1\n',
      'b.txt': 'b\n',
    });
    const build = (...args: string[]) => glass(root, ['build', ...args, '-t', 'edit:latest', dir]);
    const one = await build();
    expect(one.exitCode).toBe(0);
    expect(stepsOf(one.stdout).filter((s) => s.cached)).toEqual([]);
    // Only the modification time changes: Docker's checksums leave mtime out, so it is all cache still.
    utimesSync(join(dir, 'a.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const touched = await build();
    expect(stepsOf(touched.stdout).map((s) => s.cached)).toEqual([false, true, true, true, true, true]);
    // Change a.txt's content: step 2 still comes from the cache, step 3 (its COPY) and everything after run.
    writeFileSync(join(dir, 'a.txt'), 'version 2\n');
    const edited = await build('--progress', 'plain');
    expect(edited.exitCode).toBe(0);
    expect(stepsOf(edited.stdout).map((s) => [s.step, s.cached])).toEqual([[1, false], [2, true], [3, false], [4, false], [5, false], [6, false]]);
    expect(stepsOf(edited.stdout).filter((s) => s.ran && s.instruction.startsWith('RUN')).map((s) => s.step)).toEqual([4]);
    expect((await glass(root, ['run', '--rm', 'edit'])).stdout).toBe('version 2\nb\n');

    // --explain: each verdict, with its key, beside the kernel steps (stderr).
    writeFileSync(join(dir, 'a.txt'), 'version 3\n');
    const explained = await build('--explain');
    const why = explained.stderr;
    expect(why).toMatch(/\[cache\] hit: .*\n {4}key: parent [0-9a-f]{12}, \/bin\/sh -c echo first > \/first\n/);
    expect(why).toMatch(/\[cache\] miss: .*\n {4}key: parent [0-9a-f]{12}, \/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/a\.txt \n/);
    // Once a step missed, every later step runs, and says so.
    const verdicts = why.split('\n').filter((l) => l.includes('[cache]'));
    expect(verdicts.map((l) => /\[cache\] (hit|miss)/.exec(l)![1])).toEqual(['hit', 'miss', 'miss', 'miss', 'miss']);
    expect(why).toContain('[glass]'); // the kernel steps of the RUN container too

    // --no-cache: every step runs again.
    const fresh = await build('--no-cache');
    expect(stepsOf(fresh.stdout).filter((s) => s.cached)).toEqual([]);
    expect(stepsOf(fresh.stdout).filter((s) => s.ran).map((s) => s.step)).toEqual([2, 4, 6]);
  });

  it('multi-stage: only the stages the target needs are built, and the final image holds only the artefact', { timeout: SLOW_MS }, async () => {
    const dir = contextWith({
      Dockerfile: [
        'FROM busybox AS builder',
        'WORKDIR /src',
        'RUN echo artefact > app.txt && dd if=/dev/zero of=/src/big bs=1k count=256 2>/dev/null',
        'FROM busybox AS unused',
        'RUN echo this stage is not needed',
        'FROM scratch',
        'COPY --from=builder /src/app.txt /app.txt',
        'CMD ["/app.txt"]',
        '',
      ].join('\n'),
    });
    const r = await glass(root, ['build', '-t', 'ms:final', dir]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    // M counts the stages built: builder (3) and the final one (3); the unused stage is skipped.
    expect(stepsOf(r.stdout).map((s) => `${s.step}/${s.total} ${s.instruction}`)).toEqual([
      '1/6 FROM busybox AS builder',
      '2/6 WORKDIR /src',
      '3/6 RUN echo artefact > app.txt && dd if=/dev/zero of=/src/big bs=1k count=256 2>/dev/null',
      '4/6 FROM scratch',
      '5/6 COPY --from=builder /src/app.txt /app.txt',
      '6/6 CMD ["/app.txt"]',
    ]);
    expect(r.stdout).toContain('Step 4/6 : FROM scratch\n ---> \n');
    expect(r.stdout).not.toContain('this stage is not needed');
    // The final image is one layer holding app.txt alone: no busybox, no big file.
    const c = await glass(root, ['create', '--name', 'ms-look', 'ms:final']);
    expect(c.exitCode).toBe(0);
    const tar = await execa(GLASS, ['--root', root, 'export', 'ms-look'], { encoding: 'buffer', reject: false });
    const names = execFileSync('tar', ['-t'], { input: tar.stdout as Uint8Array }).toString().split('\n').map((n) => n.replace(/^\.\//, ''));
    // Beside it only what every container gets (the mount points and files glass provides: /dev, /proc, /sys, /etc/hosts...).
    expect(names.filter((n) => n !== '' && !/^(dev|proc|sys|etc)(\/|$)/.test(n))).toEqual(['app.txt']);
    expect(await inspectJson('ms:final', '.RootFS.Layers')).toHaveLength(1);
    await glass(root, ['rm', 'ms-look']);

    // --target builder: only that stage.
    const t = await glass(root, ['build', '--target', 'builder', '-t', 'ms:builder', dir]);
    expect(t.exitCode).toBe(0);
    expect(stepsOf(t.stdout).map((s) => `${s.step}/${s.total}`)).toEqual(['1/3', '2/3', '3/3']);
    expect((await glass(root, ['run', '--rm', 'ms:builder', 'cat', '/src/app.txt'])).stdout).toBe('artefact\n');
  });

  it(".dockerignore keeps files out of the context, with Docker's pattern rules", { timeout: SLOW_MS }, async () => {
    const dir = contextWith({
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\nCMD ["find", "/ctx", "-type", "f"]\n',
      '.dockerignore': '# comments and blank lines are skipped\n\nsecret.txt\nlogs/*.log\n!logs/keep.log\n**/node_modules\n*.tmp\n',
      'secret.txt': 'do not send\n',
      'app/main.txt': 'main\n',
      'app/node_modules/dep/index.js': 'x\n',
      'node_modules/top.js': 'x\n',
      'logs/a.log': 'a\n',
      'logs/keep.log': 'keep\n',
      'notes.tmp': 'tmp\n',
    });
    const r = await glass(root, ['build', '-t', 'ignore:latest', dir]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const found = (await glass(root, ['run', '--rm', 'ignore'])).stdout.split('\n').filter(Boolean).sort();
    expect(found).toEqual(['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/app/main.txt', '/ctx/logs/keep.log']);
    // An ignored file cannot be copied by name either: Docker's words.
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY secret.txt /\n');
    const refused = await glass(root, ['build', dir]);
    expect(refused.stderr).toBe('COPY failed: file not found in build context or excluded by .dockerignore: stat secret.txt: file does not exist\n');
    expect(refused.exitCode).toBe(1);
  });

  it('takes the context and the Dockerfile the ways Docker does: -f, a Dockerfile or a tar on stdin, -q, --iidfile, --build-arg, --label', { timeout: SLOW_MS }, async () => {
    const dir = contextWith({
      'docker/Build.file': 'FROM busybox\nARG WHO=nobody\nRUN echo "hello $WHO" > /hello\nCMD ["cat", "/hello"]\n',
      'data.txt': 'data\n',
    });
    // -f is relative to the current directory; the context is the directory given.
    const q = await execa(GLASS, ['--root', root, '--no-color', 'build', '-q', '-f', 'docker/Build.file', '--build-arg', 'WHO=learner', '--label', 'made.by=test', '--iidfile', join(dir, 'iid'), '-t', 'ways:f', '.'], { cwd: dir, reject: false, stdin: 'ignore' });
    expect(q.stderr).toBe('');
    expect(q.stdout).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, 'iid'), 'utf8')).toBe(q.stdout);
    expect((await glass(root, ['run', '--rm', 'ways:f'])).stdout).toBe('hello learner\n');
    expect(await inspectJson('ways:f', '.Config.Labels')).toEqual({ 'made.by': 'test' });
    // KEY alone takes the value from the environment.
    const env = await execa(GLASS, ['--root', root, 'build', '-q', '-f', join(dir, 'docker/Build.file'), '--build-arg', 'WHO', '-t', 'ways:env', dir], { env: { WHO: 'from-env' }, reject: false, stdin: 'ignore' });
    expect(env.exitCode).toBe(0);
    expect((await glass(root, ['run', '--rm', 'ways:env'])).stdout).toBe('hello from-env\n');
    // A build arg no ARG uses: Docker's warning.
    const unused = await glass(root, ['build', '-f', join(dir, 'docker/Build.file'), '--build-arg', 'NOBODY=x', dir]);
    expect(unused.stdout).toContain('[Warning] One or more build-args [NOBODY] were not consumed\n');

    // A Dockerfile on stdin, no context.
    const stdinFile = await execa(GLASS, ['--root', root, 'build', '-t', 'ways:stdin', '-'], { input: 'FROM busybox\nRUN echo from stdin > /s\n', reject: false });
    expect(stdinFile.stderr).toBe('');
    expect(stdinFile.exitCode).toBe(0);
    expect((await glass(root, ['run', '--rm', 'ways:stdin', 'cat', '/s'])).stdout).toBe('from stdin\n');
    // -f -: the Dockerfile from stdin, the context from the directory.
    const dashF = await execa(GLASS, ['--root', root, 'build', '-t', 'ways:dashf', '-f', '-', dir], { input: 'FROM busybox\nCOPY data.txt /\n', reject: false });
    expect(dashF.exitCode).toBe(0);
    expect((await glass(root, ['run', '--rm', 'ways:dashf', 'cat', '/data.txt'])).stdout).toBe('data\n');
    // A tar on stdin is the context, its Dockerfile inside.
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY data.txt /from-tar.txt\n');
    const tar = execFileSync('tar', ['-C', dir, '-c', 'Dockerfile', 'data.txt']);
    const fromTar = await execa(GLASS, ['--root', root, 'build', '-t', 'ways:tar', '-'], { input: tar, reject: false });
    expect(fromTar.stderr).toBe('');
    expect(fromTar.exitCode).toBe(0);
    expect((await glass(root, ['run', '--rm', 'ways:tar', 'cat', '/from-tar.txt'])).stdout).toBe('data\n');
    const both = await execa(GLASS, ['--root', root, 'build', '-f', '-', '-'], { input: '', reject: false });
    expect([both.stderr, both.exitCode]).toEqual(["invalid argument: can't use stdin for both build context and dockerfile", 1]);
  });

  it("answers bad input with Docker's words and exit codes, and leaves no container and no tag", { timeout: SLOW_MS }, async () => {
    const fail = async (dockerfile: string, args: string[] = [], files: Record<string, string | null> = {}) => {
      const dir = contextWith({ Dockerfile: dockerfile, ...files });
      const r = await glass(root, ['build', '-t', 'bad:latest', ...args, dir]);
      expect(containerIds(root)).toEqual([]);
      expect((await glass(root, ['images', '-q', 'bad'])).stdout).toBe('');
      return r;
    };
    // Errors the daemon answers before any step: "Error response from daemon: ...", exit 1.
    const unknown = await fail('FROM busybox\nRUNN echo hi\n');
    expect(unknown.stderr).toBe('Error response from daemon: dockerfile parse error line 2: unknown instruction: RUNN\n');
    expect(unknown.exitCode).toBe(1);
    const noFrom = await fail('RUN echo hi\n');
    expect(noFrom.stderr).toMatch(/^Error response from daemon: .*no build stage in current context.*\n$/);
    expect(noFrom.exitCode).toBe(1);
    const target = await fail('FROM busybox AS one\n', ['--target', 'nope']);
    expect(target.stderr).toBe('Error response from daemon: failed to reach build target nope in Dockerfile\n');
    expect(target.exitCode).toBe(1);
    // A RUN that fails: its output, then Docker's line; the CLI exits with the command's code.
    const run = await fail('FROM busybox\nRUN echo about to fail; exit 3\nCMD ["true"]\n');
    expect(run.stdout).toContain('Step 2/3 : RUN echo about to fail; exit 3\n');
    expect(run.stdout).toMatch(/ ---> Running in [0-9a-f]{12}\nabout to fail\n/);
    expect(run.stdout).not.toContain('Successfully');
    expect(run.stderr).toBe("The command '/bin/sh -c echo about to fail; exit 3' returned a non-zero code: 3\n");
    expect(run.exitCode).toBe(3);
    // -q: nothing on stdout; all it held back goes to stderr before the error, as Docker's CLI does; a stale --iidfile is gone.
    const iid = join(contextWith({}), 'iid');
    writeFileSync(iid, 'sha256:stale');
    const quiet = await fail('FROM busybox\nRUN echo about to fail; exit 3\n', ['-q', '--iidfile', iid]);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toMatch(/^Sending build context to Docker daemon {2}\S+\r\r\nStep 1\/2 : FROM busybox\n[\s\S]*about to fail\n[\s\S]*The command '\/bin\/sh -c echo about to fail; exit 3' returned a non-zero code: 3\n$/);
    expect(quiet.exitCode).toBe(3);
    expect(existsSync(iid)).toBe(false);
    // COPY of a path that is not there, or outside the context.
    const missing = await fail('FROM busybox\nCOPY nothere.txt /\n');
    expect(missing.stderr).toBe('COPY failed: file not found in build context or excluded by .dockerignore: stat nothere.txt: file does not exist\n');
    expect(missing.exitCode).toBe(1);
    const outside = await fail('FROM busybox\nCOPY ../x /x\n');
    expect(outside.stderr).toBe('COPY failed: forbidden path outside the build context: ../x ()\n');
    expect(outside.exitCode).toBe(1);
    // A symlink in the context pointing out of it copies what it names inside the context, never the host's file.
    const link = contextWith({ Dockerfile: 'FROM busybox\nCOPY passwd /from-link\n' });
    symlinkSync('/etc/passwd', join(link, 'passwd'));
    const linked = await glass(root, ['build', '-t', 'bad:latest', link]);
    expect(linked.exitCode).toBe(1);
    expect(linked.stderr).toMatch(/^COPY failed: /);

    // The CLI's own checks, before anything is sent (Docker's CLI words).
    const noDir = await glass(root, ['build', '/nonexistent/context']);
    expect([noDir.stderr, noDir.exitCode]).toEqual(['unable to prepare context: path "/nonexistent/context" not found\n', 1]);
    const url = await glass(root, ['build', 'https://example.com/context.tar.gz']);
    expect(url.stderr).toMatch(/^unable to prepare context: glass build takes a directory or - .*not a URL/);
    expect(url.exitCode).toBe(1);
    const empty = contextWith({ 'x.txt': 'x' });
    const noFile = await glass(root, ['build', empty]);
    expect([noFile.stderr, noFile.exitCode]).toEqual([`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${empty}/Dockerfile: no such file or directory\n`, 1]);
    // Malformed flags: pflag's words, exit 125.
    const badArg = await glass(root, ['build', '--build-arg', '=x', empty]);
    expect(badArg.stderr).toContain('invalid argument "=x" for "--build-arg" flag: invalid environment variable: =x');
    expect(badArg.exitCode).toBe(125);
    const badLabel = await glass(root, ['build', '--label', 'novalue', empty]);
    expect(badLabel.stderr).toContain('invalid argument "novalue" for "--label" flag: bad attribute format: novalue');
    expect(badLabel.exitCode).toBe(125);
    const badTag = await glass(root, ['build', '-t', 'Foo', empty]);
    expect(badTag.stderr).toContain('invalid argument "Foo" for "-t, --tag" flag: invalid reference format: repository name (Foo) must be lowercase');
    expect(badTag.exitCode).toBe(125);
    expect(existsSync(join(empty, 'Dockerfile'))).toBe(false);
  });

  it("FROM an image that is not here is pulled with the credentials of glass login, the pull's lines in the build's", { timeout: SLOW_MS }, async () => {
    const reg = await startRegistry({ auth: 'htpasswd', users: { alice: 'pw' } });
    const config = contextWith({});
    const as = (args: string[], extra: { input?: string } = {}) =>
      glass(root, args, { env: { GLASS_CONFIG: config }, ...(extra.input !== undefined ? { stdin: 'pipe' as const, input: extra.input } : {}) });
    try {
      const ref = `${reg.host}/private/base:1`;
      expect((await as(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'pw\n' })).exitCode).toBe(0);
      expect((await as(['tag', 'busybox', ref])).exitCode).toBe(0);
      expect((await as(['push', '-q', ref])).exitCode).toBe(0);
      expect((await as(['rmi', ref])).exitCode).toBe(0);
      const dir = contextWith({ Dockerfile: `FROM ${ref}\nRUN echo on the pulled base\n` });
      // Logged out: the registry refuses, after the FROM step began (so the error is printed bare, exit 1).
      expect((await as(['logout', reg.host])).exitCode).toBe(0);
      const denied = await as(['build', '-t', 'pulled:1', dir]);
      expect(denied.stdout).toContain(`Step 1/2 : FROM ${ref}\n`);
      expect(denied.stderr).not.toMatch(/^Error response from daemon/);
      expect(denied.stderr).toMatch(/\S/);
      expect(denied.exitCode).toBe(1);
      // Logged in: pulled, its lines between the FROM step and the image it made.
      expect((await as(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'pw\n' })).exitCode).toBe(0);
      const b = await as(['build', '-t', 'pulled:1', dir]);
      expect(b.stderr).toBe('');
      expect(b.exitCode).toBe(0);
      expect(b.stdout).toMatch(new RegExp(`Step 1/2 : FROM ${ref.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\n[\\s\\S]*Status: Downloaded newer image for ${ref.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\n ---> [0-9a-f]{12}\nStep 2/2 : RUN echo on the pulled base\n`));
      expect(b.stdout).toContain('on the pulled base\n');
      expect((await glass(root, ['rmi', 'pulled:1', ref])).exitCode).toBe(0);
    } finally {
      await reg.stop();
    }
  });

  it('Ctrl-C stops the build: the build container is removed and nothing is tagged', { timeout: SLOW_MS }, async () => {
    const dir = contextWith({ Dockerfile: 'FROM busybox\nRUN echo started; sleep 60\nCMD ["true"]\n' });
    const bg = glassInBackground(root, ['build', '-t', 'interrupted:latest', dir]);
    await bg.waitForOutput('started\n');
    expect(containerIds(root)).toHaveLength(1);
    bg.proc.kill('SIGINT');
    const r = await bg.proc;
    expect(r.exitCode).toBe(130);
    expect(bg.stdout()).not.toContain('Successfully');
    await waitFor(() => containerIds(root), (ids) => ids.length === 0, { what: 'the build container to be removed' });
    expect((await glass(root, ['images', '-q', 'interrupted'])).stdout).toBe('');

    // Ctrl-C pressed twice does not cut the clean-up short; a kill (SIGTERM) cleans up the same way, exit 143.
    for (const [signals, code] of [[['SIGINT', 'SIGINT'], 130], [['SIGTERM'], 143]] as const) {
      const again = glassInBackground(root, ['build', '--no-cache', '-t', 'interrupted:latest', dir]);
      await again.waitForOutput('started\n');
      for (const sig of signals) again.proc.kill(sig);
      expect((await again.proc).exitCode).toBe(code);
      expect(containerIds(root)).toEqual([]);
      expect((await glass(root, ['images', '-q', 'interrupted'])).stdout).toBe('');
    }
  });
});
