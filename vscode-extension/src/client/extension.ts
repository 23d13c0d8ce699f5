/**
 * The glass extension's client: starts the language server (hovers,
 * completions, diagnostics, the ▶ Run and Explain lenses), runs a lens's line
 * in a terminal or with its explain trace in a panel, and shows the lessons
 * with the learner's progress.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { findLesson, loadLessons } from '../../../runtime/learn/lessons.js';
import { ProgressStore } from '../../../runtime/learn/progress.js';
import { ExplainPanel } from './explain-panel.js';
import { runCaptured, setUpGlass, setupProblem, type GlassSetup } from './glass.js';
import { LessonPanel, LessonsView } from './lessons.js';

/** What a ▶ Run or Explain lens carries (from the server). */
interface LensArg {
  uri: string;
  line: number;
  command: string;
  args: string[];
  plan: string[];
}

let client: LanguageClient | undefined;
let explainPanel: ExplainPanel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const store = new ProgressStore();
  const config = () => vscode.workspace.getConfiguration('glass');
  let glass: GlassSetup = makeGlass();
  let warned = false;

  function makeGlass(): GlassSetup {
    return setUpGlass(config().get<string>('command') || 'sudo -n glass', context.globalStorageUri.fsPath, { root: config().get<string>('root') || undefined, uid: process.getuid?.() });
  }

  /** One clear notification, once, when glass cannot be run as configured. */
  const notify = (problem: string) => {
    if (warned) return;
    warned = true;
    void vscode.window.showErrorMessage(`glass: ${problem}`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'glass.command');
    });
  };

  /** The lessons folder: the setting, else the workspace's (a glass checkout), else the configured glass's checkout. */
  const lessonsDir = (): string | undefined => {
    const set = config().get<string>('lessonsFolder');
    if (set) return set;
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      const d = join(f.uri.fsPath, 'lessons');
      if (existsSync(d) && readdirSync(d).some((n) => /^\d{2}-.*\.md$/.test(n))) return d;
    }
    return glass.checkout ? join(glass.checkout, 'lessons') : undefined;
  };

  const serverSettings = () => ({ root: config().get<string>('root') || undefined, lessonsDir: lessonsDir() });

  // The language server.
  const module = context.asAbsolutePath(join('dist', 'server.js'));
  const serverOptions: ServerOptions = { run: { module, transport: TransportKind.ipc }, debug: { module, transport: TransportKind.ipc } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'markdown' },
      { scheme: 'file', language: 'shellscript' },
      { scheme: 'untitled', language: 'markdown' },
      { scheme: 'untitled', language: 'shellscript' },
      { scheme: 'file', language: 'dockerfile' },
      { scheme: 'untitled', language: 'dockerfile' },
    ],
    initializationOptions: serverSettings(),
    // Hovers link to the lesson that teaches a flag: the one command their links may run.
    markdown: { isTrusted: { enabledCommands: ['glass.openLesson'] } },
  };
  client = new LanguageClient('glass', 'glass language server', serverOptions, clientOptions);

  const lessonsView = new LessonsView(lessonsDir, store);
  explainPanel = new ExplainPanel(notify);

  const cwdOf = (uri?: string) => {
    const folder = uri ? vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(uri)) : vscode.workspace.workspaceFolders?.[0];
    return folder?.uri.fsPath;
  };

  let terminal: vscode.Terminal | undefined;
  const runInTerminal = (line: string, uri?: string) => {
    if (glass.problem) notify(glass.problem);
    if (!terminal || terminal.exitStatus !== undefined) {
      terminal = vscode.window.createTerminal({ name: 'glass', cwd: cwdOf(uri), env: glass.env(), strictEnv: true });
    }
    terminal.show(true);
    terminal.sendText(line, true);
  };

  /** The glass command under the cursor, for the palette commands (the server knows where commands are: ask it for the lenses). */
  const lensAtCursor = async (): Promise<LensArg | undefined> => {
    const ed = vscode.window.activeTextEditor;
    if (!ed || !client) return undefined;
    const lenses = (await client.sendRequest('textDocument/codeLens', { textDocument: { uri: ed.document.uri.toString() } })) as { command?: { arguments?: LensArg[] } }[] | null;
    const args = (lenses ?? []).map((l) => l.command?.arguments?.[0]).filter((a): a is LensArg => !!a);
    const line = ed.selection.active.line;
    return args.filter((a) => a.line <= line).pop() ?? args[0];
  };

  const openLesson = async (ref?: string) => {
    const dir = lessonsDir();
    if (!dir) {
      void vscode.window.showErrorMessage('glass: no lessons folder: set glass.lessonsFolder, or open your glass checkout.');
      return;
    }
    let lessons;
    try {
      lessons = loadLessons(dir);
    } catch (e) {
      void vscode.window.showErrorMessage(`glass: ${(e as Error).message}`);
      return;
    }
    const id =
      ref ??
      (await vscode.window.showQuickPick(
        lessons.map((l) => ({ label: `${l.number} · ${l.title}`, id: l.id })),
        { placeHolder: 'Which lesson?' },
      ))?.id;
    const lesson = id ? findLesson(lessons, id) : undefined;
    if (!lesson) return;
    if (glass.problem) notify(glass.problem);
    LessonPanel.show(lesson, glass, store, () => lessonsView.refresh(), notify);
  };

  context.subscriptions.push(
    vscode.window.registerTreeDataProvider('glass.lessons', lessonsView),
    vscode.commands.registerCommand('glass.run', async (arg?: LensArg) => {
      const a = arg ?? (await lensAtCursor());
      if (a) runInTerminal(a.command, a.uri);
    }),
    vscode.commands.registerCommand('glass.explain', async (arg?: LensArg) => {
      const a = arg ?? (await lensAtCursor());
      if (a) await explainPanel?.explain(glass, a.command, a.plan, cwdOf(a.uri));
    }),
    vscode.commands.registerCommand('glass.whatWillHappen', async (arg?: LensArg) => {
      const a = arg ?? (await lensAtCursor());
      if (!a) return;
      const plan = (await client?.sendRequest('glass/plan', { args: a.args })) as string[] | undefined;
      const doc = await vscode.workspace.openTextDocument({
        language: 'markdown',
        content: `# What will happen\n\n\`\`\`sh\n${a.command}\n\`\`\`\n\nIn the kernel, in order (from glass's command catalog; nothing has run):\n\n${(plan ?? []).map((p, i) => `${i + 1}. ${p}`).join('\n')}\n`,
      });
      await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
    }),
    vscode.commands.registerCommand('glass.openLesson', (id?: string) => openLesson(id)),
    vscode.commands.registerCommand('glass.refreshLessons', () => lessonsView.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('glass')) return;
      glass = makeGlass();
      warned = false;
      void client?.sendNotification('workspace/didChangeConfiguration', { settings: { glass: serverSettings() } });
      lessonsView.refresh();
    }),
    { dispose: () => void LessonPanel.closeAll() },
    { dispose: () => explainPanel?.dispose() },
  );

  await client.start();

  // Is glass runnable as configured? One clear notification if not.
  if (glass.problem) notify(glass.problem);
  else {
    const r = await runCaptured('glass version', { env: glass.env(), timeoutMs: 20_000 });
    const problem = setupProblem(r.output, r.exitCode) ?? (r.exitCode !== 0 ? `"${glass.command} version" failed (exit ${r.exitCode}): ${r.output.trim().split('\n').pop() ?? ''}` : undefined);
    if (problem) notify(problem);
  }
}

export async function deactivate(): Promise<void> {
  await LessonPanel.closeAll();
  explainPanel?.dispose();
  await client?.stop();
}
