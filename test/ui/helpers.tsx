/**
 * Rendering the TUI over a session wired to the scripted fakes, and driving it like an
 * operator: `press(key)` writes to Ink's stdin, `waitForFrame(text)` polls the last frame (no
 * sleeps). Frames are asserted before unmount (Ink writes a bare newline as its last frame).
 */
import type { Finding } from '../../src/session/preflight.js';
import type { SessionDeps } from '../../src/session/store-types.js';
import { render } from 'ink-testing-library';
import { App, type AppProps } from '../../src/ui/app.js';
import type { UiServices } from '../../src/ui/context.js';
import { fail, pass } from '../fakes/fake-probe.js';
import { fakeSession, type FakeSession } from '../fakes/session.js';
import { DEPLOY_FILE, FILES, HEALTH_URL } from './runbooks.js';

export const arrowUp = '\u001B[A';
export const arrowDown = '\u001B[B';
export const enter = '\r';
export const escape = '\u001B';
export const ctrlC = '\u0003';
export const ctrlBracket = '\u001D';
export const backspace = '\u007F';
export const pageUp = '\u001B[5~';
export const pageDown = '\u001B[6~';

export type Rendered = ReturnType<typeof render>;

export interface Driver {
  ink: Rendered;
  frame(): string;
  press(key: string): void;
  type(text: string): void;
  /** Polls the last frame until it contains `text` (or matches), else fails with the frame. */
  waitForFrame(text: string | RegExp, timeoutMs?: number): Promise<string>;
  waitForNoFrame(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Changes the terminal size the app sees and tells it (like SIGWINCH). */
  resize(cols: number, rows: number): void;
  exits: number[];
}

function has(frame: string, text: string | RegExp): boolean {
  return typeof text === 'string' ? frame.includes(text) : text.test(frame);
}

export function drive(ink: Rendered, exits: number[]): Driver {
  const frame = (): string => ink.lastFrame() ?? '';
  const poll = async (ok: (f: string) => boolean, what: string, timeoutMs: number): Promise<string> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const f = frame();
      if (ok(f)) return f;
      if (Date.now() > until) throw new Error(`${what}; last frame:\n${f}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return {
    ink,
    frame,
    press: (key) => ink.stdin.write(key),
    type: (text) => {
      for (const ch of text) ink.stdin.write(ch);
    },
    waitForFrame: (text, timeoutMs = 15_000) => poll((f) => has(f, text), `no frame with ${String(text)}`, timeoutMs),
    waitForNoFrame: (text, timeoutMs = 15_000) => poll((f) => !has(f, text), `frame still has ${String(text)}`, timeoutMs),
    resize(cols, rows) {
      Object.defineProperty(ink.stdout, 'columns', { configurable: true, get: () => cols });
      Object.defineProperty(ink.stdout, 'rows', { configurable: true, get: () => rows });
      ink.stdout.emit('resize');
    },
    exits,
  };
}

/** What preflight found, as a session start is given it. */
export type StartPreflight = { findings: Finding[]; ms: number; skipped?: string };

export interface SessionRender extends Driver {
  t: FakeSession;
}

/**
 * Starts a session on `file` of the in-memory runbooks and renders the runbook view at
 * `cols`x`rows` (default 80x24), without colour.
 */
export async function renderSession(
  files: Record<string, string>,
  file: string,
  options: { cols?: number; rows?: number; services?: Partial<UiServices>; before?: (t: FakeSession) => void; preflight?: StartPreflight; deps?: Partial<SessionDeps> } = {},
): Promise<SessionRender> {
  const t = fakeSession(files, options.deps);
  options.before?.(t);
  await t.actions.start({ file, ...(options.preflight ? { preflight: options.preflight } : {}) });
  const exits: number[] = [];
  const props: AppProps = {
    services: { now: () => t.clock.now(), color: false, loadRunbook: async (f) => (await t.runbooks.load(f)).runbook, ...options.services },
    session: { store: t.store, runAs: 'ubuntu', host: 'test-host' },
    onExit: (code) => exits.push(code),
  };
  const ink = render(<App {...props} />);
  const d = drive(ink, exits);
  d.resize(options.cols ?? 80, options.rows ?? 24);
  return { ...d, t };
}

/**
 * The deploy runbook walked with `a` until its health check is retrying: the first attempt
 * refused, the second (which will pass) due in 1 s on a clock that only moves when told.
 */
export async function renderRetryingHealthz(): Promise<SessionRender> {
  const r = await renderSession(FILES, DEPLOY_FILE, {
    before: (t) => {
      t.clock.auto = false;
      t.probes.script(HEALTH_URL, fail('connection refused'), pass());
    },
  });
  await r.waitForFrame('enter run');
  r.press('a');
  return r;
}
