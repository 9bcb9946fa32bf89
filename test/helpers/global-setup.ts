import { sweepStaleTestUsers } from './test-users.js';

/** Before any test: what an interrupted earlier run left behind (its users, its sudoers entries). */
export default function setup(): void {
  const removed = sweepStaleTestUsers();
  if (removed.length > 0) console.log(`removed ${removed.length} users/sudoers entries left by an interrupted test run: ${removed.join(', ')}`);
}
