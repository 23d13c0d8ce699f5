/**
 * Markdown for the terminal: a lesson's prose rendered with chalk (headings,
 * emphasis, code, lists, quotes), wrapped to the terminal's width. Plain text
 * when colour is off (chalk.level 0: not a tty, or --no-color).
 *
 * Written by hand over markdown-it's tokens: the packages that render
 * Markdown for terminals bring their own Markdown parser (marked), and
 * lessons must be read by one parser only (runtime/learn/parse.ts uses
 * markdown-it).
 */
import chalk from 'chalk';
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';

// html: true only so that <details> and comments are read as HTML blocks (and skipped); nothing here renders HTML.
const md = new MarkdownIt({ html: true });

/** Visible width of a string that may hold ANSI colour codes. */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

/** Wrap text (with colour codes) to `width`, each line after `indent`; words longer than a line stay whole. */
export function wrap(text: string, width: number, indent = '', firstIndent = indent): string {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    let lineLen = 0;
    let lead = out.length === 0 ? firstIndent : indent;
    for (const word of para.split(/ +/)) {
      if (!word) continue;
      const len = visibleLength(word);
      if (lineLen > 0 && visibleLength(lead) + lineLen + 1 + len > width) {
        out.push(lead + line);
        lead = indent;
        line = word;
        lineLen = len;
      } else {
        line = lineLen > 0 ? `${line} ${word}` : word;
        lineLen += (lineLen > 0 ? 1 : 0) + len;
      }
    }
    out.push(lead + line);
  }
  return out.join('\n');
}

/** Inline tokens (text, code, emphasis, links) as one string with colour. */
function inline(tokens: Token[] | null): string {
  let out = '';
  const styles: ((s: string) => string)[] = [];
  let linkHref: string | undefined;
  let linkText = '';
  const style = (s: string) => styles.reduce((acc, f) => f(acc), s);
  for (const t of tokens ?? []) {
    switch (t.type) {
      case 'text':
        if (linkHref !== undefined) linkText += t.content;
        out += style(t.content);
        break;
      case 'code_inline':
        out += chalk.cyan(t.content);
        break;
      case 'strong_open':
        styles.push(chalk.bold);
        break;
      case 'em_open':
        styles.push(chalk.italic);
        break;
      case 'strong_close':
      case 'em_close':
        styles.pop();
        break;
      case 'link_open':
        linkHref = String(t.attrGet('href') ?? '');
        linkText = '';
        styles.push(chalk.underline);
        break;
      case 'link_close':
        styles.pop();
        if (linkHref && linkHref !== linkText && !linkHref.startsWith('#')) out += chalk.dim(` (${linkHref})`);
        linkHref = undefined;
        break;
      case 'softbreak':
        out += ' ';
        break;
      case 'hardbreak':
        out += '\n';
        break;
      case 'image':
        out += chalk.dim(`[image: ${t.content || t.attrGet('alt') || ''}]`);
        break;
      default:
        // html_inline and the like: nothing a terminal can show.
        break;
    }
  }
  return out;
}

/** Render Markdown for the terminal, `width` columns wide. */
export function renderMarkdown(source: string, width = 80): string {
  const tokens = md.parse(source, {});
  const blocks: string[] = [];
  const lists: { ordered: boolean; n: number }[] = [];
  let quote = 0;
  let pendingItem: string | undefined;
  let lastTight = false;
  const indent = () => '  '.repeat(lists.length) + (quote ? chalk.dim('│ ') : '');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    switch (t.type) {
      case 'heading_open': {
        const text = inline(tokens[i + 1].children);
        blocks.push(t.tag === 'h1' ? chalk.bold.underline(text) : chalk.bold(text));
        i += 2;
        break;
      }
      case 'paragraph_open': {
        const text = inline(tokens[i + 1].children);
        const lead = indent();
        if (pendingItem !== undefined) {
          const item = wrap(text, width, lead, lead.slice(0, -2) + pendingItem);
          // The items of a tight list (no blank lines between them) stay on consecutive lines.
          if (t.hidden && lastTight && blocks.length) blocks[blocks.length - 1] += '\n' + item;
          else blocks.push(item);
          lastTight = t.hidden;
          pendingItem = undefined;
        } else {
          lastTight = false;
          blocks.push(wrap(text, width, lead));
        }
        i += 2;
        break;
      }
      case 'bullet_list_open':
      case 'ordered_list_open':
        lists.push({ ordered: t.type === 'ordered_list_open', n: Number(t.attrGet('start') ?? 1) });
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        lastTight = false;
        break;
      case 'list_item_open': {
        const list = lists[lists.length - 1];
        pendingItem = list.ordered ? `${list.n++}. ` : '• ';
        break;
      }
      case 'blockquote_open':
        quote++;
        break;
      case 'blockquote_close':
        quote--;
        break;
      case 'fence':
      case 'code_block': {
        const lead = indent() + '    ';
        blocks.push(
          t.content
            .replace(/\n$/, '')
            .split('\n')
            .map((l) => lead + chalk.cyan(l))
            .join('\n'),
        );
        break;
      }
      case 'hr':
        blocks.push(chalk.dim('─'.repeat(Math.min(width, 60))));
        break;
      case 'table_open': {
        const rows: string[][] = [];
        let j = i + 1;
        let row: string[] = [];
        for (; j < tokens.length && tokens[j].type !== 'table_close'; j++) {
          const c = tokens[j];
          if (c.type === 'tr_open') row = [];
          else if (c.type === 'inline') row.push(inline(c.children));
          else if (c.type === 'tr_close') rows.push(row);
        }
        const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => visibleLength(r[col] ?? '')))) ?? [];
        blocks.push(rows.map((r, n) => indent() + r.map((cell, col) => (n === 0 ? chalk.bold(cell) : cell) + ' '.repeat(widths[col] - visibleLength(cell))).join('   ').trimEnd()).join('\n'));
        i = j;
        break;
      }
      default:
        // html_block (e.g. <details> around hidden blocks): not for a terminal.
        break;
    }
  }
  return blocks.join('\n\n');
}
