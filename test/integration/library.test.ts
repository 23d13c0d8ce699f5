import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { Runtime } from '../../runtime/core/runtime.js';
import { GlassError } from '../../runtime/core/errors.js';
import type { Step } from '../../runtime/kernel/step.js';
import { cleanRoot, isRoot, newRoot } from '../helpers.js';

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
});
