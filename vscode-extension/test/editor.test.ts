import { execa, type ResultPromise } from 'execa';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, freePort, isRoot, REPO, testRoot, waitFor } from '../../test/helpers.js';

/**
 * The extension in a real VS Code: code-server (tools/code-server, the VS
 * Code workbench served on 127.0.0.1) with the built .vsix installed, driven
 * through Debian's Chromium by playwright-core, as a learner would use it:
 * open lesson 1, hover a flag and read the hover, click ▶ Run above a command
 * and see its output in the terminal, click Explain and see the kernel steps
 * in the panel, then open the lesson from the Lessons view, complete a step
 * and see ✓ (and the progress file glass learn reads).
 * GLASS_UPDATE_SCREENSHOTS=1 copies the final screenshot to
 * docs/vscode-extension.png, the picture the README shows.
 *
 * Everything it starts is ended by its PID (code-server's process group, the
 * browser), and everything it writes is in its own temporary folder (the
 * editor's data, the extensions, the learner's progress, TMPDIR) or state root.
 */
const CODE_SERVER = join(REPO, 'tools/code-server/node_modules/.bin/code-server');
const VSIX = join(REPO, 'vscode-extension/dist/glass-vscode.vsix');
const LESSON = join(REPO, 'lessons/01-first-container.md');
const RUN_MS = 300_000;
const STEP_MS = 60_000;

/** The 1-based line of a lesson line that starts with `text`. */
function lineOf(text: string): number {
  const i = readFileSync(LESSON, 'utf8').split('\n').findIndex((l) => l.startsWith(text));
  if (i < 0) throw new Error(`lesson 1 has no line starting ${text}`);
  return i + 1;
}

/** The webview frame (the panel's inner document) that has `selector`. */
async function webview(page: Page, selector: string): Promise<Frame> {
  return waitFor(
    async () => {
      for (const f of page.frames()) if ((await f.locator(selector).count().catch(() => 0)) > 0) return f;
      return undefined;
    },
    (f) => f !== undefined,
    { what: `a webview with ${selector}`, timeoutMs: STEP_MS, intervalMs: 250 },
  ) as Promise<Frame>;
}

describe.skipIf(!isRoot || !existsSync(CHROMIUM) || !existsSync(CODE_SERVER) || !existsSync(VSIX))('the extension in a real editor (code-server + Chromium)', () => {
  it('installs from the .vsix; lesson 1: hover, ▶ Run in the terminal, Explain in the panel, a step completed with ✓', async () => {
    const root = testRoot();
    const work = mkdtempSync(join(tmpdir(), 'glass-vscode-e2e-'));
    const data = join(work, 'data');
    const extensions = join(work, 'extensions');
    const state = join(work, 'state');
    const tmp = join(work, 'tmp');
    for (const d of [join(data, 'User'), extensions, state, tmp]) mkdirSync(d, { recursive: true });
    writeFileSync(
      join(data, 'User', 'settings.json'),
      JSON.stringify({
        // The editor runs as root here, so glass is run directly; a learner's default is "sudo -n glass".
        'glass.command': join(REPO, 'bin/glass'),
        'glass.root': root,
        // xterm's DOM renderer, so the terminal's text can be read.
        'terminal.integrated.gpuAcceleration': 'off',
        'workbench.startupEditor': 'none',
        'security.workspace.trust.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.ignoreRecommendations': true,
        'update.mode': 'none',
        'git.enabled': false,
        'editor.hover.delay': 200,
      }),
    );
    const env = { ...process.env, XDG_STATE_HOME: state, XDG_CONFIG_HOME: join(work, 'config'), XDG_DATA_HOME: join(work, 'share'), TMPDIR: tmp, GLASS_ROOT: root };
    const common = ['--user-data-dir', data, '--extensions-dir', extensions, '--config', join(work, 'config.yaml')];

    // Install the .vsix as the README says.
    const install = await execa(CODE_SERVER, [...common, '--install-extension', VSIX], { env, reject: false, timeout: 120_000, stdin: 'ignore' });
    expect(install.stdout).toContain("Extension 'glass-vscode.vsix' was successfully installed.");

    const port = await freePort();
    // detached: its own process group, so the test ends exactly what it started.
    const server = execa(CODE_SERVER, [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-workspace-trust', '--disable-telemetry', '--disable-update-check', REPO], {
      env,
      detached: true,
      reject: false,
      stdin: 'ignore',
    }) as ResultPromise;
    let log = '';
    server.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    let browser: Browser | undefined;
    const shot = join(work, 'vscode-extension.png');
    try {
      await waitFor(() => log, (l) => {
        if (server.exitCode !== null) throw new Error(`code-server ended: ${log}`);
        return l.includes('HTTP server listening');
      }, { what: 'code-server to listen', timeoutMs: STEP_MS });

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.setDefaultTimeout(STEP_MS);
      await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(REPO)}`);
      // The glass activity (its Lessons view) is there once the extension is installed and loaded.
      await page.locator('.activitybar a[aria-label="glass"]').waitFor();

      // Open lesson 1 (Quick Open): the lenses appear above its commands.
      await page.keyboard.press('Control+P');
      await page.keyboard.type('01-first-container.md');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: '01-first-container.md' }).first().waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.codelens-decoration a', { hasText: '▶ Run' }).first().waitFor();
      const goTo = async (line: number, col: number) => {
        await page.keyboard.press('Control+G');
        await page.keyboard.type(`${line}:${col}`);
        await page.keyboard.press('Enter');
      };
      await page.locator('.monaco-editor .view-lines').first().click();

      // Hover a flag: --rm in step 4's command.
      const briefLine = lineOf('glass run --rm --name l1-brief');
      await goTo(briefLine, 'glass run -'.length + 1);
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      const hover = page.locator('.monaco-hover-content', { hasText: 'Automatically remove the container when it exits' });
      await hover.waitFor();
      const hoverText = await hover.innerText();
      expect(hoverText).toContain('--rm (glass run): Automatically remove the container when it exits');
      expect(hoverText).toContain('Kernel: mount namespaces');
      expect(hoverText).toContain('Lesson 1 · Your first container');
      await page.keyboard.press('Escape');

      /** The lens with `title` just above the editor line that shows `text`. */
      const lensAbove = async (text: string, title: string) => {
        const line = page.locator('.view-line', { hasText: text }).first();
        await line.waitFor();
        const lineBox = (await line.boundingBox())!;
        const lenses = page.locator('.codelens-decoration a', { hasText: title });
        let best: { y: number; i: number } | undefined;
        for (let i = 0; i < (await lenses.count()); i++) {
          const b = await lenses.nth(i).boundingBox();
          if (b && b.y < lineBox.y && (!best || b.y > best.y)) best = { y: b.y, i };
        }
        if (!best) throw new Error(`no ${title} lens above ${text}`);
        return lenses.nth(best.i);
      };

      // ▶ Run above step 1's command: it runs in the terminal, and its output is there.
      await goTo(lineOf('glass run --name l1-hello'), 1);
      await (await lensAbove('glass run --name l1-hello busybox', '▶ Run')).click();
      await page.waitForFunction(() => [...document.querySelectorAll('.xterm-rows > div')].some((row) => row.textContent?.trim() === 'hello from a container'), undefined, { timeout: STEP_MS });

      // Explain above step 4's command: the panel shows what will happen, then the kernel steps as they came, and the output.
      await goTo(briefLine, 1);
      await (await lensAbove('glass run --rm --name l1-brief', 'Explain')).click();
      const explain = await webview(page, '#steps');
      await explain.locator('#exit p').waitFor();
      expect(await explain.locator('#exit').innerText()).toBe('exit code 0');
      expect(await explain.locator('#output').innerText()).toContain('here and gone');
      const titles = await explain.locator('#steps li .title').allInnerTexts();
      expect(titles.length).toBeGreaterThan(10);
      expect(titles).toEqual(expect.arrayContaining(['▸ [shim] Mount the overlay root filesystem', '▸ [shim] Switch the root filesystem with pivot_root']));
      expect(await explain.locator('#steps li pre.cmd').first().innerText()).toMatch(/^\$ /);
      expect(await explain.locator('details').first().innerText()).toContain('What will happen');

      // The Lessons view: lesson 1, opened step by step; step 1's check passes (l1-hello ran above), step 2 is run from the panel.
      await page.locator('.activitybar a[aria-label="glass"]').click();
      await page.locator('.monaco-list-row', { hasText: 'Your first container' }).first().click();
      const lesson = await webview(page, 'section.lesson-step');
      await lesson.locator('button[data-check="1"]').click();
      await lesson.locator('#result-1 .check').waitFor();
      expect(await lesson.locator('#result-1 .check').innerText()).toBe('✓ Done');
      await lesson.locator('button[data-run="2"]').click();
      await lesson.locator('#result-2 .check').waitFor();
      expect(await lesson.locator('#result-2 .check').innerText()).toBe('✓ Done');
      expect(await lesson.locator('#result-2 pre.output').innerText()).toMatch(/Exited \(0\).*l1-hello/);
      expect(await lesson.locator('#step-2 .status').innerText()).toBe('✓');
      // The same progress glass learn keeps, and the view shows it.
      const progress = JSON.parse(readFileSync(join(state, 'glass', 'learn.json'), 'utf8')) as { lessons: Record<string, { step: number; done: boolean }> };
      expect(progress.lessons['01-first-container']).toMatchObject({ step: 3, done: false });
      await page.locator('.monaco-list-row', { hasText: 'step 3 of 6' }).first().waitFor();

      await page.screenshot({ path: shot });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      if (process.env.GLASS_UPDATE_SCREENSHOTS) copyFileSync(shot, join(REPO, 'docs', 'vscode-extension.png'));

      // Closing the lesson runs its clean-up: the containers its commands made are removed.
      await page.keyboard.press('Control+Shift+P');
      await page.keyboard.type('View: Close All Editors');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Close All Editors' }).first().waitFor();
      await page.keyboard.press('Enter');
      await waitFor(
        () => execa(join(REPO, 'bin/glass'), ['--root', root, 'ps', '-a', '--filter', 'label=glass.lesson=01-first-container', '-q'], { reject: false }),
        (r) => r.exitCode === 0 && r.stdout.trim() === '',
        { what: "lesson 1's containers to be removed", timeoutMs: STEP_MS },
      );
    } finally {
      await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 10_000))]);
      // SIGTERM to code-server's group (the server, its extension host, the language server, the terminal's shell), then SIGKILL what is left.
      for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
        try {
          process.kill(-server.pid!, sig);
        } catch {
          break; // The group is gone.
        }
        await Promise.race([server, new Promise((r) => setTimeout(r, 5000))]);
      }
      await server;
      rmSync(work, { recursive: true, force: true });
    }
  }, RUN_MS);
});
