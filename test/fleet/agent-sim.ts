/**
 * A stand-in for the SSM agent's part in running an exported document, for tests: it
 * interpolates the document's `{{ NAME }}` parameters into `runCommand` (once, as text, the
 * way Run Command does) and runs each step's lines with `sh` as the agent would, in order,
 * stopping at the first failure (`onFailure: exit`). Nothing of the generated shell is
 * re-implemented here: what runs is the document's own text.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SsmDocument } from '../../src/fleet/index.js';

export interface SimulatedStep {
  name: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** SSM's interpolation: `{{ NAME }}` of a declared parameter becomes its value; anything else stays. */
export function interpolate(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

export function parameterValues(document: SsmDocument, given: Record<string, string>): Record<string, string> {
  const values: Record<string, string> = {};
  const parameters = (document.parameters ?? {}) as Record<string, { default?: string; allowedPattern?: string }>;
  for (const [name, spec] of Object.entries(parameters)) {
    const value = given[name] ?? spec.default;
    if (value === undefined) throw new Error(`parameter ${name} has no value and no default`);
    if (spec.allowedPattern !== undefined && !new RegExp(spec.allowedPattern).test(value)) throw new Error(`parameter ${name}: "${value}" does not match ${spec.allowedPattern}`);
    values[name] = value;
  }
  return values;
}

/**
 * One step's lines, as the agent would run them (it writes them to a file and runs it with
 * sh). Asynchronous: the HTTP server a check polls lives in the test's own event loop.
 */
export async function runLines(lines: string[], values: Record<string, string>, timeoutS = 120): Promise<Omit<SimulatedStep, 'name'>> {
  const dir = mkdtempSync(join(tmpdir(), 'stepgate-agent-'));
  try {
    const script = join(dir, '_script.sh');
    writeFileSync(script, `${interpolate(lines.join('\n'), values)}\n`, { mode: 0o700 });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };
    const child = spawn('sh', [script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutS * 1000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code));
    });
    return { exitCode, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a Command document's steps in order; stops after the first that fails. */
export async function runCommandDocument(document: SsmDocument, given: Record<string, string>): Promise<SimulatedStep[]> {
  const values = parameterValues(document, given);
  const out: SimulatedStep[] = [];
  for (const step of document.mainSteps) {
    const inputs = step.inputs as { runCommand: string[]; timeoutSeconds?: number };
    const result = await runLines(inputs.runCommand, values, inputs.timeoutSeconds ?? 3600);
    out.push({ name: String(step.name), ...result });
    if (result.exitCode !== 0) break;
  }
  return out;
}
