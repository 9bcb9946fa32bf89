/** What the probes share: how much they keep, and small helpers for their results. */

/** How much of a body or command output is kept for the operator. */
export const KEPT_OUTPUT = 4096;

/** Largest body read when looking for `contains`. */
export const MAX_BODY = 1 << 20;

export function since(start: number): number {
  return Math.round(performance.now() - start);
}

export function innermostMessage(err: unknown): string {
  let e: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    message = e.message;
    e = e.cause;
  }
  return message;
}

export const asIs = (text: string): string => text;
