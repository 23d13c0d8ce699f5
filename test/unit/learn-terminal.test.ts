import { describe, expect, it } from 'vitest';
import chalk from 'chalk';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderMarkdown, visibleLength, wrap } from '../../runtime/cli/markdown.js';
import { underTheHood } from '../../runtime/cli/learn-terminal.js';
import { shorten } from '../../runtime/learn/trace.js';
import { ProgressStore, progressFile } from '../../runtime/learn/progress.js';
import type { Step } from '../../runtime/engine/index.js';

describe('markdown for the terminal', () => {
  it('renders headings, emphasis, code, lists, quotes, code blocks and tables as plain text without colour', () => {
    const level = chalk.level;
    chalk.level = 0;
    try {
      const text = renderMarkdown(
        '# Title\n\nSome **bold** and `code` and a [link](https://example.org).\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n```sh\nls -l\n```\n\n| a | b |\n|---|---|\n| 1 | 22 |\n\n<details><summary>x</summary></details>\n',
        80,
      );
      expect(text).toBe(
        ['Title', 'Some bold and code and a link (https://example.org).', '• one\n• two', '1. first\n2. second', '│ quoted', '    ls -l', 'a   b\n1   22'].join('\n\n'),
      );
    } finally {
      chalk.level = level;
    }
  });

  it('wraps to the width, counting only visible characters', () => {
    const coloured = `\x1b[1mbold\x1b[22m`;
    expect(visibleLength(coloured)).toBe(4);
    expect(wrap(`aaa bbb ${coloured} ccc`, 8)).toBe(`aaa bbb\n${coloured} ccc`);
    expect(wrap('one two three', 9, '  ')).toBe('  one two\n  three');
  });
});

describe('under the hood', () => {
  const root = '/var/lib/glass-x';
  const id = 'a'.repeat(64);
  const step = (over: Partial<Step>): Step => ({ title: 't', why: 'w', command: 'c', by: 'runtime', at: new Date(), phase: 'done', ...over });

  it('abbreviates the state root and 64-character IDs', () => {
    expect(shorten(`mount --bind ${root}/containers/${id}/hosts x`, root)).toBe(`mount --bind <root>/containers/${'a'.repeat(12)}…/hosts x`);
  });

  it('lists done and failed steps, not started marks, and says when there were none', () => {
    const level = chalk.level;
    chalk.level = 0;
    try {
      const r = { exitCode: 0, output: '', timedOut: false };
      const text = underTheHood(
        { ...r, steps: [step({ title: 'Mount it', phase: 'started' }), step({ title: 'Mount it', command: `mount ${root}/x` }), step({ title: 'Pivot', by: 'shim', phase: 'failed', error: 'EPERM' })] },
        root,
        false,
        80,
      );
      expect(text.split('\n')).toEqual(['Under the hood — what glass asked the kernel to do', '  1 Mount it', '      $ mount <root>/x', '  ✗ Pivot [shim]', '      $ c', '      EPERM']);
      expect(underTheHood({ ...r, steps: [] }, root, false, 80)).toMatch(/glass took no kernel steps/);
    } finally {
      chalk.level = level;
    }
  });
});

describe('progress', () => {
  it('lives in $XDG_STATE_HOME/glass, else ~/.local/state/glass', () => {
    expect(progressFile({ XDG_STATE_HOME: '/x/state', HOME: '/home/a' })).toBe('/x/state/glass/learn.json');
    if (process.getuid?.() !== 0) expect(progressFile({ HOME: '/home/a' })).toBe('/home/a/.local/state/glass/learn.json');
  });

  it("under sudo, is the invoking user's and is given back to them", () => {
    if (process.getuid?.() !== 0) return;
    const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
    const user = passwd.find((f) => Number(f[2]) > 0 && f[5] && f[0] !== 'nobody') ?? passwd.find((f) => f[0] === 'nobody');
    if (!user) return;
    expect(progressFile({ SUDO_USER: user[0], HOME: '/root' })).toBe(join(user[5], '.local/state/glass/learn.json'));
    // Written for that user: owned by their uid and gid.
    const dir = mkdtempSync(join(tmpdir(), 'glass-progress-'));
    try {
      const env = { SUDO_USER: user[0], XDG_STATE_HOME: dir };
      const store = new ProgressStore(progressFile(env), env);
      store.set('01-x', 2, false);
      const st = statSync(join(dir, 'glass', 'learn.json'));
      expect([st.uid, st.gid]).toEqual([Number(user[2]), Number(user[3])]);
      expect(statSync(join(dir, 'glass')).uid).toBe(Number(user[2]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records where each lesson stands; a corrupt file counts as none and is kept aside', () => {
    const dir = mkdtempSync(join(tmpdir(), 'glass-progress-'));
    try {
      const file = join(dir, 'glass', 'learn.json');
      const store = new ProgressStore(file, {});
      expect(store.get('01-x')).toBeUndefined();
      store.set('01-x', 3, false);
      store.set('02-y', 4, true);
      expect(store.get('01-x')).toMatchObject({ step: 3, done: false });
      expect(store.get('02-y')).toMatchObject({ step: 4, done: true });
      store.reset('01-x');
      expect(store.get('01-x')).toBeUndefined();
      writeFileSync(file, '{"lessons": {"01-x": {"st');
      expect(store.read().lessons).toEqual({});
      expect(existsSync(file + '.corrupt')).toBe(true);
      store.set('01-x', 1, false);
      expect(store.get('01-x')?.step).toBe(1);
      mkdirSync(join(dir, 'other'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
