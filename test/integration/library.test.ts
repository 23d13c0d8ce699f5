import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { Runtime } from '../../runtime/engine/engine.js';
import { GlassError } from '../../runtime/engine/errors.js';
import type { Step } from '../../runtime/kernel/step.js';
import { cleanRoot, isRoot, newRoot, sleep } from '../helpers.js';

/** core as a notebook uses it: typed, promise-based, steps as events, no printing. */
describe.skipIf(!isRoot)('core library', () => {
  let root: string;
  let rt: Runtime;
  beforeAll(() => {
    root = newRoot();
    rt = new Runtime({ root });
  });
  afterAll(() => cleanRoot(root));

  it('run() collects output and exit code, feeds stdin, emits steps, and cleans up', async () => {
    const steps: Step[] = [];
    const onStep = (s: Step) => steps.push(s);
    rt.on('step', onStep);
    const r = await rt.run({ image: 'busybox', command: ['sh', '-c', 'tr a-z A-Z; echo oops >&2; exit 3'], input: 'from a notebook\n' });
    rt.off('step', onStep);
    expect(r).toMatchObject({ exitCode: 3, stdout: 'FROM A NOTEBOOK\n', stderr: 'oops\n' });
    expect(existsSync(`${root}/containers/${r.id}`)).toBe(false);
    const titles = steps.map((s) => s.title);
    expect(titles).toContain('Mount the overlay root filesystem');
    expect(titles).toContain("Execute the container's command");
    expect(steps.every((s) => s.at instanceof Date && (s.by === 'shim' || s.by === 'runtime'))).toBe(true);
  });

  it('lists, inspects and stops containers; errors are typed with codes', async () => {
    const c = await rt.create({ image: 'busybox', command: ['sleep', '100'], name: 'lib-sleeper' });
    await rt.start(c.id);
    const running = await rt.list();
    expect(running.map((i) => i.config.name)).toContain('lib-sleeper');
    const info = await rt.info('lib-sleeper');
    expect(info.running).toBe(true);
    await rt.stop('lib-sleeper', 0);
    expect((await rt.info(c.id)).exitCode).toBe(137);
    const logs: string[] = [];
    for await (const e of rt.logs(c.id)) logs.push(e.log);
    expect(logs).toEqual([]);
    await rt.remove(c.id);
    const err = await rt.info('lib-sleeper').catch((e) => e);
    expect(err).toBeInstanceOf(GlassError);
    expect(err.code).toBe('NO_SUCH_CONTAINER');
    const nf = await rt.run({ image: 'busybox', command: ['nope'] }).catch((e) => e);
    expect(nf).toMatchObject({ code: 'COMMAND_NOT_FOUND', exitCode: 127 });
  });

  it('--rm: the shim runs the remove hook only when no attached caller promised to remove', async () => {
    const marker = `${root}/hook-ran`;
    const hooked = new Runtime({ root, removeCommand: ['/bin/sh', '-c', `echo "$0" >> ${marker}`] });
    const r = await hooked.run({ image: 'busybox', command: ['true'] }); // attached: run() removes it itself
    expect(r.exitCode).toBe(0);
    await sleep(300);
    expect(existsSync(marker)).toBe(false);

    const c = await hooked.create({ image: 'busybox', command: ['true'], autoRemove: true });
    await hooked.start(c.id); // detached: nobody promised, so the shim's hook runs with the ID
    for (let i = 0; i < 50 && !existsSync(marker); i++) await sleep(50);
    expect(readFileSync(marker, 'utf8')).toBe(`${c.id}\n`);
    await hooked.remove(c.id, { force: true });
  });
});
