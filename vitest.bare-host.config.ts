import { defineConfig } from 'vitest/config';

/**
 * `npm run test:bare-host`: the package in a debootstrapped root filesystem (root only). Kept out
 * of `npm test`, which must stay fast: the first run builds the root filesystem (minutes).
 */
export default defineConfig({
  test: {
    include: ['test/bare-host/**/*.e2e.ts'],
    testTimeout: 180_000,
    // debootstrap of minbase: about 2.5 minutes on this machine when idle; far more under load.
    hookTimeout: 30 * 60_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
  },
});
