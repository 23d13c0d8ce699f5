/**
 * The Lessons view (the lessons with the learner's progress, the same file
 * `glass learn` keeps) and the lesson panel: one lesson step by step, with
 * ▶ Run on each command, its output, the check's ✓ or ✗ and the hint, and
 * under the hood the kernel steps glass took. Lessons are read with glass's
 * own parser (runtime/learn).
 */
import * as vscode from 'vscode';
import { isComing, loadLessons, missingFeatures } from '../../../runtime/learn/lessons.js';
import type { Lesson, LessonStep } from '../../../runtime/learn/model.js';
import { ProgressStore } from '../../../runtime/learn/progress.js';
import type { GlassSetup } from './glass.js';
import { setupProblem } from './glass.js';
import { esc, markdown, nonce, page, stepHtml } from './html.js';
import { LessonRunner } from './lesson-runner.js';

export class LessonsView implements vscode.TreeDataProvider<Lesson> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  problem?: string;

  constructor(
    private readonly dir: () => string | undefined,
    private readonly store: ProgressStore,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  lessons(): Lesson[] {
    const dir = this.dir();
    this.problem = undefined;
    if (!dir) {
      this.problem = 'No lessons folder: set glass.lessonsFolder, or open your glass checkout.';
      return [];
    }
    try {
      return loadLessons(dir);
    } catch (e) {
      this.problem = (e as Error).message;
      return [];
    }
  }

  getChildren(): Lesson[] {
    const all = this.lessons();
    if (this.problem) void vscode.window.showWarningMessage(`glass lessons: ${this.problem}`);
    return all;
  }

  getTreeItem(l: Lesson): vscode.TreeItem {
    const p = this.store.get(l.id);
    const item = new vscode.TreeItem(`${l.number} · ${l.title}`);
    item.id = l.id;
    if (isComing(l)) {
      item.description = `coming (needs ${missingFeatures(l).join(', ')})`;
      item.iconPath = new vscode.ThemeIcon('circle-slash');
    } else {
      item.description = p?.done ? '✓ done' : p ? `step ${p.step} of ${l.steps.length}` : `${l.minutes} min, ${l.steps.length} steps`;
      item.iconPath = new vscode.ThemeIcon(p?.done ? 'pass-filled' : p ? 'circle-large-outline' : 'book');
      item.command = { command: 'glass.openLesson', title: 'Open lesson', arguments: [l.id] };
    }
    item.tooltip = `${l.file}`;
    return item;
  }
}

interface StepState {
  output?: string;
  exitCode?: number;
  passed?: boolean;
  problem?: string;
  traceHtml?: string;
}

/** One open lesson in a panel. */
export class LessonPanel {
  private static open = new Map<string, LessonPanel>();
  private readonly panel: vscode.WebviewPanel;
  private readonly runner: LessonRunner;
  private readonly state = new Map<number, StepState>();
  private busy = false;

  static show(lesson: Lesson, glass: GlassSetup, store: ProgressStore, onChange: () => void, onSetupProblem: (p: string) => void): LessonPanel {
    const existing = LessonPanel.open.get(lesson.id);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const p = new LessonPanel(lesson, glass, store, onChange, onSetupProblem);
    LessonPanel.open.set(lesson.id, p);
    return p;
  }

  static async closeAll(): Promise<void> {
    await Promise.all([...LessonPanel.open.values()].map((p) => p.close()));
  }

  private constructor(
    readonly lesson: Lesson,
    private readonly glass: GlassSetup,
    private readonly store: ProgressStore,
    private readonly onChange: () => void,
    private readonly onSetupProblem: (p: string) => void,
  ) {
    this.runner = new LessonRunner(lesson, glass, store);
    this.panel = vscode.window.createWebviewPanel('glass.lesson', `Lesson ${lesson.number}: ${lesson.title}`, vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: true });
    this.panel.onDidDispose(() => void this.close());
    this.panel.webview.onDidReceiveMessage((m: { type: string; step: number }) => void this.onMessage(m));
    this.render();
  }

  private closed = false;
  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    LessonPanel.open.delete(this.lesson.id);
    await this.runner.finish();
  }

  private async onMessage(m: { type: string; step: number }): Promise<void> {
    const step = this.lesson.steps.find((s) => s.index === m.step);
    if (!step || this.busy) return;
    this.busy = true;
    const st: StepState = {};
    this.state.set(step.index, st);
    this.post({ type: 'busy', step: step.index });
    try {
      if (m.type === 'run' && step.run) {
        let live = '';
        const r = await this.runner.run(step, step.run.code, (s) => {
          live += s;
          this.post({ type: 'output', step: step.index, text: s });
        });
        void live;
        Object.assign(st, { output: r.output, exitCode: r.exitCode, passed: r.passed, problem: r.problem ?? setupProblem(r.output, r.exitCode) });
        st.traceHtml = r.steps.map(stepHtml).join('');
      } else if (m.type === 'check') {
        st.passed = await this.runner.check(step);
      }
      if (st.problem) this.onSetupProblem(st.problem);
    } catch (e) {
      st.problem = (e as Error).message;
    } finally {
      this.busy = false;
    }
    this.onChange();
    this.post({ type: 'result', step: step.index, html: this.resultHtml(step, st) });
  }

  private post(m: unknown): void {
    void this.panel.webview.postMessage(m);
  }

  private resultHtml(step: LessonStep, st: StepState): string {
    const parts: string[] = [];
    if (st.output !== undefined) parts.push(`<pre class="output">${esc(st.output) || '<span class="muted">(no output)</span>'}</pre>`);
    if (st.problem) parts.push(`<p class="fail">${esc(st.problem)}</p>`);
    if (st.passed === true) parts.push(`<p class="pass check">✓ Done${step.index === this.lesson.steps.length ? ': the lesson is complete' : ''}</p>`);
    if (st.passed === false) {
      parts.push(`<p class="fail check">✗ Not yet</p>`);
      if (step.hint) parts.push(`<div class="hint">${markdown(`**Hint:** ${step.hint}`)}</div>`);
    }
    if (st.output !== undefined && step.after) parts.push(`<div class="after">${markdown(step.after)}</div>`);
    if (st.traceHtml) parts.push(`<details><summary>Under the hood: what glass asked the kernel to do</summary><ol class="steps">${st.traceHtml}</ol></details>`);
    return parts.join('');
  }

  private render(): void {
    const l = this.lesson;
    const saved = this.store.get(l.id);
    const current = saved?.done ? 0 : (saved?.step ?? 1);
    const steps = l.steps
      .map((s) => {
        const done = saved?.done || (saved && s.index < saved.step);
        const buttons = [
          s.run ? `<button data-run="${s.index}">▶ Run</button>` : '',
          s.check ? `<button class="secondary" data-check="${s.index}">Check</button>` : '',
        ].join('');
        return `<section class="lesson-step${s.index === current ? ' current' : ''}" id="step-${s.index}">
<h2>${s.index}. ${esc(s.title)} <span class="status">${done ? '<span class="pass">✓</span>' : ''}</span></h2>
${markdown(s.prose)}
${s.run ? `<pre class="cmd">${esc(s.run.code)}</pre>${s.run.tty ? '<p class="muted">This command needs a terminal of its own: run it from the lesson file\'s ▶ Run lens, then press Check.</p>' : ''}` : ''}
<div>${s.run?.tty ? buttons.replace(/<button data-run="\d+">▶ Run<\/button>/, '') : buttons}</div>
<div class="result" id="result-${s.index}"></div>
</section>`;
      })
      .join('\n');
    const n = nonce();
    this.panel.webview.html = page(
      l.title,
      n,
      `<h1>Lesson ${l.number}: ${esc(l.title)}</h1><p class="muted">${l.minutes} min · ${l.steps.length} steps · progress is saved as in <code>glass learn ${l.number}</code></p>
${markdown(l.intro)}
${steps}`,
      `const vscode = acquireVsCodeApi();
document.body.addEventListener('click', (e) => {
  const b = e.target.closest('button'); if (!b) return;
  if (b.dataset.run) vscode.postMessage({ type: 'run', step: Number(b.dataset.run) });
  if (b.dataset.check) vscode.postMessage({ type: 'check', step: Number(b.dataset.check) });
});
window.addEventListener('message', (e) => {
  const m = e.data, res = document.getElementById('result-' + m.step);
  if (m.type === 'busy') { res.innerHTML = '<pre class="output"></pre><p class="muted running">running…</p>'; document.querySelectorAll('button').forEach((b) => b.disabled = true); }
  if (m.type === 'output') res.querySelector('pre.output').textContent += m.text;
  if (m.type === 'result') {
    res.innerHTML = m.html;
    document.querySelectorAll('button').forEach((b) => b.disabled = false);
    if (res.querySelector('.check.pass')) document.querySelector('#step-' + m.step + ' .status').innerHTML = '<span class="pass">✓</span>';
  }
});`,
    );
  }
}
