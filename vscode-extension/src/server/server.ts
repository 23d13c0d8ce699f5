/**
 * The glass language server (LSP over stdio or IPC): hovers, completions,
 * diagnostics and code lenses for `glass ...` and `docker ...` command lines
 * in shell scripts and in Markdown code blocks, all from glass's own command
 * catalog, CLI parser and lesson parser (runtime/), bundled in by esbuild.
 *
 * Client settings arrive as initializationOptions and
 * workspace/didChangeConfiguration: { root, lessonsDir }.
 *
 * It must never die of its input: every handler catches its own failures and
 * answers with nothing rather than an error.
 */
import {
  CodeLens,
  CompletionItem,
  CompletionItemKind,
  createConnection,
  DiagnosticSeverity,
  MarkupKind,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { kindOf } from './documents.js';
import { completionsAt, diagnose, hoverAt, lenses, type CompletionEntry } from './features.js';
import { plan } from './explain.js';
import { Lessons } from './lessons.js';
import { NameSource } from './names.js';

export interface ServerSettings {
  /** glass's state root (live container and image names). */
  root?: string;
  /** The lessons folder (hover links and titles). */
  lessonsDir?: string;
}

const DEFAULT_ROOT = '/var/lib/glass';

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let settings: ServerSettings = {};
  const rootOf = (s: ServerSettings) => s.root || process.env.GLASS_ROOT || DEFAULT_ROOT;
  const names = new NameSource(rootOf(settings));
  const lessons = new Lessons(undefined);
  const apply = (s: ServerSettings | undefined) => {
    settings = { ...settings, ...(s ?? {}) };
    names.setRoot(rootOf(settings));
    lessons.setDir(settings.lessonsDir || undefined);
  };

  const safe = <A extends unknown[], R>(what: string, fallback: R, fn: (...a: A) => R | Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a);
      } catch (e) {
        connection.console.error(`glass language server: ${what} failed: ${(e as Error).stack ?? e}`);
        return fallback;
      }
    };

  connection.onInitialize((params) => {
    apply(params.initializationOptions as ServerSettings | undefined);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: [' ', '-'], resolveProvider: false },
        codeLensProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'glass-language-server', version: '0.1.0' },
    };
  });

  connection.onDidChangeConfiguration((p) => {
    const s = (p.settings as { glass?: ServerSettings } | undefined)?.glass;
    if (s) apply(s);
    for (const d of documents.all()) void validate(d);
  });

  const docKind = (d: TextDocument) => kindOf(d.languageId, d.uri);

  const validate = safe('diagnostics', undefined, async (d: TextDocument) => {
    const problems = diagnose(d.getText(), docKind(d));
    await connection.sendDiagnostics({
      uri: d.uri,
      version: d.version,
      diagnostics: problems.map((p) => ({
        range: { start: d.positionAt(p.start), end: d.positionAt(p.end) },
        message: p.message,
        severity: p.severity === 'error' ? DiagnosticSeverity.Error : p.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
        source: 'glass',
      })),
    });
  });
  documents.onDidChangeContent((e) => void validate(e.document));
  documents.onDidClose((e) => void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }));

  connection.onHover(
    safe('hover', null, (p) => {
      const d = documents.get(p.textDocument.uri);
      if (!d) return null;
      const h = hoverAt(d.getText(), docKind(d), d.offsetAt(p.position), lessons);
      if (!h) return null;
      return { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: { start: d.positionAt(h.start), end: d.positionAt(h.end) } };
    }),
  );

  connection.onCompletion(
    safe('completion', [] as CompletionItem[], async (p) => {
      const d = documents.get(p.textDocument.uri);
      if (!d) return [];
      const text = d.getText();
      const offset = d.offsetAt(p.position);
      let r = completionsAt(text, docKind(d), offset, undefined, lessons);
      if (r === 'needs-names') r = completionsAt(text, docKind(d), offset, await names.get(), lessons);
      if (r === 'needs-names') return [];
      return r.map((e) => toItem(d, e));
    }),
  );

  connection.onCodeLens(
    safe('code lens', [] as CodeLens[], (p) => {
      const d = documents.get(p.textDocument.uri);
      if (!d) return [];
      return lenses(d.getText(), docKind(d)).flatMap((l) => {
        const pos = d.positionAt(l.at);
        const range = { start: pos, end: pos };
        const arg = { uri: d.uri, line: pos.line, command: l.command, args: l.args, plan: l.plan };
        return [
          { range, command: { title: '▶ Run', command: 'glass.run', arguments: [arg] } },
          { range, command: { title: 'Explain', command: 'glass.explain', arguments: [arg] } },
        ];
      });
    }),
  );

  /** glass/plan: what a command line will do in the kernel, without running it (the catalog's kernel notes, in order). */
  connection.onRequest(
    'glass/plan',
    safe('plan', [] as string[], (p: { args: string[] }) => plan(p.args)),
  );

  documents.listen(connection);
  connection.listen();
}

const KINDS: Record<CompletionEntry['kind'], CompletionItemKind> = {
  command: CompletionItemKind.Function,
  flag: CompletionItemKind.Property,
  container: CompletionItemKind.Variable,
  image: CompletionItemKind.Module,
  value: CompletionItemKind.EnumMember,
};

function toItem(d: TextDocument, e: CompletionEntry): CompletionItem {
  return {
    label: e.label,
    kind: KINDS[e.kind],
    detail: e.detail,
    documentation: e.documentation ? { kind: MarkupKind.Markdown, value: e.documentation } : undefined,
    textEdit: { range: { start: d.positionAt(e.replace.start), end: d.positionAt(e.replace.end) }, newText: e.label },
  };
}

// Started as a program (node server.js --stdio, or by the client over IPC).
const connection = createConnection(ProposedFeatures.all);
// Whatever slips past a handler is logged, never the end of the server: the editor keeps its hovers.
process.on('uncaughtException', (e) => connection.console.error(`glass language server: ${e.stack ?? e}`));
process.on('unhandledRejection', (e) => connection.console.error(`glass language server: ${(e as Error)?.stack ?? e}`));
startServer(connection);
