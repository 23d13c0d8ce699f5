// `glass events`: time values, filters, the default line and --format, root-free.
// Docker's rules: docker/cli cli/command/system/events.go, moby api/types/time
// (GetTimestamp, ParseTimestamps) and daemon/events/filter.go.
import { afterEach, describe, expect, it } from 'vitest';
import { makeEvent, type EngineEvent } from '../../runtime/engine/events.js';
import { eventMatcher, eventTimeRange, getTimestamp, parseGoDurationNs, parseTimestamp } from '../../runtime/engine/events-filter.js';
import { checkEventTemplate, events, formatEvent, formatEventTime, messageView, parseFilterArgs } from '../../runtime/cli/commands/events.js';
import { parseTemplate, render } from '../../runtime/cli/template.js';
import { findCommand } from '../../runtime/catalog/commands.js';
import { formatHelp } from '../../runtime/cli/help.js';
import { parseArgs, UsageError } from '../../runtime/cli/parse.js';
import type { Ctx } from '../../runtime/cli/context.js';
import type { Engine } from '../../runtime/engine/index.js';

/** 2024-05-01T10:20:30.250Z */
const NOW = Date.UTC(2024, 4, 1, 10, 20, 30, 250);
const NOW_SEC = Math.floor(NOW / 1000);
/** A time value as Docker's client sends it, with the local zone at UTC (or `zone` seconds east). */
const ts = (v: string, zone = 0) => getTimestamp(v, NOW, zone);
/** The error message getTimestamp throws. */
const tsError = (v: string) => {
  try {
    ts(v);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected ${v} to be refused`);
};

describe('--since / --until values (Docker GetTimestamp)', () => {
  it('reads Go durations as that long before now, in whole seconds', () => {
    expect(ts('10m')).toBe(String(NOW_SEC - 600));
    expect(ts('1h30m')).toBe(String(NOW_SEC - 5400));
    expect(ts('30s')).toBe(String(NOW_SEC - 30));
    expect(ts('1.5s')).toBe(String(Math.floor((NOW - 1500) / 1000)));
    expect(ts('0s')).toBe(String(NOW_SEC)); // "now", cut to the second as Docker does
    expect(ts('-10m')).toBe(String(NOW_SEC + 600)); // in the future
    expect(parseGoDurationNs('1h30m')).toBe(5400e9);
    expect(parseGoDurationNs('250ms')).toBe(250e6);
    expect(parseGoDurationNs('10')).toBeUndefined(); // Go wants a unit
    expect(parseGoDurationNs('1d')).toBeUndefined();
  });

  it('reads RFC 3339 date-times, with or without seconds, fraction and zone', () => {
    expect(ts('2024-05-01T10:00:00Z')).toBe('1714557600.000000000');
    expect(ts('2024-05-01T10:00:00.5Z')).toBe('1714557600.500000000');
    expect(ts('2024-05-01T10:00:00.123456789+02:00')).toBe('1714550400.123456789');
    expect(ts('2024-05-01T10:00:00-01:30')).toBe('1714563000.000000000');
    expect(ts('2024-05-01T10:00+01:00')).toBe('1714554000.000000000');
    expect(ts('2024-05-01T10Z')).toBe('1714557600.000000000');
    expect(ts('2024-05-01Z')).toBe('1714521600.000000000');
    expect(ts('2024-05-01-07:00')).toBe('1714546800.000000000'); // three dashes: the last one is a zone
  });

  it('reads a value without a zone as local time', () => {
    expect(ts('2024-05-01T10:00:00')).toBe('1714557600.000000000');
    expect(ts('2024-05-01T10:00:00.25')).toBe('1714557600.250000000');
    expect(ts('2024-05-01T10:00')).toBe('1714557600.000000000');
    expect(ts('2024-05-01T10')).toBe('1714557600.000000000');
    expect(ts('2024-05-01')).toBe('1714521600.000000000');
    // One hour east of UTC, local 10:00 is 09:00 UTC.
    expect(ts('2024-05-01T10:00:00', 3600)).toBe('1714554000.000000000');
    expect(ts('2024-05-01', 3600)).toBe('1714518000.000000000');
  });

  it('passes Unix seconds (with a fraction) on as they are', () => {
    expect(ts('1700000000')).toBe('1700000000');
    expect(ts('1700000000.123456789')).toBe('1700000000.123456789');
    expect(ts('0')).toBe('0'); // "0" is the epoch, not a duration
    expect(ts('10')).toBe('10');
  });

  it("refuses anything else with Go's message", () => {
    expect(tsError('yesterday')).toBe('failed to parse value as time or duration: "yesterday"');
    expect(tsError('1h30x')).toBe('failed to parse value as time or duration: "1h30x"');
    expect(tsError('1700000000.')).toBe('failed to parse value as time or duration: "1700000000."');
    expect(tsError('2024-13-01')).toBe('parsing time "2024-13-01": month out of range');
    expect(tsError('2024-02-30')).toBe('parsing time "2024-02-30": day out of range');
    expect(tsError('2024-05-01T25:00')).toBe('parsing time "2024-05-01T25:00": hour out of range');
    expect(tsError('2024-5-01')).toBe('parsing time "2024-5-01" as "2006-01-02": cannot parse "5-01" as "01"');
    expect(tsError('2024-05-01 10:00')).toBe('parsing time "2024-05-01 10:00": extra text: " 10:00"');
    expect(tsError('2024-05-01T10:00:00Zjunk')).toBe('parsing time "2024-05-01T10:00:00Zjunk": extra text: "junk"');
    expect(tsError('-5')).toBe('parsing time "-5" as "2006-01-02": cannot parse "-5" as "2006"');
  });

  it("reads the daemon's timestamps and checks the pair", () => {
    expect(parseTimestamp('1700000000')).toBe(1700000000e9);
    expect(parseTimestamp('1700000000.5')).toBe(1700000000.5e9);
    expect(parseTimestamp('1714557600.000000250')).toBe(1714557600e9 + 256); // a Number: ~256 ns steps at this size
    expect(() => parseTimestamp('bla')).toThrow('strconv.ParseInt: parsing "bla": invalid syntax');
    expect(eventTimeRange(undefined, undefined)).toEqual({ sinceNano: undefined });
    expect(eventTimeRange('10', undefined)).toEqual({ sinceNano: 10e9 });
    // --until alone: every recorded event up to then.
    expect(eventTimeRange(undefined, '20')).toEqual({ sinceNano: 0, untilNano: 20e9 });
    expect(eventTimeRange('10', '10')).toEqual({ sinceNano: 10e9, untilNano: 10e9 });
    expect(() => eventTimeRange('10', '3')).toThrow('`since` time (10) cannot be after `until` time (3)');
  });
});

const WEB = 'a'.repeat(64);
const API = 'b'.repeat(64);
const IMG = 'sha256:' + 'c'.repeat(64);
const at = (s: number) => s * 1e9;
const FIXTURE: EngineEvent[] = [
  makeEvent('container', 'create', WEB, { image: 'busybox', name: 'web' }, at(1)),
  makeEvent('container', 'start', WEB, { image: 'busybox', name: 'web' }, at(2)),
  makeEvent('container', 'die', WEB, { image: 'busybox', name: 'web', exitCode: '0' }, at(3)),
  makeEvent('container', 'create', API, { image: 'busybox:1.36', name: 'api' }, at(4)),
  makeEvent('container', 'exec_create: sh -c true', API, { image: 'busybox:1.36', name: 'api' }, at(5)),
  makeEvent('image', 'tag', IMG, { name: 'docker.io/library/busybox:latest' }, at(6)),
  makeEvent('image', 'delete', IMG, {}, at(7)),
];
/** Which fixture events (by index) pass the filters. */
const pass = (...args: string[]) => {
  const m = eventMatcher(parseFilterArgs(args));
  return FIXTURE.flatMap((e, i) => (m(e) ? [i] : []));
};

describe('--filter (the daemon rules)', () => {
  it('lets everything through without filters', () => {
    expect(pass()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('container= matches the ID or the name, each by prefix', () => {
    expect(pass('container=web')).toEqual([0, 1, 2]);
    expect(pass('container=aaaa')).toEqual([0, 1, 2]);
    expect(pass('container=we')).toEqual([0, 1, 2]); // Docker's FuzzyMatch: a name prefix too
    expect(pass('container=nosuch')).toEqual([]);
  });

  it('ORs the values of one key and ANDs different keys', () => {
    expect(pass('container=web', 'container=api')).toEqual([0, 1, 2, 3, 4]);
    expect(pass('event=create', 'event=die')).toEqual([0, 2, 3]);
    expect(pass('event=create', 'container=api')).toEqual([3]);
    expect(pass('event=die', 'container=web')).toEqual([2]);
  });

  it('event= is exact, except for exec_create, exec_start and health_status', () => {
    expect(pass('event=exec_create: sh -c true')).toEqual([4]);
    expect(pass('event=exec_create')).toEqual([4]);
    expect(pass('event=cre')).toEqual([]);
  });

  it('type= picks containers or images; image= the image, with or without its tag', () => {
    expect(pass('type=image')).toEqual([5, 6]);
    expect(pass('type=container', 'event=create')).toEqual([0, 3]);
    expect(pass('type=volume')).toEqual([]);
    expect(pass('image=busybox')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pass('image=busybox:1.36')).toEqual([3, 4]);
    expect(pass('image=' + IMG)).toEqual([5, 6]);
  });

  it('label= needs every label as an attribute, and matches nothing here without labels', () => {
    expect(pass('label=com.example.team')).toEqual([]);
    expect(pass('label=exitCode')).toEqual([2]); // Docker matches labels against the attributes
    expect(pass('label=exitCode=0', 'label=name=web')).toEqual([2]);
    expect(pass('label=exitCode=0', 'label=name=api')).toEqual([]);
  });

  it("accepts Docker's keys for objects glass lacks, refuses unknown ones", () => {
    expect(pass('network=bridge')).toEqual([]);
    expect(pass('scope=local')).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => pass('name=web')).toThrow(/^Invalid filter 'name': glass filters events by container, event, image, label and type/);
    expect(() => pass('foo=bar')).toThrow(/^Invalid filter 'foo'/);
  });

  it('reads -f KEY=VALUE as docker does: key lowercased, both sides trimmed', () => {
    expect(parseFilterArgs([' Event = die ', 'container=a=b', ''])).toEqual({ event: ['die'], container: ['a=b'] });
    expect(() => parseFilterArgs(['die'])).toThrow(UsageError);
    expect(() => parseFilterArgs(['die'])).toThrow('invalid argument "die" for "-f, --filter" flag: bad format of filter (expected name=value)');
  });
});

describe('output', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });
  const die = makeEvent('container', 'die', WEB, { name: 'web', image: 'busybox', exitCode: '0' }, 1700000000_500000000);

  it("prints docker's default line: fixed nanoseconds, local time, sorted attributes", () => {
    process.env.TZ = 'UTC';
    expect(formatEvent(die)).toBe(`2023-11-14T22:13:20.500000000Z container die ${WEB} (exitCode=0, image=busybox, name=web)\n`);
    expect(formatEvent(makeEvent('image', 'delete', IMG, {}, 1700000000_000000000))).toBe(`2023-11-14T22:13:20.000000000Z image delete ${IMG}\n`);
    expect(formatEventTime(1700000000_123456768)).toBe('2023-11-14T22:13:20.123456800Z'); // the digits the log holds
    process.env.TZ = 'Europe/Paris';
    expect(formatEventTime(1700000000_500000000)).toBe('2023-11-14T23:13:20.500000000+01:00');
    process.env.TZ = 'America/St_Johns';
    expect(formatEventTime(1700000000_500000000)).toBe('2023-11-14T18:43:20.500000000-03:30');
  });

  it('formats with the fields of Go events.Message', () => {
    const fmt = (f: string, e: EngineEvent = die) => {
      const parts = parseTemplate(f);
      checkEventTemplate(parts, f);
      return render(parts, messageView(e));
    };
    expect(fmt('{{.Type}} {{.Action}} {{.Actor.Attributes.name}}')).toBe('container die web');
    expect(fmt('{{.ID}} {{.Status}} {{.From}} {{.Scope}} {{.Time}}')).toBe(`${WEB} die busybox local 1700000000`);
    expect(fmt('{{.TimeNano}}')).toBe('1700000000500000000');
    expect(fmt('{{.Actor.ID}}|{{.Actor.Attributes.nope}}')).toBe(`${WEB}|<no value>`);
    expect(fmt('[{{.From}}]', FIXTURE[6])).toBe('[]'); // image events have no "from": Go's empty string
    expect(fmt('{{json .}}')).toBe(
      `{"status":"die","id":"${WEB}","from":"busybox","Type":"container","Action":"die",` +
        `"Actor":{"ID":"${WEB}","Attributes":{"exitCode":"0","image":"busybox","name":"web"}},` +
        `"scope":"local","time":1700000000,"timeNano":1700000000500000000}`,
    );
    expect(fmt('{{json .Actor.Attributes}}')).toBe('{"exitCode":"0","image":"busybox","name":"web"}');
  });

  it('refuses a field events.Message lacks, with Go\'s message', () => {
    const check = (f: string) => () => checkEventTemplate(parseTemplate(f), f);
    expect(check('{{.Foo}}')).toThrow('template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *events.Message');
    expect(check('{{.Type}} {{.Actor.Foo}}')).toThrow('template: :1:12: executing "" at <.Actor.Foo>: can\'t evaluate field Foo in type events.Actor');
    expect(check('{{json .Time.X}}')).toThrow(':1:7: executing "" at <.Time.X>: can\'t evaluate field X in type int64');
    expect(check('{{.Actor.Attributes.name.x}}')).toThrow('in type string');
    expect(check('{{.id}}')).toThrow("can't evaluate field id"); // the JSON name is not the Go field
    expect(check('{{.Actor.Attributes.anything}} {{json .}} {{.}}')).not.toThrow();
  });
});

describe('glass events (the command, over a fake engine)', () => {
  const run = async (args: string[], recorded: EngineEvent[] = FIXTURE) => {
    const p = parseArgs(['events', ...args]);
    let stdout = '';
    let stderr = '';
    const seen: unknown[] = [];
    const engine = {
      events: {
        list: () => recorded,
        async *follow(o: { sinceNano?: number; untilNano?: number }) {
          seen.push(o);
          for (const e of recorded) if (e.timeNano >= (o.sinceNano ?? Infinity) && e.timeNano <= (o.untilNano ?? Infinity)) yield e;
        },
      },
    } as unknown as Engine;
    const ctx: Ctx = { engine, name: 'events', flags: p.flags, changed: p.changed, args: p.args, out: (s) => (stdout += s), err: (s) => (stderr += s) };
    const code = await events(ctx).catch((e: Error) => `throws: ${e.message}`);
    return { code, stdout, stderr, seen };
  };

  it('prints the recorded events between --since and --until, filtered and formatted', async () => {
    const r = await run(['--since', '2', '--until', '6', '-f', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: 'start web\ndie web\ncreate api\nexec_create: sh -c true api\n' });
    expect(r.seen).toMatchObject([{ sinceNano: 2e9, untilNano: 6e9 }]);
    expect((await run(['--until', '1'])).stdout).toBe(formatEvent(FIXTURE[0]!));
  });

  it('fails like docker: bad time 1, bad template 64, bad filter syntax 125, daemon errors to the caller', async () => {
    expect(await run(['--since', 'yesterday'])).toMatchObject({ code: 1, stdout: '', stderr: 'failed to parse value as time or duration: "yesterday"\n' });
    expect(await run(['--until', '2024-13-01'])).toMatchObject({ code: 1, stderr: 'parsing time "2024-13-01": month out of range\n' });
    expect(await run(['--format', '{{.Nope}}'])).toMatchObject({
      code: 64,
      stderr: 'Error parsing format: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *events.Message\n',
    });
    expect((await run(['-f', 'die'])).code).toMatch(/^throws: invalid argument "die" for "-f, --filter" flag/);
    expect((await run(['-f', 'foo=bar', '--until', '1'])).code).toMatch(/^throws: Invalid filter 'foo'/);
    expect((await run(['--since', '10', '--until', '3'])).code).toBe('throws: `since` time (10) cannot be after `until` time (3)');
  });
});

describe('catalog', () => {
  it("describes events with docker's options", () => {
    const help = formatHelp(findCommand('events'));
    expect(help).toContain('Usage:  glass events [OPTIONS]');
    expect(help).toContain(
      [
        '  -f, --filter filter   Filter output based on conditions provided',
        '      --format string   Format the output using the given Go template',
        '      --since string    Show all events created since timestamp',
        '      --until string    Stream events until this timestamp',
      ].join('\n'),
    );
    expect(findCommand('events')!.explain).toContain('<root>/events.jsonl');
    expect(() => parseArgs(['events', 'x'])).toThrow('"glass events" accepts no arguments.');
  });
});
