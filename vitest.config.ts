import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real containers; after the whole suite the leak
    // check looks for mounts, cgroups and processes left behind and fails the run.
    globalSetup: ['test/leak-check.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration tests mostly wait on the kernel and on child processes, not
    // the CPU; each file has its own state root, so four run side by side even
    // on a 2-core machine (vitest's default here would be one).
    maxWorkers: 4,
  },
});
