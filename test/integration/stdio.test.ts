import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { background, eventsOf, GLASS, glass, glassInBackground, isRoot, removeContainersAfterEach, useRoot, waitFor, waitForLog } from '../helpers.js';
import { TEST_ROOT_PREFIX } from '../leaks.js';

/** A terminal session that has not ended by then hangs (vitest's testTimeout is 60 s). */
const SESSION_MS = 55_000;

/**
 * Interactive sessions go through a real pseudo-terminal: util-linux
 * `script` runs glass on a pty, as a learner's terminal would.
 */
function inTerminal(root: string, args: string[], input: string) {
  const cmd = [GLASS, '--root', root, '--no-color', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // `script` has no terminal of its own to copy a size from: give its pty one. The time limit is
  // only for a session that hangs: just under the test's own, whatever the machine's speed.
  return execa('script', ['-qefc', `stty rows 40 cols 100; ${cmd}`, '/dev/null'], { input, reject: false, timeout: SESSION_MS });
}

/** The terminal (/dev/pts/N) the `glass run --name NAME` of this root has as its stdin, once it runs. */
function terminalOf(root: string, name: string): string | undefined {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const at = (flag: string, value: string) => argv.some((a, i) => a === flag && argv[i + 1] === value);
      if (!argv.some((a) => a.endsWith('glass.cjs')) || !at('--root', root) || !at('--name', name)) continue;
      const tty = readlinkSync(`/proc/${pid}/fd/0`);
      if (tty.startsWith('/dev/pts/')) return tty;
    } catch { /* gone, or not ours to read */ }
  }
  return undefined;
}

/**
 * Like inTerminal, but types each group of keys only when the session is
 * ready for it, as a person would: the first once glass has put its terminal
 * in raw mode (before that, the tty's flow control would swallow Ctrl-Q),
 * each next one once the output shows what it waits for.
 */
async function typeLater(root: string, name: string, args: string[], keys: string, then?: { after: RegExp; keys: string }) {
  const cmd = ['stty rows 40 cols 100;', GLASS, '--root', root, '--no-color', 'run', '--name', name, ...args].join(' ');
  const session = background('script', ['-qefc', cmd, '/dev/null'], { stdin: 'pipe' });
  try {
    const tty = await waitFor(() => terminalOf(root, name), Boolean, { what: `glass run --name ${name} to run on a terminal` });
    // Raw: no line discipline (-icanon) and, glass's last step, no output processing (-opost).
    await waitFor(() => execFileSync('stty', ['-a', '-F', tty!], { encoding: 'utf8' }), (s) => /(^|\s)-icanon(\s|;|$)/.test(s) && /(^|\s)-opost(\s|;|$)/.test(s), {
      what: `glass to put ${tty} in raw mode`,
    });
    session.proc.stdin!.write(keys);
    if (then) {
      await session.waitForOutput(then.after);
      session.proc.stdin!.write(then.keys);
    }
    return await session.proc;
  } finally {
    session.proc.stdin!.end();
  }
}

describe.skipIf(!isRoot)('stdio', () => {
  const root = useRoot();
  removeContainersAfterEach(root); // what a failing test made: later tests here expect an empty ps -a

  it('run -it gives an interactive shell on a tty; exit 3 returns 3', async () => {
    const r = await inTerminal(root, ['run', '-it', '--rm', 'busybox', 'sh'], 'tty; echo "cols=$(stty size)"; echo $((6*7)); exit 3\n');
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toContain('/dev/pts/0');
    expect(r.stdout).toContain('42');
    expect(r.stdout).toContain('cols=40 100'); // the window size reached the container's tty
  });

  it("run -it puts glass's terminal in raw mode: Docker's \\r\\n line ends, and the terminal given back as it was", async () => {
    const dir = mkdtempSync(`${TEST_ROOT_PREFIX}tty-`);
    try {
      const cmd = [GLASS, '--root', root, '--no-color', 'run', '-it', '--rm', 'busybox', 'sh', '-c', 'echo a; echo b'].map((a) => `'${a}'`).join(' ');
      const r = await execa('script', ['-qec', `stty -g > ${dir}/before; ${cmd}; echo "glass=$?"; stty -g > ${dir}/after`, '/dev/null'], { reject: false, timeout: SESSION_MS, stripFinalNewline: false });
      expect(r.stdout).toContain('a\r\nb\r\n');
      expect(r.stdout).not.toContain('\r\r\n');
      expect(r.stdout).toContain('glass=0');
      expect(readFileSync(`${dir}/after`, 'utf8')).toBe(readFileSync(`${dir}/before`, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a glass killed by SIGTERM in a raw session gives the terminal back first', async () => {
    const dir = mkdtempSync(`${TEST_ROOT_PREFIX}tty-`);
    try {
      // In a non-interactive sh a background job gets /dev/null as stdin: give it the terminal.
      const session = [
        `stty -g > ${dir}/before`,
        `${GLASS} --root ${root} run -it --rm --name raw-sigterm busybox sleep 60 < /dev/tty & pid=$!`,
        // Wait until glass has made the terminal raw (its settings change), then end glass.
        `until [ "$(stty -g)" != "$(cat ${dir}/before)" ]; do sleep 0.02; done`,
        'kill -TERM $pid; wait $pid; echo "glass=$?"',
        `stty -g > ${dir}/after`,
      ].join('\n');
      writeFileSync(`${dir}/session.sh`, session + '\n');
      const r = await execa('script', ['-qec', `sh ${dir}/session.sh`, '/dev/null'], { reject: false, timeout: SESSION_MS });
      expect(r.stdout).toContain('glass=143');
      expect(readFileSync(`${dir}/after`, 'utf8')).toBe(readFileSync(`${dir}/before`, 'utf8'));
    } finally {
      await glass(root, ['rm', '-f', 'raw-sigterm']);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('run -it without a terminal refuses, like Docker, and leaves nothing', async () => {
    const r = await execa(GLASS, ['--root', root, 'run', '-it', 'busybox', 'sh'], { input: 'exit 0\n', reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('glass: the input device is not a TTY: drop -t, or run glass from a terminal');
    expect((await glass(root, ['ps', '-a', '-q'])).stdout).toBe('');
  });

  it('run -i pipes stdin through and closes it at EOF', async () => {
    const r = await execa(GLASS, ['--root', root, 'run', '-i', '--rm', 'busybox', 'sh', '-c', 'tr a-z A-Z; echo done'], { input: 'hello\nworld\n', reject: false });
    expect(r.stdout).toBe('HELLO\nWORLD\ndone');
    expect(r.exitCode).toBe(0);
  });

  it('without -i the container gets no stdin', async () => {
    const r = await execa(GLASS, ['--root', root, 'run', '--rm', 'busybox', 'sh', '-c', 'cat; echo eof'], { input: 'ignored\n', reject: false });
    expect(r.stdout).toBe('eof');
  });

  it('stops the container when its reader goes away (| head), and still removes it', async () => {
    const r = await execa('sh', ['-c', `${GLASS} --root ${root} run --rm busybox yes | head -2`], { reject: false, timeout: SESSION_MS });
    expect(r.stdout).toBe('y\ny');
    expect(r.stderr).toBe('');
    expect((await glass(root, ['ps', '-a', '-q'])).stdout).toBe('');
  });

  // 44–48 s at 20× slower (a CPU-throttled cgroup): room for 50×.
  it('export and logs into a pipe that closes early end quietly (141), export unmounts', { timeout: 150_000 }, async () => {
    await glass(root, ['run', '--name', 'exported', 'busybox', 'true']);
    const r = await execa('bash', ['-c', `${GLASS} --root ${root} export exported | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`], { reject: false });
    expect(r.stdout).toBe('141');
    expect(r.stderr).toBe('');
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(root);
    await glass(root, ['rm', 'exported']);
    await glass(root, ['run', '--name', 'chatty', 'busybox', 'sh', '-c', 'seq 1 20000']);
    const logs = await execa('bash', ['-c', `${GLASS} --root ${root} logs chatty | head -1; echo "\${PIPESTATUS[0]}"`], { reject: false });
    expect(logs.stdout).toBe('1\n141');
    expect(logs.stderr).toBe('');
    await glass(root, ['rm', 'chatty']);
  });

  it('keeps stdout and stderr apart in the foreground', async () => {
    const r = await glass(root, ['run', '--rm', 'busybox', 'sh', '-c', 'echo to-out; echo to-err >&2']);
    expect(r.stdout).toBe('to-out\n');
    expect(r.stderr).toBe('to-err\n');
  });

  // 40–57 s at 20× slower (a CPU-throttled cgroup): room for 50×.
  it('attach follows a running container to its exit code', { timeout: 150_000 }, async () => {
    // It prints its last line and exits only when told (USR1), after the test has attached.
    const script = 'trap "go=1" USR1; echo waiting; while [ -z "$go" ]; do usleep 10000; done; echo late; exit 4';
    const id = (await glass(root, ['run', '-d', 'busybox', 'sh', '-c', script])).stdout.trim();
    await waitForLog(root, id, 'waiting');
    const attaches = async () => (await eventsOf(root, id)).filter((e) => e.Action === 'attach').length;
    const before = await attaches();
    const a = glassInBackground(root, ['attach', id]);
    await waitFor(attaches, (n) => n > before, { what: `the attach event of glass attach ${id.slice(0, 12)}` });
    expect((await glass(root, ['kill', '-s', 'USR1', id])).exitCode).toBe(0);
    const r = await a.proc;
    expect(r.stdout).toBe('late\n');
    expect(r.exitCode).toBe(4);
    await glass(root, ['rm', id]);
  });

  // 52–54 s at 20× slower (a CPU-throttled cgroup): room for 50×.
  it('Ctrl-P Ctrl-Q detaches from run -it; the container keeps running; --rm still removes it later', { timeout: 150_000 }, async () => {
    // Ctrl-P Ctrl-Q once the shell has run the command typed before (its output, not the echo of the command line).
    const r = await typeLater(root, 'detachable', ['-it', 'busybox', 'sh'], 'echo before\n', { after: /\nbefore\r?\n/, keys: '\x10\x11' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('before');
    expect(r.stdout).toMatch(/glass: detached from [0-9a-f]{12}; it keeps running/);
    expect((await glass(root, ['inspect', '-f', '{{.State.Running}}', 'detachable'])).stdout).toBe('true\n');
    await glass(root, ['rm', '-f', 'detachable']);

    const rm = await typeLater(root, 'detached-rm', ['-it', '--rm', 'busybox', 'sh'], '\x10\x11');
    expect(rm.exitCode).toBe(0);
    expect((await glass(root, ['kill', 'detached-rm'])).exitCode).toBe(0);
    await waitFor(async () => (await glass(root, ['ps', '-a', '--format', '{{.Names}}'])).stdout, (names) => names === '', { what: 'detached-rm to remove itself' });
  });

  it('run -dit keeps a shell alive that attach can drive', async () => {
    const id = (await glass(root, ['run', '-dit', 'busybox', 'sh'])).stdout.trim();
    const r = await inTerminal(root, ['attach', id], 'echo attached-$((1+1)); exit 9\n');
    expect(r.stdout).toContain('attached-2');
    expect(r.stdout).not.toContain('\r\r\n'); // raw mode for attach too
    expect(r.exitCode).toBe(9);
    await glass(root, ['rm', '-f', id]);
  });
});
