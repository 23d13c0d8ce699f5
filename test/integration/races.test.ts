import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { glass, isRoot, useRoot } from '../helpers.js';

/** Several glass processes on one state root at once, as a class of learners' terminals would be. */
describe.skipIf(!isRoot)('races between glass processes', () => {
  const root = useRoot();

  it('creates racing for one name: exactly one wins, the others get Conflict, nothing half-made stays', async () => {
    // 3 rounds of 8 racers: the old reservation (take over a name whose owner has
    // no config.json yet) let two creates share a name in most rounds.
    for (let round = 0; round < 3; round++) {
      const name = `race-${round}`;
      const results = await Promise.all(Array.from({ length: 8 }, () => glass(root, ['create', '--name', name, 'busybox', 'true'])));
      const won = results.filter((r) => r.exitCode === 0);
      expect(won.length).toBe(1);
      for (const r of results.filter((r) => r.exitCode !== 0)) {
        expect(r.exitCode).toBe(125);
        expect(r.stderr).toMatch(new RegExp(`Conflict. The container name "/${name}" is already in use by container "${won[0]!.stdout.trim()}"`));
      }
      const ps = await glass(root, ['ps', '-a', '--filter', `name=^/${name}$`, '--format', '{{.Names}}']);
      expect(ps.stdout).toBe(`${name}\n`);
    }
    // Only the three winners' directories: the losers left nothing behind.
    expect(readdirSync(`${root}/containers`).filter((e) => /^[0-9a-f]{64}$/.test(e)).length).toBe(3);
    expect(readdirSync(`${root}/containers`).filter((e) => e.startsWith('.'))).toEqual([]);
  });

  it('stop, kill and start at once on one container: no error but Docker’s, and one shim at most', async () => {
    const id = (await glass(root, ['run', '-d', 'busybox', 'sleep', '60'])).stdout.trim();
    const [stop, kill, start] = await Promise.all([
      glass(root, ['stop', '-t', '5', id]),
      glass(root, ['kill', id]),
      glass(root, ['start', id]),
    ]);
    expect(stop.exitCode).toBe(0);
    // kill either reached it or found it already stopped (Docker's message for that).
    if (kill.exitCode !== 0) expect(kill.stderr).toMatch(/is not running/);
    expect(start.exitCode).toBe(0);
    const state = await glass(root, ['inspect', '-f', '{{.State.Status}}', id]);
    expect(['running', 'exited']).toContain(state.stdout.trim());
    await glass(root, ['rm', '-f', id]);
  });

  it('rename moves the name: the old one is free, the new one taken, both ways checked', async () => {
    const a = (await glass(root, ['create', '--name', 'ren-a', 'busybox', 'true'])).stdout.trim();
    await glass(root, ['create', '--name', 'ren-b', 'busybox', 'true']);
    const clash = await glass(root, ['rename', 'ren-a', 'ren-b']);
    expect(clash.exitCode).toBe(1);
    expect(clash.stderr).toMatch(/Conflict. The container name "\/ren-b" is already in use/);
    const same = await glass(root, ['rename', 'ren-a', 'ren-a']);
    expect(same.exitCode).toBe(1);
    expect((await glass(root, ['rename', 'ren-a', 'ren-c'])).exitCode).toBe(0);
    expect((await glass(root, ['inspect', '-f', '{{.Name}}', a])).stdout).toBe('/ren-c\n');
    expect((await glass(root, ['create', '--name', 'ren-a', 'busybox', 'true'])).exitCode).toBe(0);
    await glass(root, ['rm', '-f', 'ren-a', 'ren-b', 'ren-c']);
  });
});
