/**
 * Lets each test worker's event loop reach its I/O between tests. vitest's worker waits 60 s
 * (fixed) for the runner's reply to each task update; a file of synchronous tests (parsing the
 * corpus, piece by piece) never yields to the poll phase where that reply is read, and under
 * load ran past 60 s in one stretch: every test passed and the run failed with "Timeout calling
 * onTaskUpdate" (CI, at load 6-7). setImmediate resolves after the poll phase.
 */
import { afterEach } from 'vitest';

afterEach(async () => {
  await new Promise((resolve) => setImmediate(resolve));
});
