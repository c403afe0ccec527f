import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Test files share two real database servers and two CPU cores; a few at a time keeps
    // timing-sensitive tests (timeouts, cancellation) honest.
    maxWorkers: 3,
    pool: 'forks',
  },
});
