/**
 * Health probes, run outside the pty: HTTP through fetch, TCP through a socket, and `run`
 * commands through execa as the target user (same run-as rules as the shell, never
 * interactive). Each returns a ProbeResult whose `error` says plainly what went wrong.
 */
import net from 'node:net';
import { fetchFollowing, RedirectError, type Whereabouts } from './redirects.js';
import { asIs, innermostMessage, KEPT_OUTPUT, MAX_BODY, since } from './probe-common.js';
import { runCommandProbe } from './run-probe.js';
import type { ProbeResult, ProbeSpec } from './types.js';

/** How much of a failing response's body the error quotes. */
const ERROR_BODY_BYTES = 200;

export interface ProbeOptions {
  signal?: AbortSignal;
  /**
   * Hides secrets in what the result keeps (body, output, the error's quote of the body). It
   * runs before anything is cut or its spaces collapsed: a secret cut in two, or with its
   * spaces changed, would no longer be recognised by the journal's redaction, and its head
   * would reach disk. `contains` is still matched against the body as received.
   */
  redact?: (text: string) => string;
}

export async function runProbe(spec: ProbeSpec, opts: ProbeOptions = {}): Promise<ProbeResult> {
  if (!(spec.timeoutMs > 0)) throw new RangeError(`probe: timeoutMs must be > 0, got ${spec.timeoutMs}`);
  switch (spec.kind) {
    case 'http':
      return httpProbe(spec, opts.signal, opts.redact);
    case 'tcp':
      return tcpProbe(spec, opts.signal);
    case 'run':
      return runCommandProbe(spec, opts.signal, opts.redact);
  }
}

function errorCode(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return '';
}

/** Network failures in the words an operator would use. */
export function describeNetworkError(err: unknown, target: string): string {
  const code = errorCode(err);
  if (code === 'ECONNREFUSED') return `connection refused by ${target}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return `DNS lookup failed for ${target} (${code})`;
  if (code === 'ECONNRESET') return `connection reset by ${target}`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${target} is unreachable (${code})`;
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return `TLS error talking to ${target}: ${innermostMessage(err)} (${code})`;
  return `${innermostMessage(err)}${code ? ` (${code})` : ''}`;
}

function statusExpected(status: number, expect: Array<{ min: number; max: number }> | undefined): boolean {
  const ranges = expect && expect.length > 0 ? expect : [{ min: 200, max: 299 }];
  return ranges.some((r) => status >= r.min && status <= r.max);
}

function describeExpect(expect: Array<{ min: number; max: number }> | undefined): string {
  const ranges = expect && expect.length > 0 ? expect : [{ min: 200, max: 299 }];
  return ranges.map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(', ');
}

/** Read up to `limit` bytes of a body as text. */
async function readBody(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    text += decoder.decode(value, { stream: true });
    if (bytes >= limit) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return text + decoder.decode();
}

async function httpProbe(spec: Extract<ProbeSpec, { kind: 'http' }>, outer?: AbortSignal, redact: (text: string) => string = asIs): Promise<ProbeResult> {
  // Node loads its HTTP client (undici) on the first fetch of a process: 40 ms here, seconds on
  // a starved machine, which the first attempt's timeout and latency counted as the service's.
  // Reading one of undici's globals loads it now, before the clock starts (then it costs nothing).
  void globalThis.Response;
  const start = performance.now();
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    return { ok: false, latencyMs: 0, error: `invalid URL "${spec.url}"` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, latencyMs: 0, error: `unsupported URL scheme ${url.protocol} in "${spec.url}" (http or https)` };
  }
  const timeout = AbortSignal.timeout(spec.timeoutMs);
  const signal = outer ? AbortSignal.any([timeout, outer]) : timeout;
  const where: Whereabouts = { url };
  // After a redirect the error names the URL that failed and the one that sent us there.
  const at = (): string => (where.from ? `${where.url.host} (${where.url.href}, redirected from ${where.from.href})` : where.url.host);
  try {
    const { res } = await fetchFollowing(url, { signal, headers: { 'user-agent': 'stepgate-health-check' } }, spec.follow ?? 'same-origin', where);
    const needWholeBody = spec.contains !== undefined;
    const body = await readBody(res, needWholeBody ? MAX_BODY : KEPT_OUTPUT);
    const latencyMs = since(start);
    const shown = redact(body);
    const output = shown.slice(0, KEPT_OUTPUT);
    if (!statusExpected(res.status, spec.expect)) {
      const head = shown.slice(0, ERROR_BODY_BYTES).replace(/\s+/g, ' ').trim();
      return {
        ok: false,
        latencyMs,
        status: res.status,
        output,
        error: `bad status ${res.status} (expected ${describeExpect(spec.expect)})${head ? `: ${head}` : ''}`,
      };
    }
    if (spec.contains !== undefined && !body.includes(spec.contains)) {
      return { ok: false, latencyMs, status: res.status, output, error: `response does not contain "${spec.contains}"` };
    }
    return { ok: true, latencyMs, status: res.status, output };
  } catch (err) {
    const latencyMs = since(start);
    if (outer?.aborted) return { ok: false, latencyMs, error: 'cancelled' };
    if (timeout.aborted) return { ok: false, latencyMs, error: `timeout after ${spec.timeoutMs}ms waiting for ${at()}` };
    if (err instanceof RedirectError) return { ok: false, latencyMs, error: err.message };
    return { ok: false, latencyMs, error: describeNetworkError(err, at()) };
  }
}

function tcpProbe(spec: Extract<ProbeSpec, { kind: 'tcp' }>, outer?: AbortSignal): Promise<ProbeResult> {
  const start = performance.now();
  const target = `${spec.host}:${spec.port}`;
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) {
    return Promise.resolve({ ok: false, latencyMs: 0, error: `invalid port in ${target}` });
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host: spec.host, port: spec.port });
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ ok: false, latencyMs: since(start), error: 'cancelled' });
    const timer = setTimeout(
      () => finish({ ok: false, latencyMs: since(start), error: `timeout after ${spec.timeoutMs}ms connecting to ${target}` }),
      spec.timeoutMs,
    );
    outer?.addEventListener('abort', onAbort, { once: true });
    if (outer?.aborted) onAbort();
    socket.once('connect', () => finish({ ok: true, latencyMs: since(start) }));
    socket.once('error', (err) => finish({ ok: false, latencyMs: since(start), error: describeNetworkError(err, target) }));
  });
}
