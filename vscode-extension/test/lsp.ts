/**
 * A language-server client for the tests: spawns the built server
 * (dist/server.js, what the .vsix ships) with --stdio and talks LSP to it
 * with createProtocolConnection, as an editor would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';

export const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));

export interface Session {
  conn: ProtocolConnection;
  proc: ChildProcess;
  stderr(): string;
  /** The next diagnostics published for `uri` with at least version `version`. */
  diagnostics(uri: string, version?: number): Promise<PublishDiagnosticsParams>;
  open(uri: string, languageId: string, text: string): void;
  change(uri: string, version: number, text: string): void;
  close(): Promise<void>;
}

export async function startServer(initializationOptions: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): Promise<Session> {
  const proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  const published: PublishDiagnosticsParams[] = [];
  const waiting: { uri: string; version?: number; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    const w = waiting.findIndex((x) => x.uri === p.uri && (x.version === undefined || (p.version ?? 0) >= x.version));
    if (w >= 0) waiting.splice(w, 1)[0]!.resolve(p);
    else published.push(p);
  });
  conn.onNotification('window/logMessage', (p: { message: string }) => (err += p.message + '\n'));
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions });
  await conn.sendNotification('initialized', {});
  return {
    conn,
    proc,
    stderr: () => err,
    diagnostics(uri, version) {
      const i = published.findIndex((p) => p.uri === uri && (version === undefined || (p.version ?? 0) >= version));
      if (i >= 0) return Promise.resolve(published.splice(i, 1)[0]!);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no diagnostics for ${uri} v${version} in 10 s; server said: ${err}`)), 10_000);
        waiting.push({ uri, version, resolve: (p) => (clearTimeout(t), resolve(p)) });
      });
    },
    open(uri, languageId, text) {
      void conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    },
    change(uri, version, text) {
      void conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    },
    async close() {
      try {
        await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        await conn.sendNotification('exit');
      } catch {
        // Gone already.
      }
      conn.dispose();
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
        await gone;
      }
    },
  };
}

/** Line and character of the first `needle` in `text` (plus `delta` characters). */
export function positionOf(text: string, needle: string, delta = 0): { line: number; character: number } {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`${needle} not in the text`);
  const before = text.slice(0, i + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}
