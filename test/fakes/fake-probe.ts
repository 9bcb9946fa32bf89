/**
 * Scripted health probes. Results are taken per target (URL, `host:port` or command) in the
 * order scripted; when a target's script runs out its last result repeats, so "fails twice
 * then passes" is `script(url, fail('refused'), fail('refused'), pass())`.
 */
import type { ProbeResult, ProbeSpec } from '../../src/exec/types.js';

export function pass(extra: Partial<ProbeResult> = {}): ProbeResult {
  return { ok: true, latencyMs: 3, status: 200, ...extra };
}

export function fail(error = 'connection refused', extra: Partial<ProbeResult> = {}): ProbeResult {
  return { ok: false, latencyMs: 3, error, ...extra };
}

export function probeTarget(spec: ProbeSpec): string {
  switch (spec.kind) {
    case 'http':
      return spec.url;
    case 'tcp':
      return `${spec.host}:${spec.port}`;
    case 'run':
      return spec.command;
  }
}

export class FakeProbes {
  /** Every probe call, in order. */
  readonly calls: ProbeSpec[] = [];
  private scripts = new Map<string, ProbeResult[]>();
  /** Result for targets with no script. Default: pass. */
  unknown: ProbeResult = pass();

  script(target: string, ...results: ProbeResult[]): this {
    this.scripts.set(target, results);
    return this;
  }

  /** Pass as `probe`. */
  readonly run = async (spec: ProbeSpec, _signal?: AbortSignal): Promise<ProbeResult> => {
    this.calls.push(spec);
    const queue = this.scripts.get(probeTarget(spec));
    if (!queue || queue.length === 0) return this.unknown;
    return queue.length === 1 ? (queue[0] as ProbeResult) : (queue.shift() as ProbeResult);
  };
}
