/**
 * stepgate's exit codes, owned by the commands: 0 completed, 1 blocked or aborted, 2 usage or
 * an invalid runbook (and for fleet: an AWS error, a target that matched no instance, or a
 * command SSM never started on any instance: what the operator gave, or the instances, has to
 * change, as with bad input), 130 interrupted (a signal).
 */
export const EXIT = { completed: 0, blocked: 1, usage: 2, interrupted: 130 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
