import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Removes the throwaway users and sudoers entries of an earlier run that was killed.
    globalSetup: ['test/helpers/global-setup.ts'],
    // pty and e2e tests spawn real processes; two cores are shared with the build.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
