import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { containerIds, glass, isRoot, removeContainersAfterEach, testRoot, useRoot } from '../helpers.js';

/**
 * The races below are load tests: tens of glass commands at once, each a Node
 * start (~0.2 s of CPU), so they take as long as the machine's CPU needs for
 * them. RACE_MS bounds one batch of parallel commands (a round of 40 tags,
 * the rm -f of 24 containers): each command in it gets nearly all of it, and
 * a test gets RACE_MS for each batch it runs. Measured with the CPU throttled
 * to 20% of one core: a round of 40 tags 100-110 s, the create races 85-100 s
 * in all: RACE_MS leaves ~3× that. The heaviest batch, 24 run -d (each a Node
 * start, a shim and a container), took ~200 s there and gets twice RACE_MS.
 * At 5% of a core a round of tags took 7-8 min (the whole tag test would take
 * ~40 min), more than RACE_MS: this file is verified at 20% of a core, not at
 * 5% as the others are.
 */
const RACE_MS = 300_000;

/** Several glass processes on one state root at once, as a class of learners' terminals would be. */
describe.skipIf(!isRoot)('races between glass processes', () => {
  const root = useRoot();
  removeContainersAfterEach(root);

  it('creates racing for one name: exactly one wins, the others get Conflict, nothing half-made stays', { timeout: RACE_MS }, async () => {
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

  const ROUNDS = 5;
  const PARALLEL = 40;
  /**
   * Rounds of 40 parallel `glass tag busybox rN-tM` on one root; after each
   * round `glass images` lists every tag. Each tag is a read-modify-write of
   * the image catalog (images/repositories) under the image-store lock, so a
   * lock that lets two processes in loses tags (the later write drops the
   * earlier one's tag) even though every `tag` exits 0.
   *
   * Why 5 rounds (200 tags, as in the reproduction) and not 2: the old
   * lock (mkdir, then an owner file; a waiter that read the owner file between
   * its creation and its write saw pid 0 and broke the lock) lost 25 of 200
   * tags here in 5 rounds, but its losses come in bursts: a break cascades
   * (the breaker's and the owner's releases remove each other's locks), so
   * most rounds lose many tags or fail a CLI with a lock error and the rest
   * lose nothing. Measured with this test's own pattern against the old lock
   * (commit 4edf738), 20 of 35 rounds lost tags or failed a CLI (~57%): 2
   * rounds would have missed the old lock about one run in five (0.43²),
   * 5 rounds about one run in 70 (0.43⁵ ≈ 1.5%).
   */
  it('40 parallel tags, 5 rounds (200 tags): every tag is listed afterwards, no lost update', async () => {
    const root = testRoot(); // its own catalog: images lists only these tags and busybox
    // busybox is built on first use: once, before the races, so they race only on the catalog.
    expect((await glass(root, ['tag', 'busybox', 'warm-up'])).exitCode).toBe(0);
    expect((await glass(root, ['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter(Boolean).sort()).toEqual(['busybox:latest', 'warm-up:latest']);
    for (let round = 0; round < ROUNDS; round++) {
      const tags = Array.from({ length: PARALLEL }, (_, n) => `r${round}-t${n}`);
      const results = await Promise.all(tags.map((t) => glass(root, ['tag', 'busybox', t], { timeout: RACE_MS - 10_000 })));
      // All succeed, with no lock error on the way.
      expect(results.flatMap((r, i) => (r.exitCode !== 0 || r.stderr !== '' ? [`${tags[i]}: exit ${r.exitCode} ${r.stderr.trim()}`] : []))).toEqual([]);
      const listed = (await glass(root, ['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n');
      const lost = tags.filter((t) => !listed.includes(`${t}:latest`));
      expect(lost, `round ${round}: ${lost.length} of ${PARALLEL} tags lost`).toEqual([]);
    }
  }, ROUNDS * RACE_MS);

  const RUN_BATCH_MS = 2 * RACE_MS; // 24 run -d at once: see RACE_MS
  it('24 parallel run -d on one root: all start, no lock error, all 24 listed, all removed', async () => {
    const N = 24;
    const root = testRoot(); // its own root: ps -a lists exactly these
    const results = await Promise.all(Array.from({ length: N }, () => glass(root, ['run', '-d', 'busybox', 'true'], { timeout: RUN_BATCH_MS - 10_000 })));
    expect(results.flatMap((r) => (r.exitCode !== 0 || r.stderr !== '' ? [`exit ${r.exitCode} ${r.stderr.trim()}`] : []))).toEqual([]);
    const ids = results.map((r) => r.stdout.trim());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(ids).size).toBe(N);
    const listed = (await glass(root, ['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    expect(listed.sort()).toEqual([...ids].sort());
    const rm = await glass(root, ['rm', '-f', ...ids], { timeout: RACE_MS - 10_000 });
    expect(rm).toMatchObject({ exitCode: 0, stderr: '' });
    expect((await glass(root, ['ps', '-a', '-q'])).stdout).toBe('');
    expect(containerIds(root)).toEqual([]);
  }, RUN_BATCH_MS + RACE_MS); // two batches: the run -d, then the rm -f
});
