import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerIds, glass, isRoot, REPO, testRoot } from '../helpers.js';
import { isComing, loadLessons } from '../../runtime/learn/lessons.js';

const LESSONS = join(REPO, 'lessons');
const lessons = loadLessons(LESSONS);
const shipped = lessons.filter((l) => !isComing(l));
/** A lesson runs many real containers: minutes on a slow VM, seconds here. */
const LESSON_MS = 600_000;

/** Progress of these tests goes to a directory of their own, not the user's. */
function stateHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'glass-learn-state-'));
  return dir;
}

describe.skipIf(!isRoot)('glass learn: what a learner sees when something is wrong', () => {
  it('lists the lessons with progress and the coming ones', async () => {
    const root = testRoot();
    const xdg = stateHome();
    try {
      mkdirSync(join(xdg, 'glass'));
      writeFileSync(join(xdg, 'glass', 'learn.json'), JSON.stringify({ version: 1, lessons: { [shipped[0].id]: { step: 2, done: false, updated: '' }, [shipped[1].id]: { step: 3, done: true, updated: '' } } }));
      const r = await glass(root, ['learn'], { env: { XDG_STATE_HOME: xdg } });
      expect(r).toMatchObject({ exitCode: 0, stderr: '' });
      const lines = r.stdout.split('\n');
      expect(lines[0]).toMatch(/^\s+# LESSON\s+TIME\s+PROGRESS$/);
      expect(lines.find((l) => l.includes(shipped[0].title))).toMatch(new RegExp(`in progress: step 2 of ${shipped[0].steps.length}$`));
      expect(lines.find((l) => l.includes(shipped[1].title))).toMatch(/done$/);
      expect(lines.find((l) => l.includes(shipped[2].title))).toMatch(/not started$/);
      for (const l of lessons.filter(isComing)) expect(lines.find((x) => x.includes(l.title))).toMatch(/coming \(needs [a-z-]+\)$/);
    } finally {
      rmSync(xdg, { recursive: true, force: true });
    }
  });

  it('an unknown lesson, a coming one and a missing terminal each get one clear line and exit 1', async () => {
    const root = testRoot();
    expect(await glass(root, ['learn', '42'])).toEqual({ exitCode: 1, stdout: '', stderr: "Error: no lesson '42': 'glass learn' lists them\n" });
    expect(await glass(root, ['learn', '--auto', 'nope'])).toMatchObject({ exitCode: 1, stderr: "Error: no lesson 'nope': 'glass learn' lists them\n" });
    // Every runtime feature has landed now, so no shipped lesson is coming (the rule itself: test/unit/learn-parse).
    const coming = lessons.find(isComing);
    if (coming) {
      const r = await glass(root, ['learn', String(coming.number)]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^Error: lesson ${coming.number} \\(${coming.title}\\) is coming: it needs ${coming.needs[0]} \\(.+\\), which glass does not have yet\\n$`));
    }
    // stdin is not a terminal here (the helper gives the CLI none).
    const notty = await glass(root, ['learn', String(shipped[0].number)]);
    expect(notty).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: `Error: 'glass learn ${shipped[0].number}' is interactive and needs a terminal: run it in one, or use 'glass learn --auto ${shipped[0].number}' to run every step unattended\n`,
    });
  });

  it('a malformed lesson names its file and line; a missing lessons folder says so', async () => {
    const root = testRoot();
    const dir = mkdtempSync(join(tmpdir(), 'glass-lessons-'));
    try {
      writeFileSync(join(dir, '01-bad.md'), '---\ntitle: Bad\nminutes: 5\nteaches: [run]\nneeds: [containers]\n---\n\n# Bad\n\n## A step\n\n```sh run\nglass run --rm busybox true\n```\n');
      const r = await glass(root, ['learn', '--lessons', dir]);
      expect(r).toEqual({ exitCode: 1, stdout: '', stderr: `Error: bad lesson: ${dir}/01-bad.md:12: step 1 ('A step') suggests a command but has no \`\`\`sh check block to tell when it is done\n` });
      const gone = await glass(root, ['learn', '--lessons', join(dir, 'nowhere')]);
      expect(gone).toEqual({ exitCode: 1, stdout: '', stderr: `Error: cannot read the lessons folder ${join(dir, 'nowhere')}: no such directory (--lessons takes a folder of NN-slug.md lesson files)\n` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--auto reports a check that cannot fail, and a step whose check fails after its solve, with file and line', async () => {
    const root = testRoot();
    const dir = mkdtempSync(join(tmpdir(), 'glass-lessons-'));
    try {
      const front = '---\ntitle: Weak\nminutes: 5\nteaches: [run]\nneeds: [containers]\n---\n\n# Weak\n\n';
      const step = (title: string, run: string, check: string) => `## ${title}\n\n\`\`\`sh run\n${run}\n\`\`\`\n\n\`\`\`sh check\n${check}\n\`\`\`\n\n> **Hint:** try.\n\n`;
      writeFileSync(join(dir, '01-weak.md'), front + step('Always passes', 'glass run --rm busybox true', 'true') + step('Never reached', 'true', 'exit_code_is 0'));
      writeFileSync(join(dir, '02-wrong.md'), front.replace('Weak', 'Wrong') + step('Wrong output', 'glass run --name l-wrong busybox echo hi', "output_has 'bye'"));
      const r = await glass(root, ['learn', '--auto', '--lessons', dir], { timeout: LESSON_MS });
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain('✗ 1. Always passes: its check passes before the step is done, so it cannot tell whether a learner did it');
      expect(r.stdout).toContain(`${dir}/01-weak.md:10`);
      expect(r.stdout).toContain('- 2. Never reached: not run: an earlier step failed');
      expect(r.stdout).toContain('✗ 1. Wrong output: its check fails after its solve');
      expect(r.stdout).toMatch(/solve exited 0: hi/);
      expect(r.stdout).toContain('0 passed, 2 failed, 1 not run\n');
      // The failed lesson still removed its container (it carries the lesson's label).
      expect(containerIds(root)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, LESSON_MS);

  it('commands a lesson runs label their containers with the lesson, and use its state root', async () => {
    const root = testRoot();
    const dir = mkdtempSync(join(tmpdir(), 'glass-lessons-'));
    try {
      writeFileSync(
        join(dir, '03-label.md'),
        '---\ntitle: Label\nminutes: 5\nteaches: [run]\nneeds: [containers]\n---\n\n# Label\n\n## Keep one\n\n```sh run\nglass run -d --name l-kept busybox sleep 600\n```\n\n```sh check\n[ "$(status_of l-kept)" = running ]\n[ "$(lesson_containers | wc -l)" = 1 ]\n[ "$(glass inspect -f \'{{index .Config.Labels "glass.lesson"}}\' l-kept)" = 03-label ]\n[ "$GLASS_ROOT" = ' + root + ' ]\n```\n\n> **Hint:** run it.\n',
      );
      const r = await glass(root, ['learn', '--auto', '--lessons', dir, '3'], { timeout: LESSON_MS });
      expect(r.stdout).toContain('1 passed, 0 failed');
      expect(r.exitCode).toBe(0);
      expect(containerIds(root)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, LESSON_MS);
});
