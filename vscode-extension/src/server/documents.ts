/**
 * Where the commands are in a document: all of a shell script; in Markdown
 * (lessons, READMEs), the fenced code blocks in a shell language (a lesson's
 * ```sh run, ```bash, and ```console blocks, where only the `$ ` prompt lines
 * are commands: the rest is their output). A Dockerfile holds no glass
 * commands (its RUN lines run inside an image): it has hovers and
 * diagnostics of its own (dockerfile.ts).
 */
import MarkdownIt from 'markdown-it';
import { findInvocations, scanShell, type Invocation } from './shell.js';

const md = new MarkdownIt({ html: true });

const SHELLS = new Set(['sh', 'bash', 'shell', 'zsh', 'ksh', 'dash']);
const SESSIONS = new Set(['console', 'shell-session', 'shellsession', 'sh-session', 'terminal']);

export type DocumentKind = 'shell' | 'markdown' | 'dockerfile' | 'other';

export function kindOf(languageId: string, uri: string): DocumentKind {
  if (languageId === 'markdown' || /\.(md|markdown)$/i.test(uri)) return 'markdown';
  if (['shellscript', 'sh', 'bash', 'shell', 'zsh'].includes(languageId) || /\.(sh|bash)$/i.test(uri)) return 'shell';
  if (languageId === 'dockerfile' || /(?:^|\/)dockerfile(?:\.[^/]*)?$|\.dockerfile$/i.test(uri)) return 'dockerfile';
  return 'other';
}

/** A part of the document that holds shell commands, as text of the same length (so offsets carry over). */
export interface ShellRegion {
  /** Offset of the region in the document. */
  start: number;
  text: string;
}

/** Offsets of the start of each line. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

export function shellRegions(text: string, kind: DocumentKind): ShellRegion[] {
  if (kind === 'shell') return [{ start: 0, text }];
  if (kind !== 'markdown') return [];
  let tokens;
  try {
    tokens = md.parse(text, {});
  } catch {
    return [];
  }
  const starts = lineStarts(text);
  const regions: ShellRegion[] = [];
  for (const t of tokens) {
    if (t.type !== 'fence' || !t.map) continue;
    const lang = t.info.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    const session = SESSIONS.has(lang);
    if (!SHELLS.has(lang) && !session) continue;
    // The content lines: after the opening fence, up to the closing one (or the end of a block left open).
    const [open, close] = t.map;
    const from = starts[open + 1];
    if (from === undefined) continue;
    let lastLine = close - 1;
    const closing = text.slice(starts[lastLine] ?? text.length, starts[lastLine + 1] ?? text.length);
    if (lastLine > open && /^\s*(```|~~~)/.test(closing)) lastLine--;
    const to = lastLine + 1 < starts.length ? starts[lastLine + 1]! : text.length;
    if (to <= from) continue;
    const body = text.slice(from, to);
    regions.push({ start: from, text: session ? promptLines(body) : body });
  }
  return regions;
}

/**
 * A console session: `$ command` lines (and `# command` for root, and their
 * `\` continuations) are commands; the prompt and the output lines are
 * blanked to spaces, so offsets stay where they were.
 */
function promptLines(body: string): string {
  const lines = body.split('\n');
  let continued = false;
  return lines
    .map((line) => {
      const m = /^(\s*[$#] )/.exec(line);
      if (m || continued) {
        continued = /\\$/.test(line);
        return m ? ' '.repeat(m[1]!.length) + line.slice(m[1]!.length) : line;
      }
      return ' '.repeat(line.length);
    })
    .join('\n');
}

/** Every glass and docker invocation in a document. */
export function invocationsIn(text: string, kind: DocumentKind): Invocation[] {
  const found: Invocation[] = [];
  for (const r of shellRegions(text, kind)) found.push(...findInvocations(scanShell(r.text, r.start)));
  return found;
}
