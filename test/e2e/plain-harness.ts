/**
 * Helpers for the plain-mode end-to-end tests: the built CLI in a child process with its own
 * state dir, and a real HTTP health endpoint on 127.0.0.1 whose health is a file on disk (so
 * a runbook step can "fix" the service with `touch`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/paths.js';
import type { SessionEvent } from '../../src/session/types.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'stepgate-e2e-'));
  readonly state = join(this.dir, 'state');

  write(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    // No TTY and CI=false for the child: plain mode is chosen by the command, not by CI.
    return { ...process.env, STEPGATE_STATE_DIR: this.state, CI: 'false', NO_COLOR: '1', ...extra };
  }

  spawn(args: string[], extraEnv: Record<string, string> = {}): ChildProcess {
    // detached: a session of its own, so no controlling terminal either (/dev/tty cannot be
    // opened), whatever terminal the test runner has: plain mode as in CI or cron.
    return spawn(process.execPath, [CLI, ...args], { cwd: this.dir, env: this.env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  }

  run(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return collect(this.spawn(args, extraEnv));
  }

  sessionsDir(): string {
    return join(this.state, 'sessions');
  }

  /** Ids of the sessions in the state dir, oldest first. */
  sessionIds(): string[] {
    if (!existsSync(this.sessionsDir())) return [];
    return readdirSync(this.sessionsDir()).filter((n) => n.endsWith('.jsonl')).map((n) => n.slice(0, -6)).sort();
  }

  /**
   * The one session that is not among `before`: session ids carry only the second, so two runs
   * in the same second do not sort in the order they ran.
   */
  newSessionId(before: readonly string[]): string {
    const made = this.sessionIds().filter((id) => !before.includes(id));
    if (made.length !== 1) throw new Error(`expected one new session, found ${made.length}: ${made.join(', ')}`);
    return made[0] ?? '';
  }

  journalPath(id: string): string {
    return join(this.sessionsDir(), `${id}.jsonl`);
  }

  events(id: string): SessionEvent[] {
    return readFileSync(this.journalPath(id), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as SessionEvent);
  }

  /** Every file under the state dir with its mode and content. */
  stateFiles(): Array<{ path: string; mode: number; dir: boolean; text: string }> {
    const out: Array<{ path: string; mode: number; dir: boolean; text: string }> = [];
    const walk = (p: string): void => {
      const st = statSync(p);
      out.push({ path: p, mode: st.mode & 0o777, dir: st.isDirectory(), text: st.isDirectory() ? '' : readFileSync(p, 'utf8') });
      if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    };
    if (existsSync(this.state)) walk(this.state);
    return out;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Resolves once the child's stdout contains `text` (polls the stream, never sleeps blind). */
export function waitForOutput(child: ChildProcess, text: string, timeoutMs = 20_000): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${text}" in output after ${timeoutMs}ms:\n${seen}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}

/**
 * A health endpoint on 127.0.0.1: `/healthz` answers 200 "ok" while `healthyFile` exists,
 * 503 otherwise. Counts requests.
 */
export class HealthServer {
  requests = 0;
  private server: Server | undefined;
  port = 0;

  constructor(readonly healthyFile: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.requests += 1;
      if (req.url?.startsWith('/healthz') && existsSync(this.healthyFile)) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('not ready');
      }
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
