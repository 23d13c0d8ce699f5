/**
 * Explain: a command line run with its explain trace streamed into a panel,
 * step by step, each with its why and its equivalent command. Above them,
 * "what will happen" (from the catalog, before anything runs); below, the
 * command's output and exit code. The steps come from GLASS_TRACE_FILE, the
 * one-JSON-object-a-line trace glass writes for `glass learn`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { readTrace } from '../../../runtime/learn/session.js';
import { runCaptured, setupProblem, type GlassSetup } from './glass.js';
import { esc, inlineMarkdown, nonce, page, stepHtml } from './html.js';

const RUN_MS = 300_000;

export class ExplainPanel {
  private panel?: vscode.WebviewPanel;
  private running?: AbortController;

  constructor(private readonly onSetupProblem: (p: string) => void) {}

  async explain(glass: GlassSetup, line: string, plan: string[], cwd: string | undefined): Promise<void> {
    this.running?.abort();
    const run = new AbortController();
    this.running = run;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('glass.explain', 'glass: Explain', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: true });
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.running?.abort();
      });
    }
    const panel = this.panel;
    panel.reveal(vscode.ViewColumn.Beside, true);
    panel.title = `glass: Explain ${line.length > 30 ? line.slice(0, 29) + '…' : line}`;
    const n = nonce();
    const planHtml = plan.length
      ? `<details open><summary><b>What will happen</b> (from the catalog, before it runs)</summary><ol>${plan.map((p) => `<li>${inlineMarkdown(p)}</li>`).join('')}</ol></details>`
      : '';
    panel.webview.html = page(
      'Explain',
      n,
      `<h2>Explain</h2><pre class="cmd">$ ${esc(line)}</pre>${planHtml}
<h3>What glass asked the kernel to do <span id="state" class="muted">(running…)</span></h3>
<ol id="steps" class="steps"></ol>
<h3>Output</h3><pre id="output" class="output"></pre><div id="exit"></div>`,
      `const steps = document.getElementById('steps'), out = document.getElementById('output');
window.addEventListener('message', (e) => {
  const m = e.data;
  if (m.type === 'step') steps.insertAdjacentHTML('beforeend', m.html);
  if (m.type === 'output') out.textContent += m.text;
  if (m.type === 'done') { document.getElementById('state').textContent = m.state; document.getElementById('exit').innerHTML = m.html; }
});`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'glass-explain-'));
    const trace = join(dir, 'trace.jsonl');
    writeFileSync(trace, '', { mode: 0o666 });
    let shown = 0;
    const post = (m: unknown) => void panel.webview.postMessage(m);
    const pump = () => {
      const steps = readTrace(trace);
      for (; shown < steps.length; shown++) post({ type: 'step', html: stepHtml(steps[shown]!) });
    };
    const timer = setInterval(pump, 150);
    try {
      const r = await runCaptured(line, {
        env: glass.env({ GLASS_TRACE_FILE: trace }),
        cwd,
        timeoutMs: RUN_MS,
        cancel: run.signal,
        onData: (text) => post({ type: 'output', text }),
      });
      pump();
      const problem = setupProblem(r.output, r.exitCode);
      if (problem) this.onSetupProblem(problem);
      const ok = r.exitCode === 0;
      post({
        type: 'done',
        state: `(${shown} step${shown === 1 ? '' : 's'})`,
        html: problem
          ? `<p class="fail">${esc(problem)}</p>`
          : r.timedOut
            ? `<p class="fail">Stopped after ${RUN_MS / 1000} s.</p>`
            : `<p class="${ok ? 'pass' : 'fail'}">exit code ${r.exitCode}</p>`,
      });
    } finally {
      clearInterval(timer);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  dispose(): void {
    this.running?.abort();
    this.panel?.dispose();
  }
}
