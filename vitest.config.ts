import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/memcached-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real memcached processes and worker processes: two cores, keep files serial-ish.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
