/**
 * A scripted stand-in for exec's `Shell` (src/exec/types.ts), for engine and UI tests.
 *
 * Each `run` is answered by the next scripted reply (or by `fallback`): output chunks are
 * emitted as `output` events, then the run resolves with the reply's result. A reply can
 * be held open (`hold: true`) until the test calls `release()`, which is how a test sees a
 * step in the running state, types into it, or interrupts it.
 *
 *   const shell = new FakeShell();
 *   shell.reply({ output: 'pulled\n', exitCode: 0 });
 *   shell.reply({ output: 'boom\n', exitCode: 1 });
 *   const store = createSessionStore({ ...deps, openShell: shell.factory });
 */
import type { RestoredShell, RunRequest, RunResult, ScreenSnapshot, Shell, ShellEvent, ShellOptions, ShellSnapshot } from '../../src/exec/types.js';

export interface FakeReply {
  /** Written as output events, in order, before the run resolves. */
  output?: string | string[];
  /** Default 0. null = no status (shell killed from outside). */
  exitCode?: number | null;
  timedOut?: boolean;
  shellExited?: boolean;
  reason?: string;
  /** Reported duration. Default 5. */
  durationMs?: number;
  /** Keep the run open until `release()` (or `interrupt()`). */
  hold?: boolean;
  /** Reject instead of resolving (e.g. sudo refused). */
  throws?: string;
}

export class FakeShell implements Shell {
  user = 'fake';
  /** Every request, in order. */
  readonly requests: RunRequest[] = [];
  /** Options of every shell the factory opened (one per open). */
  readonly opened: ShellOptions[] = [];
  /** Everything `write` received. */
  readonly input: string[] = [];
  interrupts = 0;
  closed = 0;
  /** Closes that have finished: a close waits for `closing` (a real shell waits for bash to exit). */
  closesDone = 0;
  closing: Promise<void> = Promise.resolve();
  cleared = 0;
  size = { cols: 80, rows: 24 };
  /** What the shell says it took over from `ShellOptions.restore`. Default: nothing said. */
  restored: RestoredShell | undefined;
  /** What `snapshot()` answers (the shell's cwd and exports after its last step). Default: nothing. */
  saved: ShellSnapshot | undefined;
  /** Answers runs once the script is used up. Default: exit 0, no output. */
  fallback: (req: RunRequest) => FakeReply = () => ({ exitCode: 0 });

  private replies: FakeReply[] = [];
  private listeners = new Set<(event: ShellEvent) => void>();
  private lines: string[] = [''];
  private pending: { resolve: (r: RunResult) => void; reply: FakeReply; reject: (e: Error) => void } | undefined;

  /** Pass as `openShell`: records the options and returns this shell. */
  readonly factory = async (options: ShellOptions): Promise<Shell> => {
    this.opened.push(options);
    if (options.user !== undefined) this.user = options.user;
    if (options.cols !== undefined && options.rows !== undefined) this.size = { cols: options.cols, rows: options.rows };
    return this;
  };

  /** Queues replies for the next runs. */
  reply(...replies: FakeReply[]): this {
    this.replies.push(...replies);
    return this;
  }

  get running(): boolean {
    return this.pending !== undefined;
  }

  run(req: RunRequest): Promise<RunResult> {
    this.requests.push(req);
    const reply = this.replies.shift() ?? this.fallback(req);
    for (const chunk of typeof reply.output === 'string' ? [reply.output] : (reply.output ?? [])) this.emit(chunk);
    if (reply.throws !== undefined) return Promise.reject(new Error(reply.throws));
    if (!reply.hold) return Promise.resolve(result(reply, false));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, reply };
      req.signal?.addEventListener('abort', () => this.finish(true), { once: true });
    });
  }

  /** Ends a held run with its scripted result. */
  release(extraOutput?: string): void {
    if (extraOutput !== undefined) this.emit(extraOutput);
    this.finish(false);
  }

  async snapshot(): Promise<ShellSnapshot | undefined> {
    return this.saved === undefined ? undefined : structuredClone(this.saved);
  }

  /** Reports a replaced shell, as exec does when a step ended the last one. */
  reset(reason: string, restored?: RestoredShell): void {
    for (const listener of this.listeners) listener(restored ? { type: 'shell-reset', reason, restored } : { type: 'shell-reset', reason });
  }

  /** Emits output as if the running step printed it. */
  emit(data: string): void {
    const parts = data.split('\n');
    this.lines[this.lines.length - 1] += parts[0] ?? '';
    for (const part of parts.slice(1)) this.lines.push(part);
    for (const listener of this.listeners) listener({ type: 'output', data });
  }

  write(data: string): void {
    this.input.push(data);
  }

  /** Ctrl-C: a held run ends as interrupted (exit 130). */
  interrupt(): void {
    this.interrupts += 1;
    this.finish(true);
  }

  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
  }

  onEvent(listener: (event: ShellEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  screen(): ScreenSnapshot {
    const lines = [...this.lines];
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return { lines, cols: this.size.cols, rows: this.size.rows };
  }

  clearScreen(): void {
    this.cleared += 1;
    this.lines = [''];
  }

  async close(): Promise<void> {
    this.closed += 1;
    await this.closing;
    this.closesDone += 1;
  }

  private finish(interrupted: boolean): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    pending.resolve(result(pending.reply, interrupted));
  }
}

function result(reply: FakeReply, interrupted: boolean): RunResult {
  const r: RunResult = {
    exitCode: interrupted ? 130 : reply.exitCode === undefined ? 0 : reply.exitCode,
    durationMs: reply.durationMs ?? 5,
    timedOut: reply.timedOut ?? false,
    interrupted,
    shellExited: reply.shellExited ?? false,
  };
  if (reply.reason !== undefined) r.reason = reply.reason;
  return r;
}
