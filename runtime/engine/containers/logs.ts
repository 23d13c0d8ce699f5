import { promises as fs, createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** One entry of the json-file log the shim writes. */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  log: string;
  time: string;
}

export interface LogOptions {
  follow?: boolean;
  /** Number of lines from the end, or undefined for all. */
  tail?: number;
  /** Checked while following: stop once this returns false and the file is drained. */
  isRunning?: () => Promise<boolean>;
}

function parseLines(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch { /* a line being written right now */ }
  }
  return out;
}

/**
 * Read (and with follow, keep reading) a container's log. Following polls
 * the file's size: simple, and correct on every filesystem.
 */
export async function* readLog(path: string, opts: LogOptions = {}): AsyncGenerator<LogEntry> {
  let text = '';
  try {
    text = await fs.readFile(path, 'utf8');
  } catch { /* no output yet */ }
  // Only complete lines count; a partial last line is read again next time.
  let offset = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1));
  let entries = parseLines(text.slice(0, text.lastIndexOf('\n') + 1));
  if (opts.tail !== undefined) entries = opts.tail === 0 ? [] : entries.slice(-opts.tail);
  yield* entries;
  if (!opts.follow) return;
  for (;;) {
    const running = opts.isRunning ? await opts.isRunning() : false;
    const size = await fs.stat(path).then((s) => s.size, () => 0);
    if (size > offset) {
      const chunk = await readRange(path, offset, size);
      const end = chunk.lastIndexOf(0x0a) + 1;
      if (end > 0) {
        offset += end;
        yield* parseLines(chunk.subarray(0, end).toString('utf8'));
      }
      continue;
    }
    if (!running) return;
    await sleep(50);
  }
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of createReadStream(path, { start, end: end - 1 })) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
