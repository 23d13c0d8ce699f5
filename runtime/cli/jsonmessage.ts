/**
 * Docker's progress display (jsonmessage.DisplayJSONMessagesStream), for
 * the JSON-message stream an engine operation reports: push (and pull).
 *
 * Each message is { id?, status, progressDetail?: { current, total } }.
 *
 * On a terminal, each id owns one line, rewritten in place as its status
 * changes ("Preparing", "Pushing [=====>   ] 1.2MB/3.4MB", "Pushed"): the
 * cursor moves up to that line, clears it, writes, and moves back down. A
 * message without an id is an ordinary line, after which earlier ids are no
 * longer updated in place.
 *
 * Elsewhere (a pipe, a file, a test), one plain line per message and no
 * byte counts: "<id>: <status>". Messages that only carry progress are
 * dropped there, as Docker drops them.
 */
export interface JsonMessage {
  id?: string;
  status: string;
  progressDetail?: { current?: number; total?: number };
}

const ESC = '\x1b[';

/** Docker's units.HumanSize: decimal units, 4 significant digits ("1.088MB", "527B"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let n = bytes;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}

/** The progress part of a line: "[=====>      ]  1.2MB/3.4MB" (the bar only on a wide terminal), or "". */
export function progressText(p: JsonMessage['progressDetail'], width: number): string {
  const current = p?.current ?? 0;
  const total = p?.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const percent = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = width > 110 ? `[${'='.repeat(percent)}>${' '.repeat(Math.max(0, 50 - percent))}] ` : '';
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

/** A renderer writing to `write`; call it with each message as it comes. */
export function jsonMessageRenderer(write: (s: string) => void, isTerminal: boolean, width = 80): (m: JsonMessage) => void {
  // id -> its line, counted from the first line of the current block.
  let lines = new Map<string, number>();
  return (m) => {
    const hasProgress = m.progressDetail !== undefined;
    const shown = hasProgress ? progressText(m.progressDetail, width) : '';
    if (!isTerminal) {
      if (shown !== '') return; // byte counts are for terminals
      write(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
      return;
    }
    if (!m.id) {
      lines = new Map();
      write(`${m.status}\n`);
      return;
    }
    let line = lines.get(m.id);
    if (line === undefined) {
      line = lines.size;
      lines.set(m.id, line);
      write('\n');
    }
    const up = lines.size - line;
    write(`${ESC}${up}A${ESC}2K\r${m.id}: ${m.status} ${shown}\r${ESC}${up}B`);
  };
}
