import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createEngine, GlassError, type Engine, type Step } from '../../runtime/engine/index.js';
import { isRoot, removeContainersAfterEach, useRoot, waitFor } from '../helpers.js';

/** Host processes whose command line names `text` (a container's directory: its shim; a marker file: a hook). */
function processesNaming(text: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) out.push(Number(pid));
    } catch { /* gone */ }
  }
  return out;
}

/** The engine as a notebook uses it: typed, promise-based, steps per operation, no printing. */
describe.skipIf(!isRoot)('engine library', () => {
  const root = useRoot();
  removeContainersAfterEach(root); // a test that fails midway leaves no container behind
  let engine: Engine;
  beforeAll(() => {
    engine = createEngine({ root });
  });

  it('run() collects output and exit code, feeds stdin, traces its steps, and cleans up', async () => {
    const steps: Step[] = [];
    const r = await engine.containers.run(
      { image: 'busybox', command: ['sh', '-c', 'tr a-z A-Z; echo oops >&2; exit 3'], input: 'from a notebook\n' },
      { onStep: (s) => steps.push(s) },
    );
    expect(r).toMatchObject({ exitCode: 3, stdout: 'FROM A NOTEBOOK\n', stderr: 'oops\n' });
    expect(existsSync(`${root}/containers/${r.id}`)).toBe(false);
    const titles = steps.filter((s) => s.phase !== 'started').map((s) => s.title);
    expect(titles).toContain('Mount the overlay root filesystem');
    expect(titles).toContain("Execute the container's command");
    expect(steps.every((s) => s.at instanceof Date && (s.by === 'shim' || s.by === 'runtime'))).toBe(true);
    // One operation: one id, numbered in order, and about this container once it was known.
    expect(new Set(steps.map((s) => s.op?.id)).size).toBe(1);
    expect(steps.map((s) => s.seq)).toEqual(steps.map((_, i) => i + 1));
    expect(steps.filter((s) => s.title.startsWith('Mount')).every((s) => s.containerId === r.id)).toBe(true);
  });

  it('two runs at once through one engine give two separate, ordered traces', async () => {
    const all: Step[] = [];
    const off = engine.onStep((s) => all.push(s));
    const a: Step[] = [];
    const b: Step[] = [];
    const [ra, rb] = await Promise.all([
      engine.containers.run({ image: 'busybox', command: ['echo', 'a'] }, { onStep: (s) => a.push(s) }),
      engine.containers.run({ image: 'busybox', command: ['echo', 'b'] }, { onStep: (s) => b.push(s) }),
    ]);
    off();
    expect([ra.stdout, rb.stdout]).toEqual(['a\n', 'b\n']);
    for (const [trace, id] of [[a, ra.id], [b, rb.id]] as const) {
      expect(new Set(trace.map((s) => s.op!.id)).size).toBe(1);
      expect(trace.map((s) => s.seq)).toEqual(trace.map((_, i) => i + 1));
      expect(trace.filter((s) => s.containerId).every((s) => s.containerId === id)).toBe(true);
      expect(trace.map((s) => s.title)).toContain("Execute the container's command");
    }
    expect(a[0]!.op!.id).not.toBe(b[0]!.op!.id);
    // The engine-wide listener saw both, each step exactly once.
    expect(all.length).toBe(a.length + b.length);
  });

  it('a failing step is in the trace as failed, with its error', async () => {
    const steps: Step[] = [];
    const err = await engine.containers.export('no-such-container', '/dev/null', { onStep: (s) => steps.push(s) }).catch((e) => e);
    expect(err).toMatchObject({ code: 'NO_SUCH_CONTAINER' });
    const c = await engine.containers.create({ image: 'busybox', command: ['true'] });
    // Exporting into a file that exists already: tar's output cannot be created, the pack step fails.
    const out = `${root}/exists.tar`;
    (await import('node:fs')).writeFileSync(out, '');
    const failed = await engine.containers.export(c.id, out, { onStep: (s) => steps.push(s) }).catch((e) => e);
    expect(failed).toBeInstanceOf(Error);
    const bad = steps.find((s) => s.phase === 'failed');
    expect(bad).toMatchObject({ phase: 'failed', containerId: c.id });
    expect(bad!.error).toMatch(/EEXIST|exists/);
    await engine.containers.remove(c.id);
  });

  it('lists, inspects and stops containers; errors are typed with codes', async () => {
    const c = await engine.containers.create({ image: 'busybox', command: ['sleep', '100'], name: 'lib-sleeper' });
    await engine.containers.start(c.id);
    const running = await engine.containers.list();
    expect(running.map((i) => i.Names[0])).toContain('/lib-sleeper');
    expect(running.find((i) => i.Id === c.id)?.Status).toMatch(/^Up /);
    const info = await engine.containers.get('lib-sleeper');
    expect(info.running).toBe(true);
    await engine.containers.stop('lib-sleeper', 0);
    expect((await engine.containers.get(c.id)).exitCode).toBe(137);
    const logs: string[] = [];
    for await (const e of engine.containers.logs(c.id)) logs.push(e.log);
    expect(logs).toEqual([]);
    await engine.containers.remove(c.id);
    const err = await engine.containers.get('lib-sleeper').catch((e) => e);
    expect(err).toBeInstanceOf(GlassError);
    expect(err.code).toBe('NO_SUCH_CONTAINER');
    const nf = await engine.containers.run({ image: 'busybox', command: ['nope'] }).catch((e) => e);
    expect(nf).toMatchObject({ code: 'COMMAND_NOT_FOUND', exitCode: 127 });
  });

  it('--rm: the shim runs the remove hook only when no attached caller promised to remove', async () => {
    const marker = `${root}/hook-ran`;
    const hooked = createEngine({ root, removeCommand: ['/bin/sh', '-c', `echo "$0" >> ${marker}`] });
    const r = await hooked.containers.run({ image: 'busybox', command: ['true'] }); // attached: run() removes it itself
    expect(r.exitCode).toBe(0);
    // Its shim decides on the hook after the exit and, if it runs one, starts it before it exits
    // itself. So once that shim is gone and no hook of this test is running, a hook it started
    // would have written the marker by now: its absence then means none was started.
    await waitFor(() => processesNaming(`${root}/containers/${r.id}`), (p) => p.length === 0, { what: `the shim of ${r.id.slice(0, 12)} to exit` });
    await waitFor(() => processesNaming(marker), (p) => p.length === 0, { what: `no exit hook writing ${marker}` });
    expect(existsSync(marker)).toBe(false);

    const c = await hooked.containers.create({ image: 'busybox', command: ['true'], autoRemove: true });
    await hooked.containers.start(c.id); // detached: nobody promised, so the shim's hook runs with the ID
    const written = await waitFor(() => readFileSync(marker, 'utf8'), (m) => m.endsWith('\n'), { what: `the exit hook to write ${marker}` });
    expect(written).toBe(`${c.id}\n`);
    await hooked.containers.remove(c.id, { force: true });
  });
});
