/**
 * A clock the test drives. `sleep` resolves when `advance` moves time past its deadline, or at
 * once when `auto` is on (time jumps forward by the requested delay), which keeps engine tests
 * with check backoff fast and deterministic. `sleeps` records every requested delay.
 */
import type { Clock } from '../../src/exec/types.js';

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  private timers: Array<{ at: number; resolve: () => void }> = [];

  constructor(
    private time = Date.UTC(2025, 0, 1, 12, 0, 0),
    /** Jump forward instead of waiting. Default true. */
    public auto = true,
  ) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(new Error('aborted'));
    if (this.auto) {
      this.time += ms;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer = { at: this.time + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((t) => t !== timer);
          reject(new Error('aborted'));
        },
        { once: true },
      );
    });
  }

  /** Moves time forward, firing the sleeps that are due. */
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.resolve();
  }

  /** Sleeps waiting to fire. */
  get waiting(): number {
    return this.timers.length;
  }
}
