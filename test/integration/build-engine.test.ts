import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, isGlassError, type BuildOptions, type BuildProgress, type BuildResult, type Engine } from '../../runtime/engine/index.js';
import { containerIds, isRoot, removeContainersAfterEach, useRoot, waitFor } from '../helpers.js';
import { startRegistry, type TestRegistry } from '../registry.js';

/**
 * The classic builder through engine.builds.build, against real build
 * containers: what a learner sees — the steps and their numbers, the
 * output of RUN, the cache's verdicts and why, the image's config and
 * history, the files in it (by running it), and that nothing is left
 * behind when a step fails or the build is interrupted.
 */
const SLOW_MS = 180_000;

interface Built {
  result?: BuildResult;
  error?: unknown;
  events: BuildProgress[];
  /** Step lines as Docker prints them ("Step 2/7 : RUN echo hi"). */
  steps: string[];
  output: string;
}

describe.skipIf(!isRoot)('glass build (engine)', () => {
  const root = useRoot();
  removeContainersAfterEach(root);
  let engine: Engine;
  let work: string;
  let n = 0;

  beforeAll(() => {
    engine = createEngine({ root });
    work = mkdtempSync(join(tmpdir(), 'glass-build-engine-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A context directory with these files. */
  function context(files: Record<string, string>): string {
    const dir = join(work, `ctx${++n}`);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  }

  async function build(dir: string, opts: Partial<BuildOptions> = {}, onEvent?: (e: BuildProgress) => void): Promise<Built> {
    const events: BuildProgress[] = [];
    const out: Built = { events, steps: [], output: '' };
    try {
      out.result = await engine.builds.build({
        source: { dir },
        ...opts,
        onProgress: (e) => {
          events.push(e);
          if (e.type === 'step') out.steps.push(`Step ${e.step}/${e.total} : ${e.instruction}`);
          if (e.type === 'output') out.output += Buffer.from(e.data).toString();
          onEvent?.(e);
        },
      });
    } catch (e) {
      out.error = e;
    }
    return out;
  }

  const verdicts = (b: Built) => b.events.filter((e): e is Extract<BuildProgress, { type: 'cache' | 'miss' }> => e.type === 'cache' || e.type === 'miss').map((e) => e.verdict);

  async function runImage(image: string, command?: string[]): Promise<string> {
    const r = await engine.containers.run({ image, ...(command ? { command } : {}) });
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout;
  }

  const EVERYTHING = [
    'ARG BASE=busybox',
    'FROM $BASE',
    'ARG V=1',
    'MAINTAINER learner <l@example.com>',
    'ENV A=1 B="two words"',
    'LABEL org.example.kind=demo',
    'RUN echo "hi $V" > /hello && echo to-stderr >&2',
    'WORKDIR /app/sub',
    'RUN pwd > where',
    'RUN ["/bin/sh", "-c", "echo exec-form > /exec"]',
    'USER nobody',
    'EXPOSE 8080 53/udp',
    'VOLUME /data',
    'STOPSIGNAL SIGQUIT',
    'HEALTHCHECK --interval=30s --retries=3 CMD wget -q localhost:8080',
    'SHELL ["/bin/sh", "-c"]',
    'ONBUILD RUN echo triggered > /trigger',
    'ENTRYPOINT ["echo"]',
    'CMD ["hello"]',
  ].join('\n');

  it('builds every metadata instruction and RUN into the config and history, then takes all of it from the cache', async () => {
    const dir = context({ Dockerfile: EVERYTHING });
    const first = await build(dir, { tags: ['demo:1'], buildArgs: { V: 'two' } });
    expect(first.error).toBeUndefined();
    // Docker counts the meta ARG, the FROM and every instruction.
    expect(first.steps[0]).toBe('Step 1/19 : ARG BASE=busybox');
    expect(first.steps[1]).toBe('Step 2/19 : FROM $BASE');
    expect(first.steps.at(-1)).toBe('Step 19/19 : CMD ["hello"]');
    expect(first.output).toContain('to-stderr');
    expect(first.result!.tags).toEqual(['demo:1']);
    expect(first.result!.stepsCached).toBe(0);
    // Every step after FROM made a build container, as Docker's classic builder does (COPY would not); each was removed.
    expect(first.events.filter((e) => e.type === 'running')).toHaveLength(17);
    expect(first.events.filter((e) => e.type === 'removing')).toHaveLength(17);

    const img = await engine.images.inspect('demo:1');
    const c = img.Config;
    expect(c.Env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1', 'B=two words']);
    expect(c.Labels).toEqual({ 'org.example.kind': 'demo' });
    expect(c.User).toBe('nobody');
    expect(c.WorkingDir).toBe('/app/sub');
    expect(c.ExposedPorts).toEqual({ '53/udp': {}, '8080/tcp': {} });
    expect(c.Volumes).toEqual({ '/data': {} });
    expect(c.StopSignal).toBe('SIGQUIT');
    expect(c.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'wget -q localhost:8080'], Interval: 30_000_000_000, Retries: 3 });
    expect(c.Shell).toEqual(['/bin/sh', '-c']);
    expect(c.OnBuild).toEqual(['RUN echo triggered > /trigger']);
    expect(c.Entrypoint).toEqual(['echo']);
    expect(c.Cmd).toEqual(['hello']);
    expect(img.Author).toBe('learner <l@example.com>');
    // The build arg reached RUN but is not in the image.
    expect(c.Env!.some((e) => e.startsWith('V='))).toBe(false);
    expect(img.ContainerConfig.Cmd).toEqual(['/bin/sh', '-c', '#(nop) ', 'CMD ["hello"]']);

    // history: one row per instruction, as Docker words them; empty layers for metadata.
    const rows = (await engine.images.history('demo:1')).map((h) => [h.CreatedBy, h.Size > 0 || !/#\(nop\)/.test(h.CreatedBy)]);
    const by = rows.map(([t]) => t);
    expect(by).toContain('/bin/sh -c #(nop)  ENV A=1 B=two words');
    expect(by).toContain('|1 V=two /bin/sh -c echo "hi $V" > /hello && echo to-stderr >&2');
    expect(by).toContain('/bin/sh -c #(nop) WORKDIR /app/sub');
    // The exec form is the argv itself (with the build arg in scope, its prefix).
    expect(by).toContain('|1 V=two /bin/sh -c echo exec-form > /exec');
    expect(by).toContain('/bin/sh -c #(nop)  EXPOSE 53/udp 8080');
    expect(by).toContain('/bin/sh -c #(nop)  VOLUME [/data]');
    expect(by).toContain('/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "wget -q localhost:8080"] "30s" "0s" "0s" \'\\x03\'}');
    expect(by).toContain('/bin/sh -c #(nop)  SHELL [/bin/sh -c]');
    expect(by[0]).toBe('/bin/sh -c #(nop)  CMD ["hello"]');
    const layers = img.RootFS.Layers.length;
    const base = await engine.images.inspect('busybox');
    expect(layers - base.RootFS.Layers.length).toBe(4); // the three RUNs and WORKDIR's new directory; nothing else made a layer

    // The image runs as built: the entrypoint+cmd combination, RUN's files, the working directory.
    expect(await runImage('demo:1')).toBe('hello\n');
    expect(await runImage('demo:1', ['from', 'cmd'])).toBe('from cmd\n');
    const r = await engine.containers.run({ image: 'demo:1', entrypoint: 'cat', command: ['/hello', 'where', '/exec'] });
    expect(r.stdout).toBe('hi two\n/app/sub\nexec-form\n');
    // A container of the image carries its STOPSIGNAL and HEALTHCHECK (container inspect, as Docker's).
    const made = await engine.containers.create({ image: 'demo:1' });
    const ci = (await engine.containers.inspect(made.id)) as { Config: { StopSignal?: string; Healthcheck?: unknown } };
    expect(ci.Config.StopSignal).toBe('SIGQUIT');
    expect(ci.Config.Healthcheck).toEqual(c.Healthcheck);
    await engine.containers.remove(made.id);

    // Rebuilt unchanged: every step from the cache, nothing runs, the same image.
    const again = await build(dir, { tags: ['demo:1'], buildArgs: { V: 'two' } });
    expect(again.error).toBeUndefined();
    expect(again.result!.id).toBe(first.result!.id);
    expect(again.result!.stepsRun).toBe(0);
    expect(again.result!.stepsCached).toBe(17);
    expect(again.events.some((e) => e.type === 'running')).toBe(false);
    expect(verdicts(again).every((v) => v.hit && /same instruction/.test(v.reason))).toBe(true);

    // --no-cache: every step runs again and says why.
    const fresh = await build(dir, { buildArgs: { V: 'two' }, noCache: true });
    expect(fresh.result!.stepsRun).toBe(17);
    expect(fresh.result!.id).not.toBe(first.result!.id);
    expect(verdicts(fresh).every((v) => !v.hit && v.reason.startsWith('--no-cache'))).toBe(true);
    expect(containerIds(root)).toEqual([]);
  }, SLOW_MS);

  it('a changed step misses with its reason, and every later step says an earlier one missed', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nARG V\nENV A=1\nRUN echo $V > /v\nCMD ["cat","/v"]\n' });
    const first = await build(dir, { buildArgs: { V: 'one' } });
    expect(first.error).toBeUndefined();
    // A different --build-arg is a different RUN key ("|1 V=..."): the steps before it hit, RUN misses and says so.
    const other = await build(dir, { buildArgs: { V: 'two' } });
    const v = verdicts(other);
    expect(v.map((x) => x.hit)).toEqual([true, true, false, false]);
    expect(v[2]!.reason).toMatch(/build args differ/);
    expect(v[2]!.key!.cmd).toEqual(['|1', 'V=two', '/bin/sh', '-c', 'echo $V > /v']);
    expect(v[3]!.reason).toMatch(/earlier step of this stage missed/);
    expect(await runImage(other.result!.id)).toBe('two\n');

    // An edited instruction: the parent is the same image, but no child of it came from this text.
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nARG V\nENV A=2\nRUN echo $V > /v\nCMD ["cat","/v"]\n');
    const edited = await build(dir, { buildArgs: { V: 'one' } });
    const e = verdicts(edited);
    expect(e.map((x) => x.hit)).toEqual([true, false, false, false]);
    expect(e[1]!.reason).toMatch(/came from this instruction/);
    // An unused --build-arg is reported, as Docker does.
    const unused = await build(dir, { buildArgs: { V: 'one', NOPE: 'x' } });
    expect(unused.events).toContainEqual({ type: 'warning', message: '[Warning] One or more build-args [NOPE] were not consumed' });
  }, SLOW_MS);

  it('SHELL changes how the shell forms of RUN and CMD run (and RUN\'s key)', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nSHELL ["/bin/busybox", "env", "VIA=shell", "sh", "-c"]\nRUN echo shelled $VIA\nCMD echo from-cmd\n' });
    const b = await build(dir, { tags: ['shelled:1'] });
    expect(b.error).toBeUndefined();
    expect(b.output).toBe('shelled shell\n');
    const img = await engine.images.inspect('shelled:1');
    expect(img.Config.Cmd).toEqual(['/bin/busybox', 'env', 'VIA=shell', 'sh', '-c', 'echo from-cmd']);
    expect((await engine.images.history('shelled:1')).map((h) => h.CreatedBy).slice(0, 2)).toEqual([
      '/bin/busybox env VIA=shell sh -c #(nop)  CMD ["/bin/busybox" "env" "VIA=shell" "sh" "-c" "echo from-cmd"]',
      '/bin/busybox env VIA=shell sh -c echo shelled $VIA',
    ]);
  }, SLOW_MS);

  it('a failing RUN: Docker\'s error with the command\'s exit code, its output shown, no container left, nothing tagged', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nENV X=1\nRUN echo partial-output; exit 3\nCMD ["true"]\n' });
    const failed = await build(dir, { tags: ['broken:1'] });
    expect(isGlassError(failed.error)).toBe(true);
    const err = failed.error as { code: string; exitCode: number; message: string };
    expect(err.code).toBe('BUILD_RUN_FAILED');
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe("The command '/bin/sh -c echo partial-output; exit 3' returned a non-zero code: 3");
    expect(failed.output).toContain('partial-output');
    expect(failed.steps.at(-1)).toBe('Step 3/4 : RUN echo partial-output; exit 3');
    expect(containerIds(root)).toEqual([]);
    await expect(engine.images.inspect('broken:1')).rejects.toThrow(/No such image/);
  }, SLOW_MS);

  it('multi-stage: --target builds only the stages it needs; an unknown target is refused; COPY --from into scratch holds only the artefact', async () => {
    const dir = context({
      'src/msg.txt': 'artefact\n',
      Dockerfile: [
        'FROM busybox AS builder',
        'COPY src/msg.txt /work/msg.txt',
        'RUN cp /bin/busybox /work/busybox',
        'FROM busybox AS unused',
        'RUN echo should-not-run',
        'FROM scratch AS final',
        'COPY --from=builder /work/ /',
        'CMD ["/busybox", "cat", "/msg.txt"]',
        'FROM busybox AS other',
        'RUN echo other-stage',
      ].join('\n'),
    });
    const b = await build(dir, { target: 'final', tags: ['tiny:1'] });
    expect(b.error).toBeUndefined();
    // builder (3 steps) + final (3 steps); "unused" and "other" are skipped and not counted.
    expect(b.steps).toEqual([
      'Step 1/6 : FROM busybox AS builder',
      'Step 2/6 : COPY src/msg.txt /work/msg.txt',
      'Step 3/6 : RUN cp /bin/busybox /work/busybox',
      'Step 4/6 : FROM scratch AS final',
      'Step 5/6 : COPY --from=builder /work/ /',
      'Step 6/6 : CMD ["/busybox", "cat", "/msg.txt"]',
    ]);
    expect(b.output).not.toMatch(/should-not-run|other-stage/);
    expect(b.events).toContainEqual({ type: 'image', id: '' }); // FROM scratch: no image yet
    const img = await engine.images.inspect('tiny:1');
    expect(img.RootFS.Layers).toHaveLength(1); // only the artefact's layer: nothing of the builder stage
    expect(img.Parent).not.toBe('');
    expect(await runImage('tiny:1')).toBe('artefact\n');
    const ls = await engine.containers.run({ image: 'tiny:1', command: ['/busybox', 'ls', '/'] });
    expect(ls.stdout.split('\n').filter((l) => l && !['dev', 'etc', 'proc', 'sys'].includes(l))).toEqual(['busybox', 'msg.txt']);

    // A FROM may name a stage through a meta ARG; the stage between is not needed.
    const viaArg = context({ Dockerfile: 'ARG SRC=first\nFROM busybox AS first\nRUN echo one > /one\nFROM busybox AS second\nRUN echo second-ran\nFROM $SRC\nRUN cat /one\n' });
    const a = await build(viaArg);
    expect(a.error).toBeUndefined();
    expect(a.steps.map((l) => l.slice(0, 10))).toEqual(['Step 1/5 :', 'Step 2/5 :', 'Step 3/5 :', 'Step 4/5 :', 'Step 5/5 :']);
    expect(a.steps[3]).toBe('Step 4/5 : FROM $SRC');
    expect(a.output).toBe('one\n');

    const bad = await build(dir, { target: 'nope' });
    expect((bad.error as Error).message).toBe('failed to reach build target nope in Dockerfile');
    expect((bad.error as { exitCode: number }).exitCode).toBe(1);
    expect(bad.steps).toEqual([]);
  }, SLOW_MS);

  it('ONBUILD triggers run first in a build FROM the image, and are not inherited further', async () => {
    const parent = context({ Dockerfile: 'FROM busybox\nONBUILD RUN echo triggered > /trigger\nONBUILD ENV T=1\n' });
    expect((await build(parent, { tags: ['onbuild-base:1'] })).error).toBeUndefined();
    const child = context({ Dockerfile: 'FROM onbuild-base:1\nRUN cat /trigger\n' });
    const b = await build(child, { tags: ['onbuild-child:1'], labels: { 'b.key': 'two', 'a.key': 'one' } });
    expect(b.error).toBeUndefined();
    // --label: one LABEL step after the last instruction, keys sorted (moby's NodeFromLabels).
    expect(b.steps.at(-1)).toBe(`Step 3/3 : LABEL "a.key"='one' "b.key"='two'`);
    expect(b.output).toContain('# Executing 2 build triggers\n');
    expect(b.output).toContain('triggered\n');
    const img = await engine.images.inspect('onbuild-child:1');
    expect(img.Config.OnBuild).toBeNull();
    expect(img.Config.Env).toContain('T=1');
    expect(img.Config.Labels).toEqual({ 'a.key': 'one', 'b.key': 'two' });
  }, SLOW_MS);

  it('Ctrl-C (the signal) during a RUN: the build container is killed and removed, nothing is tagged, earlier steps stay as cache', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nENV STEP=1\nRUN echo started; sleep 60\nCMD ["true"]\n' });
    const ac = new AbortController();
    const started = Date.now();
    const b = await build(dir, { tags: ['cancelled:1'], signal: ac.signal }, (e) => {
      if (e.type === 'output' && Buffer.from(e.data).toString().includes('started')) ac.abort();
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((b.error as { code: string }).code).toBe('BUILD_CANCELLED');
    expect(containerIds(root)).toEqual([]);
    await expect(engine.images.inspect('cancelled:1')).rejects.toThrow(/No such image/);
    // The ENV step's image was committed before the interruption: the next build takes it from the cache.
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nENV STEP=1\nRUN echo quick\n');
    const again = await build(dir);
    expect(verdicts(again).map((v) => v.hit)).toEqual([true, false]);
  }, SLOW_MS);

  it('images hides the intermediate images (images -a shows them); rmi of the tag deletes them with it', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nENV ONLY=here\nRUN echo x > /x\nLABEL last=1\n' });
    const b = await build(dir, { tags: ['layered:1'] });
    expect(b.error).toBeUndefined();
    const shown = await engine.images.list();
    const all = await engine.images.list({ all: true });
    const mine = (await engine.images.history('layered:1')).slice(0, 3).map((h) => h.Id);
    expect(shown.map((i) => i.Id)).toContain(mine[0]);
    expect(shown.map((i) => i.Id)).not.toContain(mine[1]);
    expect(all.filter((i) => mine.includes(i.Id)).map((i) => i.RepoTag)).toEqual(['layered:1', '<none>:<none>', '<none>:<none>']);
    // An intermediate image is refused by ID while its child exists.
    await expect(engine.images.remove(mine[1]!)).rejects.toThrow(/image has dependent child images/);
    const lines = await engine.images.remove('layered:1');
    expect(lines[0]).toBe('Untagged: layered:1');
    for (const id of mine) expect(lines).toContain(`Deleted: ${id}`);
    const left = (await engine.images.list({ all: true })).map((i) => i.Id);
    for (const id of mine) expect(left).not.toContain(id);
    expect(left).toContain((await engine.images.inspect('busybox')).Id);
  }, SLOW_MS);

  it('under a VOLUME, COPY and WORKDIR write into the layer but RUN\'s writes go to its throwaway volume (Docker\'s rule)', async () => {
    const dir = context({ 'f.txt': 'copied\n', Dockerfile: 'FROM busybox\nVOLUME /data\nCOPY f.txt /data/f.txt\nWORKDIR /data/made\nRUN echo lost > /data/ran.txt\n' });
    const b = await build(dir, { tags: ['vol:1'] });
    expect(b.error).toBeUndefined();
    const ls = await engine.containers.run({ image: 'vol:1', command: ['sh', '-c', 'cat /data/f.txt; ls /data'] });
    expect(ls.stdout).toBe('copied\nf.txt\nmade\n');
    expect(containerIds(root)).toEqual([]);
  }, SLOW_MS);

  it('--rm=false keeps the build containers (exited, for a look inside); --force-rm removes them anyway', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nRUN echo kept > /k\n' });
    const kept = await build(dir, { rm: false, noCache: true });
    expect(kept.error).toBeUndefined();
    expect(kept.events.some((e) => e.type === 'removing')).toBe(false);
    const left = await engine.containers.list({ all: true });
    expect(left.map((c) => c.State)).toEqual(['exited']);
    expect(left[0]!.Command).toBe("/bin/sh -c 'echo kept > /k'");
    await engine.containers.remove(left[0]!.Id);
    const forced = await build(dir, { rm: false, forceRm: true, noCache: true });
    expect(forced.events.some((e) => e.type === 'removing')).toBe(true);
    expect(containerIds(root)).toEqual([]);
  }, SLOW_MS);

  it('stop sends the image\'s STOPSIGNAL', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nSTOPSIGNAL SIGUSR1\nCMD ["sh", "-c", "trap \\"echo got-usr1; exit 0\\" USR1; echo ready; while true; do sleep 0.1; done"]\n' });
    const b = await build(dir, { tags: ['stopsig:1'] });
    expect(b.error).toBeUndefined();
    const c = await engine.containers.create({ image: 'stopsig:1' });
    await engine.containers.start(c.id);
    // Its trap is set once it says so; a signal before that would find no handler.
    const logText = async () => {
      let text = '';
      for await (const e of engine.containers.logs(c.id)) text += e.log;
      return text;
    };
    await waitFor(logText, (t) => t.includes('ready'), { what: 'the container to set its USR1 trap' });
    await engine.containers.stop(c.id, 20);
    expect(await logText()).toContain('got-usr1');
    const events = await engine.events.list();
    expect(events.filter((e) => e.Actor?.ID === c.id && e.Action === 'kill').map((e) => e.Actor.Attributes.signal)).toEqual(['10']);
    expect((await engine.containers.get(c.id)).exitCode).toBe(0);
    await engine.containers.remove(c.id);
  }, SLOW_MS);

  describe('FROM an image the store lacks', () => {
    let reg: TestRegistry;
    beforeAll(async () => {
      reg = await startRegistry();
    }, SLOW_MS);
    afterAll(async () => reg?.stop());

    it('is pulled, with the pull\'s progress among the build\'s', async () => {
      await engine.images.tag('busybox', `${reg.host}/base/box:1`);
      await engine.images.push(`${reg.host}/base/box:1`);
      await engine.images.remove(`${reg.host}/base/box:1`);
      const dir = context({ Dockerfile: `FROM ${reg.host}/base/box:1\nRUN echo pulled-base\n` });
      const b = await build(dir);
      expect(b.error).toBeUndefined();
      expect(b.events.filter((e) => e.type === 'pull').map((e) => (e as { status: string }).status)).toContain(`Status: Downloaded newer image for ${reg.host}/base/box:1`);
      expect(b.output).toContain('pulled-base');
      await waitFor(() => engine.images.inspect(`${reg.host}/base/box:1`), (i) => !!i.Id, { what: 'the pulled base image' });
      // --pull asks the registry again even though the image is here; the rest comes from the cache.
      const again = await build(dir, { pull: true });
      expect(again.events.filter((e) => e.type === 'pull').map((e) => (e as { status: string }).status)).toContain(`Status: Image is up to date for ${reg.host}/base/box:1`);
      expect(again.result!.stepsCached).toBe(1);
    }, SLOW_MS);
    it('from a registry that wants credentials: refused without them, pulled with the client\'s', async () => {
      const secure = await startRegistry({ auth: 'htpasswd', users: { alice: 'pw' } });
      try {
        const ref = `${secure.host}/private/box:1`;
        await engine.images.tag('busybox', ref);
        await engine.images.push(ref, { auth: { username: 'alice', password: 'pw' } });
        await engine.images.remove(ref);
        const dir = context({ Dockerfile: `FROM ${ref}\nRUN echo private-base\n` });
        const denied = await build(dir);
        expect((denied.error as { code: string }).code).toBe('REGISTRY_UNAUTHORIZED');
        const asked: string[] = [];
        const b = await build(dir, { registryAuth: (key) => (asked.push(key), key === secure.host ? { username: 'alice', password: 'pw' } : undefined) });
        expect(b.error).toBeUndefined();
        expect(asked).toEqual([secure.host]);
        expect(b.output).toContain('private-base');
      } finally {
        await secure.stop();
      }
    }, SLOW_MS);
  });
});
