import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'vscode-extension/test/**/*.test.ts'],
    // Integration tests start real containers; after the whole suite the leak
    // check looks for mounts, cgroups and processes left behind and fails the run.
    globalSetup: ['test/leak-check.ts'],
    testTimeout: 60_000,
    // Clean-up hooks (test/helpers.ts cleanRoot, removeContainersAfterEach)
    // give `glass rm -f` 30 s, then force what it left in at most 10 s more
    // (plus up to 5 s for a timed-out rm -f to die): ~45 s at worst, with
    // room for a slow machine's umount and rm of the root.
    hookTimeout: 90_000,
    pool: 'forks',
    // Integration tests mostly wait on the kernel and on child processes, not
    // the CPU; each file has its own state root, so four run side by side even
    // on a 2-core machine (vitest's default here would be one).
    maxWorkers: 4,
  },
});
