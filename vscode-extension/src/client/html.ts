/** Small helpers for the webviews: escaping, Markdown (markdown-it, the lesson parser's), a page shell, explain-trace steps. */
import MarkdownIt from 'markdown-it';
import type { Step } from '../../../runtime/engine/index.js';

const md = new MarkdownIt({ html: false, linkify: false });

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function markdown(text: string): string {
  return md.render(text);
}

export function inlineMarkdown(text: string): string {
  return md.renderInline(text);
}

/** One explain-trace step: what, why, and the command a learner could type. */
export function stepHtml(s: Step): string {
  const failed = s.phase === 'failed';
  return (
    `<li class="step${failed ? ' failed' : ''}" data-seq="${s.seq ?? ''}">` +
    `<div class="title">${failed ? '✗' : '▸'} <span class="by">[${s.by === 'shim' ? 'shim' : 'glass'}]</span> ${esc(s.title)}${failed ? ' <b>(failed)</b>' : ''}</div>` +
    (s.why ? `<div class="why"><span class="label">why:</span> ${esc(s.why)}</div>` : '') +
    (s.command ? `<pre class="cmd">$ ${esc(s.command)}</pre>` : '') +
    (failed && s.error ? `<div class="error">error: ${esc(s.error)}</div>` : '') +
    `</li>`
  );
}

export function page(title: string, nonce: string, body: string, script: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}';">
<title>${esc(title)}</title>
<style>
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 1.2em 2em; line-height: 1.45; }
pre, code { font-family: var(--vscode-editor-font-family); }
pre { background: var(--vscode-textCodeBlock-background); padding: .5em .7em; white-space: pre-wrap; word-break: break-word; }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: 0; padding: .3em .9em; margin: .2em .4em .2em 0; cursor: pointer; }
button.secondary { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); }
button:disabled { opacity: .5; cursor: default; }
ol.steps { padding-left: 1.4em; }
li.step { margin: .5em 0; }
li.step .title { font-weight: 600; }
li.step .by { color: var(--vscode-descriptionForeground); font-weight: normal; }
li.step .why { color: var(--vscode-descriptionForeground); }
li.step pre.cmd { margin: .2em 0; color: var(--vscode-terminal-ansiGreen); }
li.failed .title, .error, .fail { color: var(--vscode-errorForeground); }
.pass { color: var(--vscode-terminal-ansiGreen); }
.status { font-weight: 600; margin-left: .4em; }
.hint { border-left: 3px solid var(--vscode-textBlockQuote-border); padding-left: .8em; margin: .5em 0; }
.muted { color: var(--vscode-descriptionForeground); }
section.lesson-step { border-top: 1px solid var(--vscode-panel-border); margin-top: 1em; }
section.lesson-step.current h2::after { content: ' ◂'; color: var(--vscode-descriptionForeground); }
pre.output { max-height: 22em; overflow: auto; }
details summary { cursor: pointer; }
</style></head>
<body>${body}
<script nonce="${nonce}">${script}</script>
</body></html>`;
}

export function nonce(): string {
  let s = '';
  for (let i = 0; i < 24; i++) s += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 62)];
  return s;
}
