import { configDefaults, defineConfig } from 'vitest/config';

/** Walks of the shipped runbooks on a built host: `npm run test:host` (vitest.host.config.ts). */
export const HOST_SUITE = ['test/runbooks/omneuro-host.test.ts', 'test/e2e/tui-omneuro.test.ts'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: [...configDefaults.exclude, ...HOST_SUITE],
    // Removes the throwaway users and sudoers entries of an earlier run that was killed.
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/yield-between-tests.ts'],
    // pty and e2e tests spawn real processes; two cores are shared with the build.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
