import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchLabels, mergeLabels, parseLabel, parseLabelFile, readLabelFile, userLabels } from '../../runtime/engine/containers/labels.js';
import { buildConfig, validateCreate } from '../../runtime/engine/containers/create-config.js';
import { containerMatcher } from '../../runtime/engine/containers/filters.js';
import { containerInspect } from '../../runtime/engine/containers/inspect.js';
import { buildShimSpec } from '../../runtime/engine/containers/shim-spec.js';
import type { ContainerConfig, ContainerInfo, CreateOptions } from '../../runtime/engine/containers/types.js';
import { makeEvent } from '../../runtime/engine/events.js';
import { eventMatcher } from '../../runtime/engine/events-filter.js';
import type { ContainerCgroup } from '../../runtime/kernel/cgroup/index.js';
import { findCommand } from '../../runtime/catalog/commands.js';
import { parseArgs } from '../../runtime/cli/parse.js';
import { checkFields, parseTemplate, render } from '../../runtime/cli/template.js';
import { labelList } from '../../runtime/cli/commands/listing.js';
import { create } from '../../runtime/cli/commands/containers.js';
import type { Ctx } from '../../runtime/cli/context.js';
import type { Engine } from '../../runtime/engine/index.js';

/** Container labels (run -l / --label-file), tested without root: parsing, merging, filters, templates. */

describe('label values and files', () => {
  it('-l takes KEY=VALUE split at the first "=", and a bare KEY as an empty value', () => {
    expect(parseLabel('a=b')).toEqual(['a', 'b']);
    expect(parseLabel('a=b=c')).toEqual(['a', 'b=c']);
    expect(parseLabel('a=')).toEqual(['a', '']);
    expect(parseLabel('com.example.flag')).toEqual(['com.example.flag', '']);
  });

  it('refuses an empty key in one line that says what to type', () => {
    expect(() => parseLabel('=x')).toThrow("invalid label '=x': empty name (use KEY=VALUE, or KEY alone for an empty value)");
    expect(() => parseLabel('')).toThrow(/empty name/);
    try {
      parseLabel('=x');
    } catch (e) {
      expect((e as { code: string; exitCode: number }).code).toBe('INVALID_ARGUMENT');
      expect((e as { exitCode: number }).exitCode).toBe(125); // as -e =x: Docker's code for a bad run/create flag value
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('reads label files as Docker reads env files: comments, blank lines and leading blanks skipped, values as they are', () => {
    const text = '\uFEFF# team labels\n\n  team=blue\r\nowner=a b # not a comment\nflag\nurl=http://x/?a=b\n\t# indented comment\n';
    expect(parseLabelFile('l.txt', text)).toEqual([
      ['team', 'blue'],
      ['owner', 'a b # not a comment'],
      ['flag', ''],
      ['url', 'http://x/?a=b'],
    ]);
  });

  it('names the file and line of a bad one', () => {
    expect(() => parseLabelFile('/x/l.txt', 'a=1\nbad key=2\n')).toThrow('/x/l.txt:2: invalid label-file line "bad key=2": each line must be KEY=VALUE or KEY (no spaces in KEY)');
    expect(() => parseLabelFile('/x/l.txt', '=v\n')).toThrow(/l\.txt:1: invalid label-file line "=v"/);
    expect(() => parseLabelFile('/x/l.txt', 'a=' + 'x'.repeat(64 * 1024))).toThrow(/label file \/x\/l\.txt: line 1 is longer than 64 KiB/);
  });

  it('reads a label file from disk, and says which file is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glass-labels-'));
    try {
      writeFileSync(join(dir, 'l'), 'a=1\n');
      expect(await readLabelFile(join(dir, 'l'))).toBe('a=1\n');
      await expect(readLabelFile(join(dir, 'missing'))).rejects.toThrow(`open ${join(dir, 'missing')}: no such file or directory`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('label files come first, -l values win; the result is sorted by key', () => {
    const labels = userLabels({ labelFiles: [{ path: 'f1', text: 'b=file\nc=file\n' }, { path: 'f2', text: 'c=file2\n' }], labels: ['b=cli', 'a'] });
    expect(labels).toEqual({ a: '', b: 'cli', c: 'file2' });
    expect(Object.keys(labels)).toEqual(['a', 'b', 'c']);
  });

  it("takes the API's map too, with the same rules for keys", () => {
    expect(userLabels({ labels: { z: '1', a: '2' } })).toEqual({ a: '2', z: '1' });
    expect(() => userLabels({ labels: { '': 'x' } })).toThrow(/empty name/);
    expect(() => userLabels({ labels: { 'a=b': 'x' } })).toThrow(/cannot contain "="/);
    expect(() => userLabels({ labels: { a: 1 as unknown as string } })).toThrow(/must be a string/);
    // An odd key stays a key, never the object's prototype.
    expect(Object.hasOwn(userLabels({ labels: ['__proto__=x'] }), '__proto__')).toBe(true);
  });
});

describe('labels in the container config', () => {
  const image = (Labels?: Record<string, string>) => ({ id: 'sha256:' + 'a'.repeat(64), layerDirs: ['/l1'], config: { Cmd: ['sh'], Labels } });
  const build = (opts: Partial<CreateOptions>, imageLabels?: Record<string, string>) =>
    buildConfig({ id: 'f'.repeat(64), name: 'web', created: '2026-11-25T00:00:00.000Z', image: image(imageLabels), opts: { image: 'busybox', ...opts }, userEnv: [] });

  it("merges the container's labels over the image's (image first, container wins), as Docker does", () => {
    expect(build({ labels: ['shared=mine', 'own=1'] }, { shared: 'image', 'from.image': 'x' }).labels).toEqual({ 'from.image': 'x', own: '1', shared: 'mine' });
    expect(build({}, { a: '1' }).labels).toEqual({ a: '1' });
    expect(build({}).labels).toEqual({});
  });

  it('refuses a bad label before anything is made', () => {
    expect(() => validateCreate({ image: 'busybox', labels: ['=x'] })).toThrow(/invalid label '=x': empty name/);
    expect(() => validateCreate({ image: 'busybox', labelFiles: [{ path: 'f', text: ' =x' }] })).toThrow(/f:1: invalid label-file line/);
    expect(() => validateCreate({ image: 'busybox', labels: ['a=b', 'c'] })).not.toThrow();
  });

  it('inspect shows them in Config.Labels ({} for a container made before glass had labels)', () => {
    const c = build({ labels: ['a=1'] });
    const info = { config: c, state: { status: 'created', restartCount: 0 }, status: 'created', running: false, pid: 0, exitCode: 0 } as ContainerInfo;
    expect((containerInspect(info, '/d') as { Config: { Labels: unknown } }).Config.Labels).toEqual({ a: '1' });
    const old = { ...info, config: { ...c, labels: undefined } };
    expect((containerInspect(old, '/d') as { Config: { Labels: unknown } }).Config.Labels).toEqual({});
  });

  it('hands the labels to the shim for its start and die events, KEY=VALUE in key order', () => {
    const c = build({ labels: ['b=2', 'a=x=y'] });
    const cg = { name: 'glass-x', dirs: [] } as unknown as ContainerCgroup;
    expect(buildShimSpec('/d', c, cg, { events: '/r/events.jsonl' }).filter(([k]) => k === 'label')).toEqual([['label', 'a=x=y'], ['label', 'b=2']]);
    expect(buildShimSpec('/d', c, cg).filter(([k]) => k === 'label')).toEqual([]); // no events file, no event attributes
  });
});

describe('label filters', () => {
  it('Docker\'s MatchKVList: KEY has the label, KEY=VALUE with that value, and every value must hold', () => {
    const labels = { a: '1', b: '', 'c.d': 'x=y' };
    expect(matchLabels([], labels)).toBe(true);
    expect(matchLabels([], {})).toBe(true);
    expect(matchLabels(['a'], labels)).toBe(true);
    expect(matchLabels(['b'], labels)).toBe(true);
    expect(matchLabels(['b='], labels)).toBe(true);
    expect(matchLabels(['a=1', 'c.d=x=y'], labels)).toBe(true);
    expect(matchLabels(['a=1', 'z'], labels)).toBe(false);
    expect(matchLabels(['a=2'], labels)).toBe(false);
    expect(matchLabels(['a'], {})).toBe(false);
  });

  const ctr = (name: string, labels: Record<string, string> | undefined, status: ContainerInfo['status'] = 'running') =>
    ({ config: { id: name.repeat(64).slice(0, 64), name, image: 'busybox', imageId: 'sha256:aa', labels }, status, exitCode: 0, running: status === 'running' }) as unknown as ContainerInfo;
  const all = [ctr('web', { tier: 'front', team: 'blue' }), ctr('db', { tier: 'back', team: 'blue' }), ctr('old', undefined), ctr('job', { tier: 'front' }, 'exited')];
  const names = (filters: Record<string, string[]>) => all.filter(containerMatcher(filters, [])).map((c) => c.config.name);

  it('ps --filter label=: every label filter must hold, unlike the alternatives of other keys', () => {
    expect(names({ label: ['team'] })).toEqual(['web', 'db']);
    expect(names({ label: ['tier=front'] })).toEqual(['web', 'job']);
    expect(names({ label: ['tier=front', 'team=blue'] })).toEqual(['web']);
    expect(names({ label: ['tier=front', 'tier=back'] })).toEqual([]);
    expect(names({ label: ['tier=front'], status: ['exited'] })).toEqual(['job']);
    expect(names({ label: ['tier'], name: ['^/old$'] })).toEqual([]); // "old" has no labels at all
  });

  it('events --filter label= sees the labels among the attributes', () => {
    const e = makeEvent('container', 'start', 'c1', { image: 'busybox', name: 'web', tier: 'front', team: 'blue' });
    expect(eventMatcher({ label: ['tier=front', 'team'] })(e)).toBe(true);
    expect(eventMatcher({ label: ['tier=front', 'team=red'] })(e)).toBe(false);
  });
});

describe('templates over labels', () => {
  const obj = { Config: { Labels: { 'com.example.team': 'blue', a: '1' }, Env: ['A=1', 'B=2'] }, Nested: { m: { k: { deep: 'yes' } } }, Nil: null };
  const fmt = (f: string, v: unknown = obj) => render(parseTemplate(f), v);

  it('index reads one entry of a map, dotted keys included; a missing key is <no value>', () => {
    expect(fmt('{{index .Config.Labels "com.example.team"}}')).toBe('blue');
    expect(fmt('{{ index .Config.Labels `a` }}')).toBe('1');
    expect(fmt('{{index .Config.Labels "nope"}}')).toBe('<no value>');
    expect(fmt('{{index .Config.Env 1}}')).toBe('B=2');
    expect(fmt('{{index .Nested "m" "k" "deep"}}')).toBe('yes');
    expect(fmt('[{{index .Config.Labels "a"}}]')).toBe('[1]');
  });

  it("index fails as Go's does on what cannot be indexed", () => {
    expect(() => fmt('{{index .Nil "k"}}')).toThrow(/error calling index: index of untyped nil/);
    expect(() => fmt('{{index .Config.Env 5}}')).toThrow(/index out of range: 5/);
    expect(() => fmt('{{index .Config.Labels.a "k"}}')).toThrow(/can't index item of type string/);
    expect(() => parseTemplate('{{index .Config.Labels}}')).toThrow(/not supported/);
    expect(() => parseTemplate('{{index .Config.Labels k}}')).toThrow(/not supported/);
  });

  it('calls a method with arguments ({{.Label "k"}}), and refuses one called wrong', () => {
    const row = { Labels: 'a=1', Label: (k: string) => ({ a: '1' })[k] ?? '' };
    expect(fmt('{{.Label "a"}}|{{.Label "b"}}|{{.Labels}}', row)).toBe('1||a=1');
    expect(() => fmt('{{.Label}}', row)).toThrow(/wrong number of args for Label: want 1 got 0/);
    expect(() => fmt('{{.Label "a" "b"}}', row)).toThrow(/wrong number of args for Label: want 1 got 2/);
    expect(() => fmt('{{.Labels "a"}}', row)).toThrow(/can't give argument to non-function \.Labels/);
    expect(() => checkFields(parseTemplate('{{.Label "a"}}'), ['Labels', 'Label'], 'ps')).not.toThrow();
    expect(() => checkFields(parseTemplate('{{.Lable "a"}}'), ['Labels', 'Label'], 'ps')).toThrow(/can't evaluate field Lable/);
  });

  it("ps's {{.Labels}} is k=v pairs joined by commas, sorted by key", () => {
    expect(labelList({ z: '1', a: '', 'm.n': 'x=y' })).toBe('a=,m.n=x=y,z=1');
    expect(labelList({})).toBe('');
  });
});

describe('the -l and --label-file flags', () => {
  it('run and create take -l/--label and --label-file, with their Docker summaries', () => {
    for (const name of ['run', 'create']) {
      const flags = findCommand(name)!.flags;
      expect(flags.find((f) => f.name === 'label')).toMatchObject({ short: 'l', type: 'list', summary: 'Set meta data on a container' });
      expect(flags.find((f) => f.name === 'label-file')).toMatchObject({ type: 'list', summary: 'Read in a line delimited file of labels' });
      for (const f of flags.filter((x) => x.name.startsWith('label'))) {
        expect(f.explain).toMatch(/config\.json/);
        expect(f.kernel ?? 'none').toBe('none');
      }
    }
  });

  it('parses repeated -l values without splitting them, and leaves ps -l as --latest', () => {
    const p = parseArgs(['run', '-l', 'a=1', '--label', 'b=x,y', '-lc', '--label-file', 'f', 'busybox', 'ls', '-l']);
    expect(p.flags.label).toEqual(['a=1', 'b=x,y', 'c']);
    expect(p.flags['label-file']).toEqual(['f']);
    expect(p.args).toEqual(['busybox', 'ls', '-l']);
    expect(parseArgs(['ps', '-l']).flags.latest).toBe(true);
  });
});

describe('GLASS_LEARN_LABEL (the hook glass learn uses to tag what a lesson creates)', () => {
  const saved = process.env.GLASS_LEARN_LABEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.GLASS_LEARN_LABEL;
    else process.env.GLASS_LEARN_LABEL = saved;
  });

  /** Run the CLI's create handler against an engine that only records what it was asked. */
  async function createWith(argv: string[]): Promise<CreateOptions> {
    const p = parseArgs(['create', ...argv]);
    let got: CreateOptions | undefined;
    const engine = {
      root: '/nowhere',
      containers: { create: async (o: CreateOptions) => ((got = o), { id: 'x'.repeat(64) } as ContainerConfig) },
      images: { inspect: async () => ({}) }, // the image is here: create does not pull it
    } as unknown as Engine;
    const ctx: Ctx = { engine, name: 'create', flags: p.flags, changed: p.changed, args: p.args, out: () => {}, err: () => {} };
    expect(await create(ctx)).toBe(0);
    return got!;
  }

  it("adds its label, last so that it wins, to every container glass create or run makes", async () => {
    process.env.GLASS_LEARN_LABEL = 'glass.lesson=01-first-container';
    const opts = await createWith(['-l', 'glass.lesson=mine', '-l', 'a=1', 'busybox']);
    expect(opts.labels).toEqual(['glass.lesson=mine', 'a=1', 'glass.lesson=01-first-container']);
    expect(userLabels(opts)).toEqual({ a: '1', 'glass.lesson': '01-first-container' });
  });

  it('adds nothing when unset or empty, and refuses a value that is no label', async () => {
    delete process.env.GLASS_LEARN_LABEL;
    expect((await createWith(['-l', 'a', 'busybox'])).labels).toEqual(['a']);
    process.env.GLASS_LEARN_LABEL = '';
    expect((await createWith(['busybox'])).labels).toEqual([]);
    process.env.GLASS_LEARN_LABEL = '=x';
    await expect(createWith(['busybox'])).rejects.toThrow(/GLASS_LEARN_LABEL="=x" is not a label: set it to KEY=VALUE/);
  });
});
