import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CompletionItem, Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { REPO } from '../../test/helpers.js';
import { positionOf, SERVER, startServer, type Session } from './lsp.js';

/**
 * Dockerfiles in the editor, over the protocol as VS Code talks to the
 * built server: hovering an instruction or a flag says what `glass build`
 * does with it; the parse error the build would stop at is published on its
 * line, in Docker's words.
 */
let s: Session;
let n = 0;
const uri = (name: string) => `file:///tmp/glass-lsp-df-${process.pid}-${++n}/${name}`;

const hoverText = async (u: string, text: string, needle: string, delta = 1): Promise<string> => {
  const h = (await s.conn.sendRequest('textDocument/hover', { textDocument: { uri: u }, position: positionOf(text, needle, delta) })) as Hover | null;
  return h ? (h.contents as MarkupContent).value : '';
};

describe.skipIf(!existsSync(SERVER))('Dockerfiles in the glass language server', () => {
  beforeAll(async () => {
    s = await startServer({ lessonsDir: join(REPO, 'lessons'), root: '/nonexistent-glass-root' });
  });
  afterAll(async () => {
    await s?.close();
  });

  const text = ['FROM busybox AS build', 'RUN echo hi > /out', 'COPY --from=build --chown=1:1 /out /out', 'ENV A=1', 'ONBUILD RUN echo child', ''].join('\n');

  it('hovers an instruction: what the build makes of it, its cache key, its forms and the lesson', async () => {
    const u = uri('Dockerfile');
    s.open(u, 'dockerfile', text);
    const run = await hoverText(u, text, 'RUN');
    expect(run).toMatch(/^\*\*RUN\*\*: Run a command in a build container/);
    expect(run).toContain('**In the image:** a new filesystem layer');
    expect(run).toContain('**Cache key:** The command text exactly');
    expect(run).toContain('RUN ["executable", "param1", "param2"]');
    expect(run).toContain('Lesson 12');
    const env = await hoverText(u, text, 'ENV');
    expect(env).toContain('only a config change: an empty layer in `glass history`');
    // ONBUILD's trigger is hovered as the instruction it will be.
    const trigger = await hoverText(u, text, 'RUN echo child');
    expect(trigger).toMatch(/^\*\*RUN\*\*/);
  });

  it('hovers a flag of COPY', async () => {
    const u = uri('Dockerfile');
    s.open(u, 'dockerfile', text);
    expect(await hoverText(u, text, '--from', 3)).toMatch(/^\*\*COPY --from=<stage\|index\|image>\*\*\n\nCopy from an earlier stage/);
    expect(await hoverText(u, text, '--chown', 3)).toContain('/etc/passwd');
  });

  it('completes an instruction at the start of a line and a flag after one, not inside a continued line', async () => {
    const u = uri('Dockerfile');
    const t = 'FROM busybox\nCO\nCOPY --f\nRUN echo a \\\n  CO';
    s.open(u, 'dockerfile', t);
    const at = async (line: number, character: number) =>
      ((await s.conn.sendRequest('textDocument/completion', { textDocument: { uri: u }, position: { line, character } })) as CompletionItem[]).map((c) => c.label);
    expect(await at(1, 2)).toEqual(['COPY']);
    expect(await at(2, 8)).toEqual(['--from=']);
    expect(await at(4, 4)).toEqual([]);
    expect((await at(1, 0)).length).toBe(18);
  });

  it('publishes the parse error glass build would stop at, on its line, in Docker’s words; none for a good file', async () => {
    const u = uri('Dockerfile.dev');
    const bad = 'FROM busybox\nRUN echo ok\nRUNN echo typo\n';
    s.open(u, 'plaintext', bad); // recognised by its name
    const d = (await s.diagnostics(u)).diagnostics;
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toBe('dockerfile parse error line 3: unknown instruction: RUNN');
    expect(d[0]!.range).toEqual({ start: { line: 2, character: 0 }, end: { line: 2, character: 'RUNN echo typo'.length } });
    expect(d[0]!.severity).toBe(1);
    expect(await hoverText(u, bad, 'RUNN')).toContain('is not a Dockerfile instruction');

    const good = uri('Dockerfile');
    s.open(good, 'dockerfile', text);
    expect((await s.diagnostics(good)).diagnostics).toEqual([]);
  });
});
