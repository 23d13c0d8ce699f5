import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../../test/helpers.js';
import { runCaptured, setUpGlass, setupProblem } from '../src/client/glass.js';

/**
 * How the client runs glass (the glass.command setting): the wrapper it puts
 * first on PATH, and the one line a learner reads when glass cannot run
 * (not found, sudo wants a password, sudo will not pass the environment).
 * sudo is played by a script, so no real sudo (or password) is needed.
 */
const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'glass-vscode-cmd-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A folder with fake `sudo` and `glass` programs. */
function fakeBin(sudo: string): string {
  const bin = temp();
  writeFileSync(join(bin, 'sudo'), `#!/bin/sh\n${sudo}\n`);
  writeFileSync(join(bin, 'glass'), '#!/bin/sh\necho "glass $* root=$GLASS_ROOT"\n');
  chmodSync(join(bin, 'sudo'), 0o755);
  chmodSync(join(bin, 'glass'), 0o755);
  return bin;
}

describe('glass.command', () => {
  it('sudo -n glass: the wrapper runs sudo with the resolved glass and passes GLASS_* through', async () => {
    const bin = fakeBin('shift 2; exec "$@"');
    const g = setUpGlass('sudo -n glass', temp(), { root: '/tmp/r', uid: 1000, baseEnv: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(g.problem).toBeUndefined();
    expect(g.command).toBe(`sudo -n --preserve-env=GLASS_ROOT,GLASS_LEARN_LABEL,GLASS_TRACE_FILE ${bin}/glass`);
    expect(readFileSync(join(g.binDir, 'glass'), 'utf8')).toContain(`exec ${g.command} "$@"`);
    const r = await runCaptured('glass ps -a', { env: g.env(), timeoutMs: 10_000 });
    expect(r.output).toBe('glass ps -a root=/tmp/r\n');
  });

  it('an editor running as root needs no sudo; a path is run as it is; the checkout is found from it', async () => {
    const g = setUpGlass('sudo -n glass', temp(), { uid: 0, baseEnv: { PATH: `${join(REPO, 'bin')}:/usr/bin:/bin` } });
    expect(g.command).toBe(join(REPO, 'bin/glass'));
    expect(g.checkout).toBe(REPO.replace(/\/$/, ''));
    const p = setUpGlass(join(REPO, 'bin/glass'), temp(), { uid: 1000, baseEnv: { PATH: '/usr/bin:/bin' } });
    expect(p.command).toBe(join(REPO, 'bin/glass'));
    expect(p.problem).toBeUndefined();
  });

  it('says in one line how to set glass up when it is missing or sudo refuses', async () => {
    const none = setUpGlass('sudo -n glass', temp(), { uid: 1000, baseEnv: { PATH: temp() } });
    expect(none.problem).toMatch(/^glass was not found \(glass\.command is "sudo -n glass"\): put it on PATH with "sudo npm run install-cli"/);
    const noSudo = fakeBin('exit 1');
    rmSync(join(noSudo, 'sudo'));
    expect(setUpGlass('sudo -n glass', temp(), { uid: 1000, baseEnv: { PATH: noSudo } }).problem).toMatch(/^glass needs root and sudo is not installed/);

    const password = fakeBin('echo "sudo: a password is required" >&2; exit 1');
    const g = setUpGlass('sudo -n glass', temp(), { uid: 1000, baseEnv: { PATH: `${password}:/usr/bin:/bin` } });
    const r = await runCaptured('glass version', { env: g.env(), timeoutMs: 10_000 });
    expect(setupProblem(r.output, r.exitCode)).toBe('glass needs root, and sudo asked for a password: let sudo run glass without one (see the extension\'s README, "Running glass as root"), or set glass.command.');
    expect(setupProblem('sudo: sorry, you are not allowed to preserve the environment\n', 1)).toMatch(/add SETENV to the sudoers line/);
    expect(setupProblem('bash: line 1: /nope/glass: No such file or directory\n', 127)).toMatch(/^glass could not be started: check glass.command/);
    // glass ran and refused the command: that is glass's own message, not a set-up problem.
    expect(setupProblem("glass: unknown flag: --x\nSee 'glass run --help'.\n", 125)).toBeUndefined();
  });

  it('a command that outlives its time limit is ended with everything it started', async () => {
    const g = setUpGlass(join(REPO, 'bin/glass'), temp(), { uid: 0 });
    const started = Date.now();
    const r = await runCaptured('sleep 30 & sleep 30; echo never', { env: g.env(), timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
