import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerIds, glass, isRoot, REPO, useRoot } from '../helpers.js';

/**
 * The notebook library in a live tslab kernel, driven cell by cell as Jupyter
 * drives it (test/notebook-driver.py): a kernel killed mid-run, a kernel shut
 * down, cells with bad input, a kernel without root.
 */
const NOTEBOOKS = join(REPO, 'notebooks');
const JUPYTER_PATH = join(REPO, '.jupyter', 'share', 'jupyter');
const DRIVER = join(REPO, 'test', 'notebook-driver.py');
const NB_MS = 240_000;
const IMPORT = 'import * as glass from "../dist/runtime/notebook/index.js";\n';

/** Run cells in a fresh tslab kernel (test/notebook-driver.py), ending it by shutdown or SIGKILL. */
async function kernel(cells: string[], opts: { cwd: string; env: Record<string, string>; end?: 'shutdown' | 'kill'; uid?: number }) {
  const input = JSON.stringify({ cells, cwd: opts.cwd, end: opts.end ?? 'shutdown' });
  const cmd = opts.uid === undefined ? ['/usr/bin/python3', DRIVER] : ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', '/usr/bin/python3', DRIVER];
  const r = await execa(cmd[0]!, cmd.slice(1), { input, env: { JUPYTER_PATH, ...opts.env }, reject: false, timeout: NB_MS });
  if (r.exitCode !== 0) throw new Error(`notebook driver exited ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: string; stdout: string; stderr: string; data: Record<string, string>[] }[];
}

describe.skipIf(!isRoot)('notebooks: a killed kernel, bad input, no root', () => {
  const root = useRoot();

  it('a kernel killed mid-run leaves its containers; the next run of the notebook removes them, and glass.cleanup() removes its own', async () => {
    const env = { GLASS_ROOT: root };
    const first = await kernel(
      [IMPORT + 'await glass.notebook("interrupted");', 'await glass.runDetached({ name: "nb-killed-1", command: ["sleep", "600"] });\nawait glass.runDetached({ name: "nb-killed-2", command: ["sleep", "600"] });\nconsole.log("started")'],
      { cwd: NOTEBOOKS, env, end: 'kill' },
    );
    expect(first.map((c) => c.status)).toEqual(['ok', 'ok']);
    // SIGKILL: no exit handler ran. The containers still run, labelled as the notebook's.
    const ps = await glass(root, ['ps', '--filter', 'label=glass.notebook=interrupted', '--format', '{{.Names}} {{.State}}']);
    expect(ps.stdout.split('\n').filter(Boolean).sort()).toEqual(['nb-killed-1 running', 'nb-killed-2 running']);
    const next = await kernel(
      [
        IMPORT + 'const nb = await glass.notebook("interrupted");\nconsole.log(`removed ${nb.leftovers} left by an earlier run`)',
        'await glass.runDetached({ name: "nb-killed-3", command: ["sleep", "600"] });\nconsole.log(await glass.cleanup())',
      ],
      { cwd: NOTEBOOKS, env },
    );
    expect(next.map((c) => [c.status, c.stdout])).toEqual([
      ['ok', 'removed 2 left by an earlier run\n'],
      ['ok', '1\n'],
    ]);
    expect(containerIds(root)).toEqual([]);
  }, NB_MS);

  it("bad input fails the cell with glass's one line, not a stack trace; shutting the kernel down removes what it left running", async () => {
    const r = await kernel(
      [
        IMPORT + 'await glass.notebook("bad-input");\nawait glass.runDetached({ name: "nb-left-running", command: ["sleep", "600"] });',
        'await glass.run({ image: "no-such-image" });',
        'await glass.sh`run --no-such-flag busybox true`;',
        'await glass.notebook("bad-input").then((nb) => nb.engine.containers.start("no-such-container"));',
        'await glass.run({ workdir: "relative", command: ["true"] });',
      ],
      { cwd: NOTEBOOKS, env: { GLASS_ROOT: root } },
    );
    expect(r.map((c) => c.status)).toEqual(['ok', 'error', 'error', 'error', 'error']);
    expect(r.slice(1).map((c) => c.stderr)).toEqual([
      "glass: No such image: no-such-image. Unable to find image 'no-such-image:latest' locally: pull it first ('glass pull no-such-image:latest'), or import one ('glass import')\n",
      'glass: unknown flag: --no-such-flag\n',
      'glass: No such container: no-such-container\n',
      expect.stringMatching(/^glass: [^\n]*relative[^\n]*\n$/),
    ]);
    // The kernel was shut down: its exit handler removed nb-left-running.
    expect(containerIds(root)).toEqual([]);
  }, NB_MS);

  it("as non-root, the first cell gives glass's not-root message", async (ctx) => {
    // The kernel as nobody needs to read this checkout; a clone under a private home cannot be read.
    const readable = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', join(REPO, 'dist', 'runtime', 'notebook', 'index.js'), '-a', '-x', join(REPO, 'tools', 'tslab', 'node_modules', '.bin', 'tslab')], { reject: false });
    if (readable.exitCode !== 0) ctx.skip(`user nobody cannot read ${REPO}`);
    // The kernel as nobody: Jupyter's runtime files go to a folder nobody may write.
    const runtime = mkdtempSync(join(tmpdir(), 'glass-nb-runtime-'));
    chmodSync(runtime, 0o777);
    try {
      const r = await kernel([IMPORT + 'await glass.notebook("01-first-container");'], {
        cwd: NOTEBOOKS,
        env: { GLASS_ROOT: root, JUPYTER_RUNTIME_DIR: runtime, HOME: runtime },
        uid: 65534,
      });
      expect(r.map((c) => [c.status, c.stderr])).toEqual([['error', 'glass: glass needs root to create namespaces, cgroups and mounts: run it with sudo\n']]);
    } finally {
      rmSync(runtime, { recursive: true, force: true });
    }
  }, NB_MS);
});
