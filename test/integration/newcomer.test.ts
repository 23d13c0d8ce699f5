import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { GLASS, isRoot, REPO, useRoot } from '../helpers.js';
import { TEST_ROOT_PREFIX } from '../leaks.js';

/**
 * What a newcomer meets first: the README's examples, `npm run install-cli`
 * and `sudo ./setup.sh` in their own clone.
 */

/**
 * Every `$ sudo bin/glass run --rm ...` line of the README's console blocks
 * that is followed by output, with that output. Runs with the trace
 * (--explain) are left out: the README shortens them.
 */
function readmeRuns(): { command: string; output: string[] }[] {
  const readme = readFileSync(`${REPO}README.md`, 'utf8');
  const runs: { command: string; output: string[] }[] = [];
  for (const block of readme.matchAll(/```console\n([\s\S]*?)```/g)) {
    let current: { command: string; output: string[] } | undefined;
    for (const line of block[1]!.split('\n')) {
      if (line.startsWith('$ ')) {
        current = undefined;
        const m = /^\$ sudo bin\/glass (run --rm .*?)(\s{2,}#.*)?$/.exec(line); // without a trailing "   # comment"
        if (m && !m[1]!.includes('--explain')) runs.push((current = { command: m[1]!, output: [] }));
      } else if (current && line !== '') {
        current.output.push(line);
      }
    }
  }
  return runs.filter((r) => r.output.length > 0);
}

describe.skipIf(!isRoot)('the README', () => {
  const root = useRoot();

  it('shows what glass really prints', async () => {
    const runs = readmeRuns();
    expect(runs.map((r) => r.command)).toEqual([
      'run --rm busybox echo hello',
      `run --rm busybox sh -c 'echo "my PID is $$"; hostname'`,
      'run --rm busybox ps',
    ]);
    for (const { command, output } of runs) {
      const r = await execa('sh', ['-c', `${GLASS} --root ${root} ${command}`], { reject: false });
      expect(r.exitCode, command).toBe(0);
      // A hostname is the container's short ID: 12 hex digits, different each run.
      const expected = output.map((l) => (/^[0-9a-f]{12}$/.test(l) ? expect.stringMatching(/^[0-9a-f]{12}$/) : l));
      expect(r.stdout.split('\n'), command).toEqual(expected);
    }
  });
});

describe.skipIf(!isRoot)('set-up', () => {
  it('npm run install-cli says it needs sudo when run without root', async () => {
    const script = JSON.parse(readFileSync(`${REPO}package.json`, 'utf8')).scripts['install-cli'] as string;
    // As npm runs it (sh -c, in the repository), as an ordinary user.
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', script], { cwd: REPO, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('install-cli: putting glass in /usr/local/bin needs root: run sudo npm run install-cli');
    expect(r.stdout).toBe('');
  });

  it('sudo ./setup.sh gives node_modules/, dist/ and native/build/ back to the user (SUDO_USER); as plain root it keeps them', async () => {
    // setup.sh in a copy of the repository's top, with npm and dpkg stubbed: only its own logic runs.
    const repo = mkdtempSync(`${TEST_ROOT_PREFIX}setup-`);
    try {
      copyFileSync(`${REPO}setup.sh`, `${repo}/setup.sh`);
      // The editor's installer (code-server, for the extension's end-to-end test) is stubbed too.
      mkdirSync(`${repo}/tools/code-server`, { recursive: true });
      writeFileSync(`${repo}/tools/code-server/install.sh`, 'exit 0\n');
      const bin = `${repo}/stub-bin`;
      mkdirSync(bin);
      for (const [name, body] of [
        [
          'npm',
          // What npm ci and the build leave, and the notebooks' kernel (tools/tslab) setup.sh then registers.
          'mkdir -p node_modules/x dist native/build tools/tslab/node_modules/.bin; touch node_modules/x/f dist/glass.cjs native/build/glass-shim; ' +
            "printf '#!/bin/sh\\nexit 0\\n' > tools/tslab/node_modules/.bin/tslab; chmod +x tools/tslab/node_modules/.bin/tslab",
        ],
        ['dpkg', 'exit 0'],
      ]) {
        writeFileSync(`${bin}/${name}`, `#!/bin/sh\n${body}\n`);
        chmodSync(`${bin}/${name}`, 0o755);
      }
      const env = { PATH: `${bin}:${process.env.PATH}` };
      const owners = () => ['node_modules', 'node_modules/x/f', 'dist', 'dist/glass.cjs', 'native/build', 'native/build/glass-shim'].map((p) => statSync(`${repo}/${p}`).uid);

      const plain = await execa('bash', [`${repo}/setup.sh`], { env: { ...env, SUDO_USER: '' }, reject: false });
      expect(plain.exitCode, plain.stderr).toBe(0);
      expect(owners()).toEqual([0, 0, 0, 0, 0, 0]);

      const sudo = await execa('bash', [`${repo}/setup.sh`], { env: { ...env, SUDO_USER: 'nobody' }, reject: false });
      expect(sudo.exitCode, sudo.stderr).toBe(0);
      expect(sudo.stdout).toMatch(/^setup: node_modules\/, dist\/, native\/build\/, .* belong to nobody$/m);
      expect(statSync(`${repo}/tools/tslab/node_modules/.bin/tslab`).uid).toBe(65534);
      expect(owners()).toEqual([65534, 65534, 65534, 65534, 65534, 65534]);
      expect(statSync(`${repo}/setup.sh`).uid).toBe(0); // only the build output changes hands
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
