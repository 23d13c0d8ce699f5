import { appendFileSync, closeSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Lifecycle events, in the shape of Docker's Engine API `/events` messages:
 * what happened (Action) to what (Type, Actor), and when. `glass events`,
 * notebooks and, later, the daemon read them.
 *
 * They are persisted as one JSON object a line in <root>/events.jsonl, so a
 * process that did not cause an event (another terminal's `glass events`) can
 * follow it. Every writer appends a whole line with one write(2) on an
 * O_APPEND descriptor, which the kernel never interleaves with another
 * append: the CLI, the notebook's engine and the shim (it writes `die`
 * itself, since it is the one process that sees a detached container exit)
 * can all write at once without a lock.
 */
export type EventType = 'container' | 'image' | 'volume' | 'network';

export type ContainerAction = 'create' | 'start' | 'attach' | 'die' | 'stop' | 'kill' | 'destroy' | 'rename';
export type ImageAction = 'import' | 'tag' | 'untag' | 'delete';

export interface EngineEvent {
  /** Deprecated fields Docker still sends (status = Action, id = Actor.ID, from = image). */
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  /** Unix seconds and nanoseconds. */
  time: number;
  timeNano: number;
}

/** The file is renamed to `.1` past this size (the previous `.1` is dropped), so it stays bounded. */
const ROTATE_BYTES = 4 * 1024 * 1024;

const hrAtStart = process.hrtime.bigint();
const wallAtStartNs = BigInt(Date.now()) * 1_000_000n;

/**
 * Nanoseconds since the epoch, as a Number (precise to ~256 ns: enough to
 * order events), that never go backwards within one process: the
 * wall clock read once, plus the monotonic clock's progress since. (Adding
 * the monotonic clock's sub-millisecond digits to Date.now() went backwards
 * whenever those digits wrapped inside one wall-clock millisecond, so two
 * events a moment apart could be listed in the wrong order.)
 */
export function nowNano(): number {
  return Number(wallAtStartNs + (process.hrtime.bigint() - hrAtStart));
}

/** Attributes sorted by key, as Docker prints them. */
function sortedAttributes(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function makeEvent(type: EventType, action: string, id: string, attributes: Record<string, string>, timeNano = nowNano()): EngineEvent {
  // Docker sends the deprecated fields for container and image events only.
  const legacy = type === 'container' ? { status: action, id, from: attributes.image ?? '' } : type === 'image' ? { status: action, id } : {};
  return {
    ...legacy,
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: sortedAttributes(attributes) },
    scope: 'local',
    time: Math.floor(timeNano / 1e9),
    timeNano,
  };
}

export interface ReadEventsOptions {
  /** Only events at or after this time (unix nanoseconds). */
  sinceNano?: number;
  /** Only events at or before this time (unix nanoseconds). */
  untilNano?: number;
}

export class EventLog {
  constructor(readonly path: string) {}

  /** Append one event. Never throws: losing an event must not fail the operation it describes. */
  record(type: EventType, action: string, id: string, attributes: Record<string, string>): EngineEvent {
    const event = makeEvent(type, action, id, attributes);
    try {
      this.rotateIfLarge();
      appendFileSync(this.path, JSON.stringify(event) + '\n');
    } catch { /* a full or read-only disk: the operation itself still counts */ }
    return event;
  }

  private rotateIfLarge(): void {
    try {
      if (statSync(this.path).size > ROTATE_BYTES) renameSync(this.path, this.path + '.1');
    } catch { /* none yet */ }
  }

  /** Events recorded so far, oldest first, within the time bounds. */
  list(opts: ReadEventsOptions = {}): EngineEvent[] {
    const lines = [readAll(this.path + '.1'), readAll(this.path)].join('');
    return parse(lines).filter((e) => inRange(e, opts));
  }

  /**
   * Events as they are recorded: first those already in the log from
   * `sinceNano` on (none when it is undefined), then new ones until
   * `untilNano` passes or `signal` aborts. Polls the file (50 ms): simple and
   * correct on every filesystem.
   */
  async *follow(opts: ReadEventsOptions & { signal?: AbortSignal } = {}): AsyncGenerator<EngineEvent> {
    // Past events and live ones are split at one byte offset, so none is read twice or missed.
    let offset = size(this.path);
    if (opts.sinceNano !== undefined) {
      const past = readAll(this.path + '.1') + readRange(this.path, 0, offset);
      yield* parse(past).filter((e) => inRange(e, opts));
    }
    let partial = '';
    while (!opts.signal?.aborted) {
      // Decided before reading, so events written just before --until are still read once more.
      const last = opts.untilNano !== undefined && nowNano() > opts.untilNano;
      const now = size(this.path);
      if (now < offset) offset = 0; // rotated: the new file starts empty
      if (now > offset) {
        const text = partial + readRange(this.path, offset, now);
        offset = now;
        const end = text.lastIndexOf('\n') + 1;
        partial = text.slice(end);
        for (const e of parse(text.slice(0, end))) if (inRange(e, opts)) yield e;
      }
      if (last) return;
      if (now === offset) await sleep(50, undefined, { signal: opts.signal }).catch(() => {});
    }
  }
}

function inRange(e: EngineEvent, o: ReadEventsOptions): boolean {
  return (o.sinceNano === undefined || e.timeNano >= o.sinceNano) && (o.untilNano === undefined || e.timeNano <= o.untilNano);
}

function parse(text: string): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as EngineEvent;
      if (e && typeof e.Action === 'string' && typeof e.timeNano === 'number') out.push(e);
    } catch { /* a torn line (disk full mid-write): skip it */ }
  }
  return out;
}

function size(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readAll(path: string): string {
  return readRange(path, 0, size(path));
}

function readRange(path: string, start: number, end: number): string {
  if (end <= start) return '';
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const buf = Buffer.alloc(end - start);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
