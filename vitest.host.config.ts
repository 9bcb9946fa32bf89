import { defineConfig } from 'vitest/config';
import base, { HOST_SUITE } from './vitest.config.js';

/**
 * `npm run test:host`: the shipped omneuro runbooks walked on a host built the way the operations
 * guide describes (a throwaway `ubuntu`, a cloned repository, real services, real backoff), from
 * the engine and from the TUI in a pty. Six minutes of file time between them, so they are kept
 * out of `npm test`; `.ci/run` runs them after it.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: HOST_SUITE,
    exclude: [],
  },
});
