import { defineConfig } from 'vitest/config';

/**
 * `npm run faults`: faults injected into stepgate (hostile files, misbehaving health endpoints,
 * signals). Kept out of `npm test`; `.ci/run` runs it after the bare-host test. Each file
 * prints `fault figures: KIND tried N, held N` lines that docs/reliability.md quotes.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
  },
});
