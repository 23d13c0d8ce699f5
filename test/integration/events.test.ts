// `glass events` against real containers: one terminal follows while another
// runs a container; then the same history replayed with --since/--until,
// filtered and formatted; then the errors. Docker's shapes:
// /work/shared/reference/docker-20.10-transcript.md ("Engine events").
import { describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { EventLog } from '../../runtime/engine/events.js';
import { GLASS, glass, isRoot, sleep, useRoot } from '../helpers.js';

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$/;
/** One default-format line: time, type, action, actor ID, attributes. */
const LINE = /^(\S+) (container|image) (\S+) (\S+)(?: \((.*)\))?$/;

interface Parsed {
  time: string;
  type: string;
  action: string;
  id: string;
  attrs: Record<string, string>;
}

function parseLine(line: string): Parsed | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const attrs = Object.fromEntries((m[5] ?? '').split(', ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return { time: m[1]!, type: m[2]!, action: m[3]!, id: m[4]!, attrs };
}

/** Poll `cond` (every 25 ms) until it holds; fail after `ms`. */
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** `glass events ARGS` in the background ("another terminal"), its stdout collected line by line. */
function follower(root: string, args: string[] = []) {
  const proc = execa(GLASS, ['--root', root, '--no-color', 'events', ...args], { reject: false, stripFinalNewline: false, stdin: 'ignore' });
  const lines: string[] = [];
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const cut = text.lastIndexOf('\n') + 1;
    lines.push(...text.slice(0, cut).split('\n').slice(0, -1));
    partial = text.slice(cut);
  });
  return { proc, lines };
}

/**
 * Wait until a follower is really following: record marker events (as any
 * writer of the log does) until one comes out of it. A fixed sleep would
 * either waste time or, under load, start the container too early.
 */
async function ready(root: string, f: { lines: string[]; proc: ResultPromise }, marker: string): Promise<void> {
  const log = new EventLog(`${root}/events.jsonl`);
  await until(() => {
    if (f.lines.some((l) => l.includes(`name=${marker})`))) return true;
    if (f.proc.exitCode !== null) throw new Error(`glass events ended early: ${f.proc.exitCode}`);
    log.record('container', 'marker', 'test-marker', { name: marker });
    return false;
  }, 'glass events to follow');
}

/** Unix seconds.nanoseconds, a form --since/--until accept. */
const unix = (ms: number) => `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1e6).padStart(9, '0')}`;

describe.skipIf(!isRoot)('glass events with real containers', () => {
  const root = useRoot();
  const name = `ev-${process.pid}-${Date.now().toString(36)}`;
  let before = 0;
  let after = 0;
  /** What the live follower printed for the container, in order. */
  let live: string[] = [];
  let id = '';

  it('follows a run --rm from another terminal: create, attach, start, die, destroy', async () => {
    const f = follower(root);
    await ready(root, f, `${name}-ready`);

    before = Date.now();
    const run = await glass(root, ['run', '--rm', '--name', name, 'busybox', 'true']);
    expect(run).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    await until(() => f.lines.some((l) => / container destroy /.test(l) && l.includes(`name=${name})`)), `the destroy event of ${name}`);
    after = Date.now() + 1;

    live = f.lines.filter((l) => parseLine(l)?.attrs.name === name);
    const events = live.map(parseLine);
    expect(events.every(Boolean), live.join('\n')).toBe(true);
    expect(events.map((e) => e!.action)).toEqual(['create', 'attach', 'start', 'die', 'destroy']);
    id = events[0]!.id;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    for (const e of events) {
      expect(e!.type).toBe('container');
      expect(e!.id).toBe(id);
      expect(e!.time).toMatch(TIME);
      expect(e!.attrs).toMatchObject({ image: 'busybox', name });
    }
    expect(events[3]!.attrs).toEqual({ exitCode: '0', image: 'busybox', name });
    // In order of time, attributes sorted by key as docker prints them.
    expect(events.map((e) => e!.time)).toEqual(events.map((e) => e!.time).sort());
    for (const l of live) {
      const keys = parseLine(l)!.attrs;
      expect(Object.keys(keys)).toEqual(Object.keys(keys).sort());
    }

    // Ctrl-C ends it quietly; the shell sees 130, as for docker 20.10, which SIGINT kills.
    f.proc.kill('SIGINT');
    const r = await f.proc;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toBe('');
  });

  it('--since … --until … replays the same history and exits by itself', async () => {
    expect(live).toHaveLength(5);
    const r = await glass(root, ['events', '--since', unix(before), '--until', new Date(after).toISOString()]);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toBe(live.map((l) => l + '\n').join(''));

    // The transcript's form: durations back from now; "0s" is now, cut to the second as docker does.
    await until(() => Math.floor(Date.now() / 1000) > Math.floor(after / 1000), 'the next second');
    const t = await glass(root, ['events', '--since', '10m', '--until', '0s', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
    expect(t).toMatchObject({ exitCode: 0, stderr: '' });
    expect(t.stdout).toContain(['create', 'attach', 'start', 'die', 'destroy'].map((a) => `container ${a} ${name}\n`).join(''));
  });

  it('--filter and --format', async () => {
    const window = ['--since', unix(before), '--until', unix(after)];
    const die = await glass(root, ['events', ...window, '--filter', 'event=die', '--filter', `container=${name}`]);
    expect(die).toMatchObject({ exitCode: 0, stderr: '' });
    expect(die.stdout).toBe(live[3] + '\n');
    // The same container by ID prefix, and two events of one key (either may match).
    const byId = await glass(root, ['events', ...window, '-f', `container=${id.slice(0, 12)}`, '-f', 'event=create', '-f', 'event=destroy']);
    expect(byId.stdout).toBe(`${live[0]}\n${live[4]}\n`);
    const none = await glass(root, ['events', ...window, '-f', 'type=image']);
    expect(none).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });

    const fmt = await glass(root, ['events', ...window, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
    expect(fmt.stdout).toBe(['create', 'attach', 'start', 'die', 'destroy'].map((a) => `container ${a} ${name}\n`).join(''));

    const legacy = await glass(root, ['events', ...window, '-f', 'event=die', '--format', '{{.ID}} {{.Status}} {{.From}} {{.Actor.Attributes.exitCode}}']);
    expect(legacy.stdout).toBe(`${id} die busybox 0\n`);

    const json = await glass(root, ['events', ...window, '--format', '{{json .}}']);
    const messages = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(messages).toHaveLength(5);
    for (const m of messages) {
      expect(Object.keys(m)).toEqual(['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
      expect(m).toMatchObject({ status: m.Action, id, from: 'busybox', Type: 'container', Actor: { ID: id, Attributes: { image: 'busybox', name } }, scope: 'local' });
      expect(m.time).toBe(Math.floor(m.timeNano / 1e9));
    }
    expect(messages[3].Actor.Attributes.exitCode).toBe('0');
  });

  it('ends quietly when its reader goes away (events | head -1)', async () => {
    const sh = execa('bash', ['-c', '"$0" --root "$1" events --since 0 | head -1; echo "glass exited ${PIPESTATUS[0]}" >&2', GLASS, root], {
      reject: false,
      stdin: 'ignore',
    });
    // head has its line at once; glass notices on its next write, so give it events to write.
    const log = new EventLog(`${root}/events.jsonl`);
    await until(() => {
      if (sh.exitCode !== null) return true;
      log.record('container', 'marker', 'test-marker', { name: `${name}-pipe` });
      return false;
    }, 'the pipeline to end');
    const r = await sh;
    expect(r.stdout.split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/ container /);
    expect(r.stderr).toBe('glass exited 141'); // as a process killed by SIGPIPE, and nothing printed
  });

  it('SIGTERM ends a follower quietly too', async () => {
    const f = follower(root, ['--filter', `container=${name}-term`]);
    await ready(root, f, `${name}-term`);
    f.proc.kill('SIGTERM');
    const r = await f.proc;
    expect(r.exitCode).toBe(143);
    expect(r.stderr).toBe('');
  });
});

// These need no root: glass events only reads the log.
describe('glass events refuses bad values like docker', () => {
  const root = useRoot();

  it('a bad --since or --until: one line, exit 1', async () => {
    const r = await glass(root, ['events', '--since', 'yesterday']);
    expect(r).toEqual({ exitCode: 1, stdout: '', stderr: 'failed to parse value as time or duration: "yesterday"\n' });
    const d = await glass(root, ['events', '--until', '2024-02-30']);
    expect(d).toEqual({ exitCode: 1, stdout: '', stderr: 'parsing time "2024-02-30": day out of range\n' });
  });

  it('since after until, an unknown filter key: the daemon errors, exit 1', async () => {
    const r = await glass(root, ['events', '--since', '1700000100', '--until', '1700000000']);
    expect(r).toEqual({ exitCode: 1, stdout: '', stderr: 'Error: `since` time (1700000100) cannot be after `until` time (1700000000)\n' });
    const f = await glass(root, ['events', '--until', '0s', '--filter', 'colour=red']);
    expect(f.exitCode).toBe(1);
    expect(f.stderr).toMatch(/^Error: Invalid filter 'colour': glass filters events by container, event, image, label and type .*\n$/);
  });

  it('a malformed filter is a usage error (125), a bad template exits 64', async () => {
    const u = await glass(root, ['events', '-f', 'die']);
    expect(u.exitCode).toBe(125);
    expect(u.stderr).toBe(`glass: invalid argument "die" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee 'glass events --help'.\n`);
    const t = await glass(root, ['events', '--until', '0s', '--format', '{{.Name}}']);
    expect(t).toEqual({
      exitCode: 64,
      stdout: '',
      stderr: 'Error parsing format: template: :1:2: executing "" at <.Name>: can\'t evaluate field Name in type *events.Message\n',
    });
  });
});
