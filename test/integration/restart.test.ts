import { describe, expect, it } from 'vitest';
import { glass, isRoot, removeContainersAfterEach, stateOf, useRoot } from '../helpers.js';

describe.skipIf(!isRoot)('restart right after the container stops', () => {
  const root = useRoot();
  removeContainersAfterEach(root);

  it('15 rounds of run -d then restart -t 0: every restart starts it again with a new PID', async () => {
    // The stopped run's shim writes the exit record, then removes its cgroup, then ends: a start
    // that met it in between refused ("still recording its exit code") in about 1 round of 10.
    for (let round = 0; round < 15; round++) {
      const name = `rs-${round}`;
      expect((await glass(root, ['run', '-d', '--name', name, 'busybox', 'sleep', '1000'])).exitCode).toBe(0);
      const before = (await glass(root, ['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim();
      expect(await glass(root, ['restart', '-t', '0', name])).toMatchObject({ exitCode: 0, stdout: `${name}\n`, stderr: '' });
      expect(await stateOf(root, name)).toBe('running');
      expect((await glass(root, ['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim()).not.toBe(before);
      expect((await glass(root, ['rm', '-f', name])).exitCode).toBe(0);
    }
  }, 600_000);
});
