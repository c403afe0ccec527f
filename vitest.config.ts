import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Generous: the suite must pass on a loaded 2-core machine (CI), where an OAuth flow with several
    // scrypt sign-ins or a connector's cold start can take many times longer than on a quiet laptop.
    // Tests wait for outcomes, never for a stopwatch; a hung test still fails, only later.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Test files share two real database servers and two CPU cores; a few at a time keeps
    // timing-sensitive tests (timeouts, cancellation) honest.
    maxWorkers: 3,
    pool: 'forks',
  },
});
