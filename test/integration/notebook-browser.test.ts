import { execa, type ResultPromise } from 'execa';
import { chromium, type Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, freePort, containerIds, isRoot, REPO, testRoot, waitFor } from '../helpers.js';

/**
 * Notebook 2 as a new user meets it: the README's command (`sudo npm run
 * notebooks`) starts Jupyter; a real browser — Debian's Chromium, headless,
 * driven by playwright-core — opens the notebook, runs every cell from the
 * Cell menu, and a screenshot is taken of the side-by-side table and the
 * process-tree picture. GLASS_UPDATE_SCREENSHOTS=1 copies it to
 * docs/notebook-2.png, the picture the README shows.
 */
const RUN_MS = 240_000;

describe.skipIf(!isRoot || !existsSync(CHROMIUM))('notebook 2 in a real browser, started with the README\'s command', () => {
  it('npm run notebooks serves it on 127.0.0.1 with a token; Run All shows the table and the picture', async () => {
    const root = testRoot();
    const port = await freePort();
    const shots = mkdtempSync(join(tmpdir(), 'glass-notebook-shot-'));
    // detached: its own process group, so the test can end exactly what it started (npm, the script, Jupyter).
    const server = execa('npm', ['run', 'notebooks'], { cwd: REPO, env: { GLASS_NOTEBOOK_PORT: String(port), GLASS_ROOT: root }, detached: true, reject: false, stdin: 'ignore' }) as ResultPromise;
    let out = '';
    server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    let browser: Browser | undefined;
    try {
      const url = await waitFor(
        () => /glass notebooks: (http:\/\/127\.0\.0\.1:(\d+)\/tree\?token=([0-9a-f]+))/.exec(out),
        (m) => {
          if (server.exitCode !== null) throw new Error(`npm run notebooks ended: ${out}`);
          return m !== null;
        },
        { what: 'npm run notebooks to print its URL', timeoutMs: 60_000 },
      );
      expect(url![2]).toBe(String(port));
      const token = url![3]!;
      await waitFor(() => fetch(`http://127.0.0.1:${port}/api/status?token=${token}`).then((r) => r.status), (s) => s === 200, { what: 'Jupyter to answer', timeoutMs: 60_000 });
      // Loopback only, and nothing without the token.
      expect((await fetch(`http://127.0.0.1:${port}/api/contents`)).status).toBe(403);
      expect(readFileSync(`/proc/${server.pid}/cmdline`, 'utf8')).toContain('npm');

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`http://127.0.0.1:${port}/notebooks/02-namespaces.ipynb?token=${token}`);
      await page.waitForFunction(() => (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected?: () => boolean } } } }).Jupyter?.notebook?.kernel?.is_connected?.() === true, undefined, { timeout: 60_000 });
      await page.click('#celllink');
      await page.click('#run_all_cells > a');
      await page.waitForFunction(
        () => {
          const nb = (window as unknown as { Jupyter: { notebook: { get_cells: () => { cell_type: string; input_prompt_number?: number | string | null }[] } } }).Jupyter.notebook;
          return nb.get_cells().every((c) => c.cell_type !== 'code' || typeof c.input_prompt_number === 'number');
        },
        undefined,
        { timeout: 180_000, polling: 250 },
      );
      expect(await page.locator('.output_stderr').count()).toBe(0);
      const table = page.locator('table.glass-table', { hasText: 'side by side' });
      const picture = page.locator('.output_svg svg', { hasText: 'glass-shim (the monitor)' });
      await expect.poll(() => table.count()).toBe(1);
      await expect.poll(() => picture.count()).toBe(1);
      expect(await table.innerText()).toContain('net namespace inode');
      expect(await picture.textContent()).toContain('PID 1 inside');
      // One picture of both: from the table's cell to the bottom of the process tree. Jupyter scrolls
      // its own #site element, not the window: bring the table's cell to the top of a tall viewport.
      await page.setViewportSize({ width: 1200, height: 1700 });
      await page.locator('.cell', { has: table }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
      const a = (await page.locator('.cell', { has: table }).boundingBox())!;
      const b = (await picture.boundingBox())!;
      expect(b.y + b.height).toBeLessThan(1700);
      const clip = { x: Math.max(0, a.x - 8), y: Math.max(0, a.y - 2), width: Math.max(a.width, b.x - a.x + b.width) + 16, height: b.y + b.height - a.y + 10 };
      const shot = join(shots, 'notebook-2.png');
      await page.screenshot({ path: shot, clip });
      const png = readFileSync(shot);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBeGreaterThan(600); // width
      expect(png.readUInt32BE(20)).toBeGreaterThan(500); // height: the table and the tree
      if (process.env.GLASS_UPDATE_SCREENSHOTS) copyFileSync(shot, join(REPO, 'docs', 'notebook-2.png'));
    } finally {
      await browser?.close();
      // SIGTERM to the group: Jupyter shuts its kernel down, whose exit removes the notebook's containers.
      try {
        process.kill(-server.pid!, 'SIGTERM');
      } catch { /* gone */ }
      await server;
      rmSync(shots, { recursive: true, force: true });
    }
    expect(containerIds(root)).toEqual([]);
  }, RUN_MS);
});
