// Container labels end to end, as a user of Docker 20.10 would use them:
// run/create -l and --label-file, merged over the image's own labels;
// inspect's Config.Labels; ps --filter label= and --format {{.Labels}};
// the start/die events the shim writes and the ones the engine writes,
// found with events --filter label=; glass learn's GLASS_LEARN_LABEL; and
// the bad inputs, refused with one line and Docker's exit code.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { containerIds, glass, type GlassEvent, isRoot, removeContainersAfterEach, testRoot, useRoot, waitFor } from '../helpers.js';

/** The events recorded so far that pass these `--filter`s, as `{{json .}}` objects. */
async function eventsWith(root: string, filters: string[]): Promise<GlassEvent[]> {
  const until = ((Date.now() + 1000) / 1000).toFixed(3);
  const r = await glass(root, ['events', '--since', '0', '--until', until, ...filters.flatMap((f) => ['--filter', f]), '--format', '{{json .}}']);
  if (r.exitCode !== 0) throw new Error(`glass events exited ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as GlassEvent);
}

const labelsOf = async (root: string, ref: string) => JSON.parse((await glass(root, ['inspect', '-f', '{{json .Config.Labels}}', ref])).stdout) as Record<string, string>;

describe.skipIf(!isRoot)('container labels', { timeout: 120_000 }, () => {
  const root = useRoot();
  removeContainersAfterEach(root);

  it('run -l and --label-file: stored in Config.Labels, files first, -l wins; inspect -f index reads one', async () => {
    const file = `${root}/team.labels`;
    writeFileSync(file, '# labels for the web tier\n\n  com.example.team=blue\ntier=file\nflag\n');
    const r = await glass(root, ['run', '-d', '--name', 'web', '-l', 'tier=front', '--label', 'com.example.url=http://x/?a=b', '--label-file', file, 'busybox', 'sleep', '1000']);
    expect(r.exitCode).toBe(0);
    expect(await labelsOf(root, 'web')).toEqual({ 'com.example.team': 'blue', 'com.example.url': 'http://x/?a=b', flag: '', tier: 'front' });
    const one = await glass(root, ['inspect', '-f', '{{index .Config.Labels "com.example.team"}}|{{index .Config.Labels "tier"}}|{{index .Config.Labels "nope"}}', 'web']);
    expect(one.stdout).toBe('blue|front|<no value>\n');
    // create takes them too, and a container without any shows {} as Docker does.
    const c = await glass(root, ['create', '--name', 'plain', 'busybox', 'true']);
    expect(c.exitCode).toBe(0);
    expect(await labelsOf(root, 'plain')).toEqual({});
    expect((await glass(root, ['create', '--name', 'made', '-l', 'a=1', 'busybox', 'true'])).exitCode).toBe(0);
    expect(await labelsOf(root, 'made')).toEqual({ a: '1' });
  });

  it("the image's labels come first; the container's own win", async () => {
    const rootfs = `${root}/rootfs`;
    mkdirSync(`${rootfs}/bin`, { recursive: true });
    await execa('cp', ['/bin/busybox', `${rootfs}/bin/busybox`]);
    await execa('ln', ['-sf', 'busybox', `${rootfs}/bin/true`]);
    await execa('tar', ['-C', rootfs, '-cf', `${root}/rootfs.tar`, '.']);
    const imp = await glass(root, ['import', '-c', 'LABEL from.image=yes shared=image', `${root}/rootfs.tar`, 'labelled:1']);
    expect(imp.exitCode).toBe(0);
    try {
      expect((await glass(root, ['create', '--name', 'merged', '-l', 'shared=container', 'labelled:1', '/bin/true'])).exitCode).toBe(0);
      expect(await labelsOf(root, 'merged')).toEqual({ 'from.image': 'yes', shared: 'container' });
      expect((await glass(root, ['rm', 'merged'])).exitCode).toBe(0);
    } finally {
      await glass(root, ['rmi', '-f', 'labelled:1']);
    }
  });

  it('ps --filter label=KEY and label=KEY=VALUE: every label filter must hold; --format {{.Labels}} and {{.Label}}', async () => {
    const mk = (name: string, ...labels: string[]) => glass(root, ['create', '--name', name, ...labels.flatMap((l) => ['-l', l]), 'busybox', 'true']);
    for (const r of await Promise.all([mk('front-blue', 'tier=front', 'team=blue'), mk('back-blue', 'tier=back', 'team=blue'), mk('front-red', 'tier=front', 'team=red'), mk('bare')])) {
      expect(r.exitCode).toBe(0);
    }
    const names = async (...filters: string[]) => {
      const r = await glass(root, ['ps', '-a', ...filters.flatMap((f) => ['--filter', f]), '--format', '{{.Names}}']);
      expect(r.exitCode, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean).sort();
    };
    expect(await names('label=team')).toEqual(['back-blue', 'front-blue', 'front-red']);
    expect(await names('label=tier=front')).toEqual(['front-blue', 'front-red']);
    expect(await names('label=tier=front', 'label=team=blue')).toEqual(['front-blue']);
    expect(await names('label=tier=front', 'label=tier=back')).toEqual([]);
    expect(await names('label=team=blue', 'name=back')).toEqual(['back-blue']);
    expect(await names('label=nope')).toEqual([]);

    const f = await glass(root, ['ps', '-a', '--filter', 'label=team=blue', '--format', '{{.Names}} {{.Labels}} [{{.Label "tier"}}] [{{.Label "nope"}}]']);
    expect(f.stdout.split('\n').filter(Boolean).sort()).toEqual(['back-blue team=blue,tier=back [back] []', 'front-blue team=blue,tier=front [front] []']);
    const bare = await glass(root, ['ps', '-a', '--filter', 'name=bare', '--format', '[{{.Labels}}]']);
    expect(bare.stdout).toBe('[]\n');
    const table = await glass(root, ['ps', '-a', '--filter', 'name=front-red', '--format', 'table {{.Names}}\t{{.Label "team"}}\t{{.Labels}}']);
    expect(table.stdout).toMatch(/^NAMES {2,}team {2,}LABELS\nfront-red {2,}red {2,}team=red,tier=front\n$/);
  });

  it('events carry the labels in Actor.Attributes, the shim\'s start and die too: events --filter label= finds them', async () => {
    const r = await glass(root, ['run', '--rm', '--name', 'evented', '-l', 'app=shop', '-l', 'tier=front', 'busybox', 'sh', '-c', 'exit 3']);
    expect(r.exitCode).toBe(3);
    const other = await glass(root, ['run', '--rm', '-l', 'app=other', 'busybox', 'true']);
    expect(other.exitCode).toBe(0);
    const events = await waitFor(
      () => eventsWith(root, ['label=app=shop', 'label=tier']),
      (es) => es.some((e) => e.Action === 'destroy'),
      { what: "the labelled container's destroy event" },
    );
    expect(events.map((e) => e.Action)).toEqual(['create', 'attach', 'start', 'die', 'destroy']);
    for (const e of events) expect(e.Actor.Attributes).toMatchObject({ app: 'shop', tier: 'front', image: 'busybox', name: 'evented' });
    expect(events.find((e) => e.Action === 'die')!.Actor.Attributes.exitCode).toBe('3');
    // Every label filter must hold; a label the container does not have matches none of its events.
    expect(await eventsWith(root, ['label=app=shop', 'label=tier=back'])).toEqual([]);
    expect((await eventsWith(root, ['label=app=other'])).map((e) => e.Action)).toContain('die');
    // The default format prints them among the attributes, sorted by key.
    const until = ((Date.now() + 1000) / 1000).toFixed(3);
    const line = (await glass(root, ['events', '--since', '0', '--until', until, '--filter', 'label=app=shop', '--filter', 'event=die'])).stdout;
    expect(line).toMatch(/ container die [0-9a-f]{64} \(app=shop, exitCode=3, image=busybox, name=evented, tier=front\)\n$/);
  });

  it('GLASS_LEARN_LABEL labels every container run or create makes, so a lesson can find and remove them', async () => {
    const env = { GLASS_LEARN_LABEL: 'glass.lesson=01-first-container' };
    expect((await glass(root, ['run', '-d', '--name', 'lesson-run', 'busybox', 'sleep', '1000'], { env })).exitCode).toBe(0);
    expect((await glass(root, ['create', '--name', 'lesson-create', '-l', 'mine=1', '-l', 'glass.lesson=other', 'busybox', 'true'], { env })).exitCode).toBe(0);
    expect((await glass(root, ['create', '--name', 'not-lesson', 'busybox', 'true'])).exitCode).toBe(0);
    expect(await labelsOf(root, 'lesson-run')).toEqual({ 'glass.lesson': '01-first-container' });
    expect(await labelsOf(root, 'lesson-create')).toEqual({ 'glass.lesson': '01-first-container', mine: '1' });
    expect(await labelsOf(root, 'not-lesson')).toEqual({});
    // What glass learn does when the learner leaves the lesson.
    const ids = (await glass(root, ['ps', '-aq', '--filter', 'label=glass.lesson=01-first-container'])).stdout.split('\n').filter(Boolean);
    expect(ids).toHaveLength(2);
    expect((await glass(root, ['rm', '-f', ...ids])).exitCode).toBe(0);
    expect((await glass(root, ['ps', '-a', '--format', '{{.Names}}'])).stdout).toBe('not-lesson\n');
  });
});

describe.skipIf(!isRoot)('container labels: bad input', { timeout: 120_000 }, () => {
  it('an empty key, a missing or bad label file: one line, exit 125 (as -e and --env-file), nothing created', async () => {
    const root = testRoot();
    const empty = await glass(root, ['run', '--rm', '-l', '=x', 'busybox', 'true']);
    expect(empty.exitCode).toBe(125);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toBe("glass: invalid label '=x': empty name (use KEY=VALUE, or KEY alone for an empty value)\n");
    const created = await glass(root, ['create', '--label', '=', 'busybox', 'true']);
    expect(created.exitCode).toBe(125);
    expect(created.stderr).toMatch(/^glass: invalid label '=': empty name [^\n]*\n$/);

    const missing = await glass(root, ['create', '--label-file', `${root}/missing.labels`, 'busybox', 'true']);
    expect(missing.exitCode).toBe(125);
    expect(missing.stderr).toBe(`glass: open ${root}/missing.labels: no such file or directory\n`);
    writeFileSync(`${root}/bad.labels`, 'good=1\n# comment\nbad key=2\n');
    const bad = await glass(root, ['run', '--rm', '--label-file', `${root}/bad.labels`, 'busybox', 'true']);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toBe(`glass: ${root}/bad.labels:3: invalid label-file line "bad key=2": each line must be KEY=VALUE or KEY (no spaces in KEY)\n`);

    const learn = await glass(root, ['run', '--rm', 'busybox', 'true'], { env: { GLASS_LEARN_LABEL: '=x' } });
    expect(learn.exitCode).toBe(125);
    expect(learn.stderr).toMatch(/^glass: GLASS_LEARN_LABEL="=x" is not a label: [^\n]*\n$/);
    expect(containerIds(root)).toEqual([]);
  });
});
