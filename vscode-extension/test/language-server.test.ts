import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CompletionItem, Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { glass, isRoot, REPO, testRoot } from '../../test/helpers.js';
import { positionOf, SERVER, startServer, type Session } from './lsp.js';

/**
 * The language server over the protocol, as an editor talks to it: the built
 * server (dist/server.js, what the .vsix ships), initialize, didOpen and
 * didChange, then hover, completion, code lenses and the diagnostics it
 * publishes, for glass and docker lines in shell scripts and in Markdown
 * code blocks. Texts are asserted as a learner would read them.
 */
const LESSONS = join(REPO, 'lessons');
let s: Session;
let n = 0;
const uri = (ext: string) => `file:///tmp/glass-lsp-test-${process.pid}-${++n}.${ext}`;

const hoverText = async (u: string, text: string, needle: string, delta = 1): Promise<string> => {
  const h = (await s.conn.sendRequest('textDocument/hover', { textDocument: { uri: u }, position: positionOf(text, needle, delta) })) as Hover | null;
  return h ? (h.contents as MarkupContent).value : '';
};
const complete = async (u: string, position: { line: number; character: number }): Promise<CompletionItem[]> =>
  (await s.conn.sendRequest('textDocument/completion', { textDocument: { uri: u }, position })) as CompletionItem[];

describe.skipIf(!existsSync(SERVER))('the glass language server over LSP', () => {
  beforeAll(async () => {
    s = await startServer({ lessonsDir: LESSONS, root: '/nonexistent-glass-root' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('hovers a flag in a lesson: summary, explanation, kernel feature and the lesson that teaches it', async () => {
    const u = uri('md');
    const text = '# Try\n\n```sh run\nglass run --rm --name web busybox echo hi\n```\n';
    s.open(u, 'markdown', text);
    const rm = await hoverText(u, text, '--rm');
    expect(rm).toContain('**--rm** (`glass run`): Automatically remove the container when it exits');
    expect(rm).toContain("When the process exits, glass deletes the container's writable layer");
    expect(rm).toContain('**Kernel:** mount namespaces');
    expect(rm).toContain('Lesson 1 · Your first container');
    expect(rm).toContain(pathToFileURL(join(LESSONS, '01-first-container.md')).href);
    expect(rm).toContain('`glass learn 1`');
    // The command word: summary, explanation, the kernel features, and what will happen, in order.
    const run = await hoverText(u, text, 'run --rm');
    expect(run).toContain('**glass run**: Run a command in a new container');
    expect(run).toContain('**What will happen** (in the kernel, in order):\n1. **overlayfs**\n2. **mount namespace**\n3. **PID namespace**');
    expect(run).toContain('**mount namespaces** (`--rm`)');
    // The container's own command is not glass's.
    expect(await hoverText(u, text, 'echo hi')).toContain("The container's own command");
  });

  it('hovers a docker line: the same flag explained, and what glass lacks', async () => {
    const u = uri('sh');
    const text = '#!/bin/sh\ndocker run -d -p 8080:80 --name web --gpus all nginx\ndocker swarm init\ndocker search nginx\n';
    s.open(u, 'shellscript', text);
    expect(await hoverText(u, text, '-d ')).toContain('**-d, --detach** (`docker run`): Run container in background and print container ID');
    expect(await hoverText(u, text, '-p ')).toContain("**-p, --publish** list (`docker run`): Publish a container's port(s) to the host");
    expect(await hoverText(u, text, '--gpus')).toContain('**--gpus**: glass run has no such flag yet');
    expect(await hoverText(u, text, 'run -d')).toContain('**docker run** → `glass run`');
    expect(await hoverText(u, text, 'swarm')).toContain('glass has no `swarm` command (yet)');
    // A command glass leaves out on purpose says why (the catalog's LEFT_OUT).
    expect(await hoverText(u, text, 'search')).toContain("**docker search**: glass leaves this command out: Docker Hub's search API is not part of the OCI distribution protocol");
  });

  it('publishes the CLI parser\'s own messages for glass lines, where the word is', async () => {
    const u = uri('sh');
    const text = [
      '#!/bin/bash',
      'glass run --nosuch busybox true',
      'glass ps --format "{{.Nope}}"',
      'sudo glass run -e =oops busybox env',
      'glass rm',
      'glass frobnicate',
      'glass run -it --rm busybox sh   # fine',
      'glass inspect -f "{{.State.Pid}}" "$NAME"   # fine: the name is known when it runs',
      'echo "$(glass psx)"',
      'glass events --format "{{.Nope}}"',
      '',
    ].join('\n');
    s.open(u, 'shellscript', text);
    const d = (await s.diagnostics(u)).diagnostics;
    const byLine = Object.fromEntries(d.map((x) => [x.range.start.line, x]));
    expect(d.map((x) => x.range.start.line).sort()).toEqual([1, 2, 3, 4, 5, 8, 9]);
    expect(byLine[1]!.message).toBe("glass: unknown flag: --nosuch\nSee 'glass run --help'.");
    expect(byLine[1]!.range).toEqual({ start: { line: 1, character: 10 }, end: { line: 1, character: 18 } });
    expect(byLine[1]!.severity).toBe(1);
    expect(byLine[2]!.message).toMatch(/^Error: template: can't evaluate field Nope: ps --format knows \.ID \.Image/);
    expect(byLine[2]!.range.start.character).toBe('glass ps --format '.length);
    expect(byLine[3]!.message).toBe('glass: invalid environment variable: =oops (use KEY=value)');
    expect(byLine[3]!.range.start.character).toBe('sudo glass run -e '.length);
    expect(byLine[4]!.message).toBe('glass: "glass rm" requires at least 1 argument.\nSee \'glass rm --help\'.\n\nUsage:  glass rm [OPTIONS] CONTAINER [CONTAINER...]\n\nRemove one or more containers');
    expect(byLine[5]!.message).toBe("glass: 'frobnicate' is not a glass command.\nSee 'glass --help'.");
    expect(byLine[8]!.message).toBe("glass: 'psx' is not a glass command.\nSee 'glass --help'.");
    expect(byLine[9]!.message).toMatch(/^Error parsing format: template: /);
  });

  it('says when glass lacks a docker flag or command, as information, not an error', async () => {
    const u = uri('md');
    const text = 'Docker:\n\n```bash\ndocker run --gpus all nginx\ndocker swarm init\ndocker run --rm busybox echo ok\ndocker run -e =x busybox env\ndocker search nginx\n```\n';
    s.open(u, 'markdown', text);
    const d = (await s.diagnostics(u)).diagnostics;
    expect(d).toHaveLength(4);
    expect(d[0]!.message).toBe('glass run lacks this flag (glass would say: glass: unknown flag: --gpus)');
    expect(d[0]!.severity).toBe(3);
    expect(d[1]!.message).toBe("glass has no 'swarm' command yet (glass would say: glass: 'swarm' is not a glass command.)");
    expect(d[3]!.message).toMatch(/^glass leaves out the 'search' command \(glass would say: glass: 'search' is not a glass command: Docker Hub's search API/);
    expect(d[3]!.severity).toBe(3);
    expect(d[2]!.message).toBe('glass would refuse this line: glass: invalid environment variable: =x (use KEY=value)');
    expect(d[2]!.severity).toBe(2);
  });

  it('reads only shell code blocks in Markdown, and only the prompt lines of a console block', async () => {
    const u = uri('md');
    const text = [
      '# Notes',
      'In prose, glass run --nosuch is not a command.',
      '```',
      'glass nosuch (an untagged block: not read)',
      '```',
      '```dockerfile',
      'RUN glass --nosuch',
      '```',
      '```console',
      '$ sudo bin/glass run --nosuch busybox true',
      "glass: unknown flag: --nosuch  (output, not a command: it has a ' quote)",
      '$ glass ps',
      '```',
      '',
    ].join('\n');
    s.open(u, 'markdown', text);
    const d = (await s.diagnostics(u)).diagnostics;
    expect(d.map((x) => [x.range.start.line, x.message.split('\n')[0]])).toEqual([[9, 'glass: unknown flag: --nosuch']]);
  });

  it('stays accurate as a line is typed, and never crashes on half-typed input', async () => {
    const u = uri('sh');
    s.open(u, 'shellscript', 'glass r');
    expect((await s.diagnostics(u, 1)).diagnostics[0]!.message).toBe("glass: 'r' is not a glass command.\nSee 'glass --help'.");
    const steps = ['glass run', 'glass run --rm', 'glass run --rm bus', 'glass run --rm busybox "echo', "glass run -e 'A", 'glass ps --format "{{', 'glass ps --format "{{.ID}}"'];
    const seen: string[][] = [];
    for (const [i, t] of steps.entries()) {
      s.change(u, i + 2, t);
      seen.push((await s.diagnostics(u, i + 2)).diagnostics.map((x) => x.message.split('\n')[0]!));
    }
    expect(seen).toEqual([
      ['glass: "glass run" requires at least 1 argument.'],
      ['glass: "glass run" requires at least 1 argument.'],
      [],
      [],
      ['glass: "glass run" requires at least 1 argument.'],
      ['Error: template: unclosed action in "{{"'],
      [],
    ]);
    // Broken Markdown, binary noise, a huge line: answers, no crash.
    const m = uri('md');
    s.open(m, 'markdown', '```sh\nglass run "unclosed\n~~~\n```\n\0\0 ``` `glass` $( ( ) ) \\\n' + 'x'.repeat(100_000));
    await s.diagnostics(m);
    expect(await hoverText(m, '```sh\nglass', 'glass', 1)).toContain('**glass**');
    expect(s.proc.exitCode).toBeNull();
  });

  it('completes commands and flags from the catalog', async () => {
    const u = uri('sh');
    const text = 'glass r\nglass run --r\nglass run -\ndocker ps --fo\nglass inspect --type \n';
    s.open(u, 'shellscript', text);
    const cmds = await complete(u, { line: 0, character: 7 });
    expect(cmds.map((c) => c.label)).toEqual(['run', 'restart', 'rm', 'rename', 'rmi']);
    expect(cmds[0]!.detail).toBe('Run a command in a new container');
    const flags = await complete(u, { line: 1, character: 13 });
    expect(flags.map((c) => c.label)).toEqual(['--rm', '--read-only', '--root']);
    expect((flags[0]!.documentation as MarkupContent).value).toContain('mount namespaces');
    const shorts = (await complete(u, { line: 2, character: 11 })).map((c) => c.label);
    expect(shorts).toEqual(expect.arrayContaining(['-d', '--detach', '-e', '--env', '-h', '--hostname', '--explain']));
    expect((await complete(u, { line: 3, character: 14 })).map((c) => c.label)).toEqual(['--format']);
    expect((await complete(u, { line: 4, character: 21 })).map((c) => c.label)).toEqual(['container', 'image']);
  });

  it('offers ▶ Run and Explain lenses above each line with a glass command, not docker lines', async () => {
    const u = uri('md');
    const text = '```sh run\nsudo bin/glass run --rm busybox sh -c \'exit 3\'; echo $?\nglass ps -a\ndocker ps\n```\n';
    s.open(u, 'markdown', text);
    const lenses = (await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: u } })) as { range: { start: { line: number } }; command: { title: string; command: string; arguments: [{ command: string; args: string[]; plan: string[] }] } }[];
    expect(lenses.map((l) => [l.range.start.line, l.command.title])).toEqual([
      [1, '▶ Run'],
      [1, 'Explain'],
      [2, '▶ Run'],
      [2, 'Explain'],
    ]);
    expect(lenses[0]!.command.command).toBe('glass.run');
    expect(lenses[0]!.command.arguments[0].command).toBe("glass run --rm busybox sh -c 'exit 3'; echo $?");
    expect(lenses[0]!.command.arguments[0].args).toEqual(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']);
    expect(lenses[0]!.command.arguments[0].plan[0]).toBe('**overlayfs**');
    expect(lenses[2]!.command.arguments[0].command).toBe('glass ps -a');
  });

  it('answers glass/plan: what a command line will do, without running it', async () => {
    const p = (await s.conn.sendRequest('glass/plan', { args: ['run', '-h', 'box', '-e', 'A=1', 'busybox'] })) as string[];
    expect(p.slice(0, 8)).toEqual(['**overlayfs**', '**mount namespace**', '**PID namespace**', '**UTS namespace**', '**IPC namespace**', '**network namespace**', '**cgroups**', '**pivot_root**']);
    expect(p[8]).toMatch(/^\*\*UTS namespace\*\* \(`--hostname`\): The container has its own UTS namespace/);
    expect(p[9]).toMatch(/^\*\*process environment \(execve\)\*\* \(`--env`\)/);
  });
});

describe.skipIf(!existsSync(SERVER) || !isRoot)('live names from a real state root', () => {
  it('completes container names and images that glass has, after rm and in run', async () => {
    const root = testRoot();
    const name = `lsp-${process.pid}`;
    const made = await glass(root, ['create', '--name', name, 'busybox', 'true']);
    expect(made.stderr).toBe('');
    const srv = await startServer({ root, lessonsDir: LESSONS });
    try {
      const u = `file:///tmp/glass-lsp-live-${process.pid}.sh`;
      const text = `glass rm \nglass run --rm bu\nglass logs ${name.slice(0, 4)}\n`;
      srv.open(u, 'shellscript', text);
      const at = async (line: number, character: number) => (await srv.conn.sendRequest('textDocument/completion', { textDocument: { uri: u }, position: { line, character } })) as CompletionItem[];
      const rm = await at(0, 9);
      expect(rm.map((c) => c.label)).toEqual([name]);
      expect(rm[0]!.detail).toMatch(/^Created · busybox · [0-9a-f]{12}$/);
      expect((await at(1, 17)).map((c) => c.label)).toEqual(['busybox']);
      expect((await at(2, 15)).map((c) => c.label)).toEqual([name]);
      // A container made after the server started is there too (the names are read live).
      await glass(root, ['create', '--name', `${name}-2`, 'busybox', 'true']);
      await new Promise((r) => setTimeout(r, 1600));
      expect((await at(0, 9)).map((c) => c.label).sort()).toEqual([name, `${name}-2`]);
    } finally {
      await srv.close();
    }
  });
});
