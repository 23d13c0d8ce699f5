import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildConfig, DEFAULT_PATH, validateCreate } from '../../runtime/engine/containers/create-config.js';
import { statusOf } from '../../runtime/engine/containers/status.js';
import { parseSignal, signalNumber } from '../../runtime/engine/containers/signals.js';
import { runPipeline, type StartStage } from '../../runtime/engine/containers/pipeline.js';
import { ContainerStore } from '../../runtime/engine/containers/store.js';
import type { ContainerConfig, CreateOptions } from '../../runtime/engine/containers/types.js';
import { referenceMatcher } from '../../runtime/engine/images/match.js';
import { Paths } from '../../runtime/engine/state/paths.js';
import { Tracing } from '../../runtime/engine/trace.js';
import { EventLog } from '../../runtime/engine/events.js';
import { report, step, type Step } from '../../runtime/kernel/step.js';

/** The engine's rules, tested without root: no containers, no kernel. */

const image = (config: object = {}) => ({ id: 'sha256:' + 'a'.repeat(64), layerDirs: ['/l1', '/l2'], config });
const config = (opts: Partial<CreateOptions>, imageConfig: object = {}, userEnv: string[] = []) =>
  buildConfig({ id: 'f'.repeat(64), name: 'web', created: '2026-11-25T00:00:00.000Z', image: image(imageConfig), opts: { image: 'busybox', command: opts.entrypoint === undefined && !(imageConfig as { Cmd?: unknown }).Cmd ? ['true'] : undefined, ...opts }, userEnv });

describe('create-config rules', () => {
  it('takes the image Cmd unless a command is given', () => {
    expect(config({}, { Cmd: ['sh'] })).toMatchObject({ path: 'sh', args: [], cmd: ['sh'], entrypoint: null });
    expect(config({ command: ['echo', 'hi'] }, { Cmd: ['sh'] })).toMatchObject({ path: 'echo', args: ['hi'] });
  });
  it('--entrypoint replaces the image entrypoint and drops its Cmd; "" clears it', () => {
    const ic = { Entrypoint: ['/init'], Cmd: ['--serve'] };
    expect(config({}, ic)).toMatchObject({ path: '/init', args: ['--serve'] });
    expect(config({ entrypoint: 'sh' }, ic)).toMatchObject({ path: 'sh', args: [], cmd: null, entrypoint: ['sh'] });
    expect(config({ entrypoint: '', command: ['ls'] }, ic)).toMatchObject({ path: 'ls', entrypoint: null });
    expect(() => config({ entrypoint: '' }, ic)).toThrow(/No command specified/);
  });
  it('environment: defaults first, then the image, then the user, each replacing by key', () => {
    const c = config({ tty: true }, { Env: ['PATH=/opt/bin', 'A=image'] }, ['A=user', 'B=2']);
    expect(c.env).toEqual(['PATH=/opt/bin', `HOSTNAME=${'f'.repeat(12)}`, 'TERM=xterm', 'A=user', 'B=2']);
    expect(config({}).env).toEqual([DEFAULT_PATH, `HOSTNAME=${'f'.repeat(12)}`]);
  });
  it('hostname defaults to the short id; workdir and user fall back to the image', () => {
    expect(config({}, { WorkingDir: '/srv', User: 'nobody' })).toMatchObject({ hostname: 'ffffffffffff', workingDir: '/srv', user: 'nobody' });
    expect(config({ hostname: 'h', workdir: '/w', user: '0' }, { WorkingDir: '/srv' })).toMatchObject({ hostname: 'h', workingDir: '/w', user: '0' });
  });
  it('refuses bad names and relative working directories before anything is made', () => {
    expect(() => validateCreate({ image: 'busybox', name: 'x' })).toThrow(/Invalid container name \(x\)/);
    expect(() => validateCreate({ image: 'busybox', name: '-bad' })).toThrow(/Invalid container name/);
    expect(() => validateCreate({ image: 'busybox', workdir: 'rel' })).toThrow(/needs to be an absolute path/);
    expect(() => validateCreate({ image: 'busybox', name: 'ok_name.1', workdir: '/abs' })).not.toThrow();
  });
});

describe('status rules', () => {
  const c = { id: 'x' } as ContainerConfig;
  const started = { status: 'started' as const, restartCount: 0 };
  const created = { status: 'created' as const, restartCount: 0 };
  const shim = { pid: 10, startTime: 20, initPid: 42 };
  const exit = { exitCode: 3, signal: 0, finishedAt: 't' };
  it('created, exited (with the shim’s code), running, and dead when the shim is gone', () => {
    expect(statusOf(c, { state: created, shimAlive: false }).status).toBe('created');
    expect(statusOf(c, { state: started, shim, exit, shimAlive: false })).toMatchObject({ status: 'exited', exitCode: 3 });
    expect(statusOf(c, { state: started, shim, shimAlive: true })).toMatchObject({ status: 'running', running: true, pid: 42 });
    expect(statusOf(c, { state: started, shim, shimAlive: false })).toMatchObject({ status: 'dead', running: false });
  });
  it('the shim’s own record wins over a state the killed CLI never updated', () => {
    // Killed after the exec, before writing "started": still running, then exited.
    expect(statusOf(c, { state: created, shim, shimAlive: true })).toMatchObject({ status: 'running', pid: 42 });
    expect(statusOf(c, { state: created, shim, exit, shimAlive: false })).toMatchObject({ status: 'exited', exitCode: 3 });
    // An exit record with no run behind it (a start that failed) is not an exit.
    expect(statusOf(c, { state: created, exit, shimAlive: false }).status).toBe('created');
  });
  it('an unknown exit keeps its reason', () => {
    const unknown = { exitCode: 255, signal: 0, finishedAt: 't', unknown: true, reason: 'the shim died' };
    expect(statusOf(c, { state: started, shim, exit: unknown, shimAlive: false })).toMatchObject({ status: 'exited', exitCode: 255, problem: 'the shim died' });
  });
});

describe('image reference matching (images PATTERN)', () => {
  it('matches name:tag and the bare name, with globs inside one path component', () => {
    expect(referenceMatcher('busybox')('busybox:latest')).toBe(true);
    expect(referenceMatcher('docker.io/library/busybox')('busybox:latest')).toBe(true);
    expect(referenceMatcher('busybox:1.*')('busybox:1.36')).toBe(true);
    expect(referenceMatcher('busybox:1.*')('busybox:latest')).toBe(false);
    expect(referenceMatcher('my*')('myorg/app:1')).toBe(false);
    expect(referenceMatcher('myorg/*')('myorg/app:1')).toBe(true);
  });
});

describe('signals', () => {
  it('accepts KILL, SIGKILL, kill and 9; refuses the rest', () => {
    expect(parseSignal('KILL')).toBe('SIGKILL');
    expect(parseSignal('sigterm')).toBe('SIGTERM');
    expect(parseSignal('9')).toBe(9);
    expect(signalNumber('SIGTERM')).toBe(15);
    expect(() => parseSignal('FOO')).toThrow(/invalid signal: FOO/);
    expect(() => parseSignal('99')).toThrow(/invalid signal/);
  });
});

describe('the start pipeline', () => {
  const ctx = () => ({ config: {} as ContainerConfig, dir: '/x', trace: () => {} });
  const stages = (log: string[], failAt?: string): StartStage[] =>
    ['cgroup', 'network', 'limits'].map((name) => ({
      name,
      prepare: () => {
        log.push(`prepare ${name}`);
        if (failAt === `prepare ${name}`) throw new Error(failAt);
      },
      atPid: (_c, pid) => {
        log.push(`atPid ${name} ${pid}`);
        if (failAt === `atPid ${name}`) throw new Error(failAt);
      },
      undo: () => void log.push(`undo ${name}`),
    }));
  it('prepares in order, runs each stage at the pid, then launches', async () => {
    const log: string[] = [];
    const r = await runPipeline(stages(log), ctx(), async (atPid) => (await atPid(7), 'started'));
    expect(r).toBe('started');
    expect(log).toEqual(['prepare cgroup', 'prepare network', 'prepare limits', 'atPid cgroup 7', 'atPid network 7', 'atPid limits 7']);
  });
  it('undoes every stage that ran, in reverse, when a stage fails', async () => {
    const log: string[] = [];
    await expect(runPipeline(stages(log, 'atPid network'), ctx(), async (atPid) => atPid(7))).rejects.toThrow('atPid network');
    expect(log.slice(-3)).toEqual(['undo limits', 'undo network', 'undo cgroup']);
    const early: string[] = [];
    await expect(runPipeline(stages(early, 'prepare network'), ctx(), async () => 0)).rejects.toThrow('prepare network');
    expect(early).toEqual(['prepare cgroup', 'prepare network', 'undo network', 'undo cgroup']);
  });
  it('undoes everything when the launch itself fails', async () => {
    const log: string[] = [];
    await expect(runPipeline(stages(log), ctx(), async () => { throw new Error('shim died'); })).rejects.toThrow('shim died');
    expect(log.filter((l) => l.startsWith('undo'))).toEqual(['undo limits', 'undo network', 'undo cgroup']);
  });
});

describe('operation traces', () => {
  it('stamps id, name, container and sequence; operations never share a sequence', async () => {
    const tracing = new Tracing();
    const all: Step[] = [];
    tracing.subscribe((s) => all.push(s));
    const mine: Step[] = [];
    const a = tracing.begin('run', (s) => mine.push(s));
    const b = tracing.begin('rm');
    report(a.trace, { title: 'one', why: '', command: '' });
    report(b.on('c2').trace, { title: 'other', why: '', command: '' });
    await step(a.on('c1').trace, { title: 'two', why: '', command: '' }, () => 1);
    await expect(step(a.trace, { title: 'three', why: '', command: 'false' }, () => { throw new Error('EPERM: refused'); })).rejects.toThrow();
    expect(mine.map((s) => [s.seq, s.title, s.phase, s.containerId])).toEqual([
      [1, 'one', 'done', undefined],
      [2, 'two', 'started', 'c1'],
      [3, 'two', 'done', 'c1'],
      [4, 'three', 'started', 'c1'],
      [5, 'three', 'failed', 'c1'],
    ]);
    expect(mine.at(-1)!.error).toBe('EPERM: refused');
    expect(all.length).toBe(6);
    expect(all.find((s) => s.title === 'other')).toMatchObject({ op: { id: b.id, name: 'rm' }, seq: 1, containerId: 'c2' });
    expect(a.id).not.toBe(b.id);
  });
});

describe('event log', () => {
  it('records Docker-shaped events, lists them by time and follows new ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glass-events-'));
    try {
      const log = new EventLog(join(dir, 'events.jsonl'));
      const first = log.record('container', 'create', 'abc', { name: 'web', image: 'busybox' });
      expect(first).toMatchObject({ Type: 'container', Action: 'create', status: 'create', id: 'abc', from: 'busybox', scope: 'local' });
      expect(Object.keys(first.Actor.Attributes)).toEqual(['image', 'name']);
      expect(first.time).toBe(Math.floor(first.timeNano / 1e9));
      const second = log.record('container', 'start', 'abc', { name: 'web', image: 'busybox' });
      expect(log.list().map((e) => e.Action)).toEqual(['create', 'start']);
      expect(log.list({ sinceNano: second.timeNano }).map((e) => e.Action)).toEqual(['start']);
      expect(log.list({ untilNano: first.timeNano }).map((e) => e.Action)).toEqual(['create']);
      // A torn line (a full disk mid-write) is skipped, not fatal.
      writeFileSync(log.path, readFileSync(log.path, 'utf8') + '{"Type":"contai');
      expect(log.list().length).toBe(2);
      const ac = new AbortController();
      const seen: string[] = [];
      const following = (async () => {
        for await (const e of log.follow({ signal: ac.signal })) {
          seen.push(e.Action);
          if (seen.length === 1) ac.abort();
        }
      })();
      await new Promise((r) => setTimeout(r, 60));
      writeFileSync(log.path, '\n', { flag: 'a' }); // end the torn line
      log.record('container', 'die', 'abc', { name: 'web', image: 'busybox', exitCode: '0' });
      await following;
      expect(seen).toEqual(['die']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('container names (store)', () => {
  const setup = () => {
    const root = mkdtempSync(join(tmpdir(), 'glass-names-'));
    const paths = new Paths(root);
    mkdirSync(paths.containers, { recursive: true });
    return { root, paths, store: new ContainerStore(paths) };
  };
  const id = (c: string) => c.repeat(64);

  it('a name is held while its owner is listed or being created by a live process', async () => {
    const { root, store, paths } = setup();
    try {
      store.createDir(id('a')); // a live create (this process) that has not written config.json yet
      await store.reserveName('web', id('a'));
      await expect(store.reserveName('web', id('b'))).rejects.toMatchObject({ code: 'NAME_IN_USE' });
      writeFileSync(join(paths.container(id('a')), 'config.json'), '{}');
      store.created(id('a'));
      await expect(store.reserveName('web', id('b'))).rejects.toThrow(/already in use by container "a{64}"/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a name left by a killed create or rm is taken over', async () => {
    const { root, store, paths } = setup();
    try {
      // Owner directory gone (an rm killed after deleting it).
      mkdirSync(join(root, 'names'), { recursive: true });
      writeFileSync(join(root, 'names', 'gone'), id('c'));
      await store.reserveName('gone', id('d'));
      expect(readFileSync(join(root, 'names', 'gone'), 'utf8')).toBe(id('d'));
      // A create killed before config.json: its mark names a process that is dead.
      const dead = spawnSync('true').pid!;
      mkdirSync(paths.container(id('e')));
      writeFileSync(join(paths.container(id('e')), 'creating'), `${dead} 1`);
      writeFileSync(join(root, 'names', 'half'), id('e'));
      await store.reserveName('half', id('f'));
      expect(readFileSync(join(root, 'names', 'half'), 'utf8')).toBe(id('f'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
