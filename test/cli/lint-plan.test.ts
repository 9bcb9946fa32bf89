import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, ROOT } from '../helpers/paths.js';
import { tracedSources } from '../helpers/traced-sources.js';

/** An unannotated ops guide of our own, written like the reference guide. */
const OPS_NOTES = join(FIXTURES, 'ops-notes.md');

/** Runs the built CLI (npm test builds before vitest runs). */
function stepgate(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every directory this file makes in /tmp, removed when it is done. */
const made: string[] = [];
function tempDir(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  made.push(path);
  return path;
}
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

let dir: string;
beforeAll(() => {
  dir = tempDir('stepgate-cli-');
  mkdirSync(join(dir, 'nested'));
  writeFileSync(join(dir, 'good.md'), '---\nbefore: nested/list.md#pre\n---\n# Good\n\n## Pull\n\nPull the code.\n\n```bash {name=pull timeout=2m}\ngit pull\n```\n\nCheck it.\n\n```check\nhttp: http://localhost:8092/healthz\n```\n');
  writeFileSync(join(dir, 'nested', 'list.md'), '# List\n\n## Pre\n\n- [ ] Announce the deploy\n');
  writeFileSync(join(dir, 'bad.md'), '# Bad\n\nRun.\n\n```bash {name=x colour=red}\ntrue\n```\n\nAgain.\n\n```bash {name=x timeout=soon}\ntrue\n```\n');
});

describe('stepgate lint', () => {
  it('prints compiler-style lines and a summary, exits 2 on errors', () => {
    const r = stepgate(['lint', join(dir, 'bad.md')]);
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      `${join(dir, 'bad.md')}:5:17: error unknown-attribute: unknown attribute "colour" (known: name, timeout, cwd, user, retries, backoff, recover, capture, confirm, interactive, optional, isolated, rollback)`,
      `${join(dir, 'bad.md')}:11:10: error duplicate-step-name: step name "x" is already used at line 5`,
      `${join(dir, 'bad.md')}:11:17: error bad-duration: timeout=soon is not a duration (use 500ms, 2s, 3m, 1h or seconds)`,
      '1 file checked: 3 errors, 0 warnings',
    ]);
  });

  it('walks directories recursively and exits 0 when there are only clean files', () => {
    const clean = tempDir('stepgate-clean-');
    writeFileSync(join(clean, 'a.md'), readFileSync(join(dir, 'good.md'), 'utf8').replace('nested/list.md#pre', 'b.md#pre'));
    writeFileSync(join(clean, 'b.md'), '## Pre\n\n- [ ] ok\n');
    const r = stepgate(['lint', clean]);
    expect(r.stdout).toBe('2 files checked: 0 errors, 0 warnings\n');
    expect(r.code).toBe(0);
  });

  it('prints JSON with --json', () => {
    const r = stepgate(['lint', '--json', dir]);
    const out = JSON.parse(r.stdout) as { files: number; errors: number; diagnostics: Array<{ code: string; line: number; column: number; file: string }> };
    expect(out.files).toBe(3);
    expect(out.errors).toBe(3);
    expect(out.diagnostics.map((d) => d.code)).toEqual(['unknown-attribute', 'duplicate-step-name', 'bad-duration']);
    expect(r.code).toBe(2);
  });

  it('gives the same diagnostics parsing on worker threads as on one thread (several files, linked ones among them)', () => {
    const paths = [join(ROOT, 'runbooks'), dir, ...(process.env.STEPGATE_CORPUS_DIR ? [process.env.STEPGATE_CORPUS_DIR] : [])];
    const one = stepgate(['lint', '--json', ...paths], { env: { STEPGATE_LINT_THREADS: '1' } });
    const two = stepgate(['lint', '--json', ...paths], { env: { STEPGATE_LINT_THREADS: '2' } });
    expect(JSON.parse(one.stdout).files).toBeGreaterThan(10);
    expect(two.stdout).toBe(one.stdout);
    expect([one.code, two.code]).toEqual([2, 2]);
  }, 90_000);

  it('reports a missing path as an error', () => {
    const r = stepgate(['lint', join(dir, 'nope.md')]);
    expect(r.stdout).toContain('nope.md:1:1: error read-error');
    expect(r.code).toBe(2);
  });
});

describe('stepgate plan', () => {
  it('shows before checklists, sections, steps with kind and retry policy', () => {
    const r = stepgate(['plan', join(dir, 'good.md')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`BEFORE: Pre  ${join(dir, 'nested/list.md')}#pre`);
    expect(r.stdout).toMatch(/1\. \[ \] pre-1: Announce the deploy/);
    expect(r.stdout).toMatch(/2\. command pull {2}\(timeout 2m\)\n\s+Pull the code\.\n\s+\$ git pull/);
    expect(r.stdout).toMatch(/3\. check pull-2: Check it\.\n\s+Check it\.\n\s+http http:\/\/localhost:8092\/healthz\n\s+5 attempts, backoff from 2s, timeout 5s each/);
  });

  it('prints the resolved model as JSON, every step with its kind', () => {
    const r = stepgate(['plan', '--json', join(dir, 'good.md')]);
    const { plan } = JSON.parse(r.stdout) as { plan: { parts: Array<{ role: string; sections: Array<{ steps: Array<{ kind: string; id: string }> }> }> } };
    const steps = plan.parts.flatMap((p) => p.sections.flatMap((s) => s.steps.map((st) => `${p.role}:${st.kind}:${st.id}`)));
    expect(steps).toEqual(['before:manual:pre-1', 'main:command:pull', 'main:check:pull-2']);
  });

  it('plans an unannotated ops guide: its shell steps, curl loop warning and cross-references', () => {
    const r = stepgate(['plan', OPS_NOTES]);
    expect(r.code).toBe(0);
    expect((r.stdout.match(/^\s+\d+\. command /gm) ?? []).length).toBe(4);
    expect(r.stdout).toContain('warning curl-retry-loop');
    for (const ref of ['ONCALL.md', 'SHIP-CHECKLIST.md', 'ROLLBACK.md']) expect(r.stdout).toContain(`  ${ref} -> `);
  });

  it('exits 2 with a usage line when the file is missing or extra', () => {
    expect(stepgate(['plan']).code).toBe(2);
    const r = stepgate(['plan', 'a.md', 'b.md']);
    expect(r.stderr).toContain('usage: stepgate plan FILE [--as USER] [--json]');
    expect(r.code).toBe(2);
  });

  it('previews --as as run takes it: every step that names no user runs as it', () => {
    const r = stepgate(['plan', join(dir, 'good.md'), '--as', 'deploy-bot']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('run as: deploy-bot   cwd: ~deploy-bot (its home: a login shell)');
    expect(r.stdout).toMatch(/command pull.*\(as deploy-bot, timeout 2m\)/);
    const empty = stepgate(['plan', join(dir, 'good.md'), '--as', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--as wants a user name');
  });

  it('exits 2 on an invalid runbook', () => {
    expect(stepgate(['plan', join(dir, 'bad.md')]).code).toBe(2);
  });
});

/** Every source the processes ran (a file of dist/ stands for the sources bundled into it). */
function sourcesOfRuns(runs: string[][], stateHome: string): string[] {
  const trace = join(tempDir('stepgate-trace-'), 'imports.txt');
  writeFileSync(trace, '');
  for (const args of runs) {
    execFileSync(process.execPath, ['--import', resolve(ROOT, 'test/helpers/trace-imports.mjs'), CLI, ...args], {
      env: { ...process.env, TRACE_IMPORTS_FILE: trace, XDG_STATE_HOME: stateHome, STEPGATE_STATE_DIR: '' },
    });
  }
  return tracedSources(trace);
}

describe('advice on an untrusted runbook', () => {
  it('lint and plan warn without naming --allow-untrusted, a flag neither takes', () => {
    const here = tempDir('stepgate-untrusted-');
    const file = join(here, 'open.md');
    writeFileSync(file, '# Open\n\n## S\n\n```bash {name=hello}\necho hi\n```\n');
    chmodSync(file, 0o666);
    for (const args of [['lint', 'open.md'], ['lint', '--json', 'open.md'], ['plan', 'open.md']]) {
      const r = stepgate(args, { cwd: here });
      const text = r.stdout + r.stderr;
      expect(r.code, args.join(' ')).toBe(0);
      expect(text, args.join(' ')).toMatch(/untrusted runbook: open\.md is writable by group and others \(mode 0666\).*chmod go-w open\.md \(stepgate run, resume and the TUI refuse it until then\)/);
      expect(text, args.join(' ')).not.toContain('--allow-untrusted');
    }
  });
});

describe('the runbooks a runbook reaches', () => {
  // `run` lints a runbook's checklists and recovery runbooks and refuses their errors, saying
  // "stepgate lint deploy.md": a trial's lint of it said 0 errors, and plan said nothing.
  it('lint FILE and plan FILE report their diagnostics too, and plan names the user their steps run as', () => {
    const here = tempDir('stepgate-reached-');
    writeFileSync(join(here, 'deploy.md'), '---\nuser: nobody\nbefore: [pre.md]\n---\n# Deploy\n\nIf it fails see [recovery](recovery.md#restart).\n\n```bash {name=go}\necho hi\n```\n');
    writeFileSync(join(here, 'pre.md'), '# Pre\n\nWho runs it.\n\n```bash {name=who}\nid -un\n```\n');
    writeFileSync(join(here, 'recovery.md'), '# Recovery\n\n## Restart\n\nRestart it.\n\n```bash {name=restart backof=2s}\necho r\n```\n');
    chmodSync(join(here, 'pre.md'), 0o664);
    const error = 'recovery.md:7:23: error unknown-attribute: unknown attribute "backof": did you mean "backoff"?';
    const untrusted = /pre\.md:1:1: warning untrusted-file: untrusted runbook: pre\.md is writable by group \(mode 0664\)/;
    const lint = stepgate(['lint', 'deploy.md'], { cwd: here });
    expect(lint.code).toBe(2);
    expect(lint.stdout).toContain(error);
    expect(lint.stdout).toMatch(untrusted);
    expect(lint.stdout).toContain('3 files checked: 1 error, 1 warning');
    // Each file once, however many of the given ones reach it.
    expect(stepgate(['lint', 'deploy.md', 'recovery.md', 'pre.md'], { cwd: here }).stdout.split(error).length).toBe(2);
    const plan = stepgate(['plan', 'deploy.md'], { cwd: here });
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(error);
    expect(plan.stdout).toMatch(untrusted);
    // pre.md names no user: a session runs its steps as the main runbook's.
    expect(plan.stdout).toMatch(/1\. command who +\(as nobody\)/);
    const json = JSON.parse(stepgate(['plan', '--json', 'deploy.md'], { cwd: here }).stdout) as { plan: { parts: Array<{ role: string; sections: Array<{ steps: Array<{ user?: string }> }> }> } };
    expect(json.plan.parts.find((p) => p.role === 'before')?.sections[0]?.steps[0]?.user).toBe('nobody');
  });
});

describe('the names a checklist or recovery runbook reads from the runbook that reaches it', () => {
  it('are known when it is linted with that runbook (alone, it does not say where ${PORT} comes from)', () => {
    const here = tempDir('stepgate-inherited-');
    writeFileSync(join(here, 'deploy.md'), '---\nvars:\n  PORT: {default: "8080"}\nrecovery: recovery.md\n---\n# Deploy\n\nUp.\n\n```check\n- http: http://127.0.0.1:${PORT}/healthz\n```\n');
    writeFileSync(join(here, 'recovery.md'), '# Recovery\n\nUp again.\n\n```check\n- http: http://127.0.0.1:${PORT}/ready\n```\n\nRestart.\n\n```bash\nsystemctl restart app --port "$PROT"\n```\n');
    for (const args of [['lint', 'deploy.md'], ['lint', '.'], ['lint', 'recovery.md', 'deploy.md']]) {
      const r = stepgate(args, { cwd: here });
      expect(r.stdout, args.join(' ')).not.toContain('${PORT} is not a var');
      // What is declared nowhere is still said, with the name meant.
      expect(r.stdout, args.join(' ')).toContain('$PROT is not a var or env entry of this runbook, nor set in this step: did you mean $PORT?');
    }
    expect(stepgate(['lint', 'recovery.md'], { cwd: here }).stdout).toContain('recovery.md:6:3: warning unknown-variable: ${PORT} is not a var');
  });

  it('a before: checklist is not given the captures of steps that run after it', () => {
    const here = tempDir('stepgate-captures-');
    writeFileSync(join(here, 'main.md'), '---\nbefore: [pre.md]\n---\n# Main\n\nRecord the version.\n\n```bash {capture=VERSION}\ncat VERSION\n```\n');
    writeFileSync(join(here, 'pre.md'), '# Pre\n\nThe old version answers.\n\n```check\n- http: http://localhost/${VERSION}\n```\n');
    expect(stepgate(['lint', 'main.md'], { cwd: here }).stdout).toContain('pre.md:6:3: warning unknown-variable: ${VERSION} is not a var');
  });
});

describe('start-up', () => {
  it('lint and plan never load Ink or React', () => {
    // A state directory of its own: the parse cache is empty, so the parser is loaded.
    const sources = sourcesOfRuns([['plan', OPS_NOTES], ['lint', OPS_NOTES]], tempDir('stepgate-trace-state-'));
    expect(sources.filter((s) => s.startsWith('unmapped'))).toEqual([]);
    expect(sources.some((s) => s.includes('node_modules/mdast-util-from-markdown/'))).toBe(true);
    expect(sources.filter((s) => /node_modules\/(ink|react|ink-[^/]*|@xterm\/[^/]*|node-pty)\//.test(s))).toEqual([]);
  });

  it('a plan of a runbook in the parse cache loads neither the markdown nor the YAML parser', () => {
    const state = tempDir('stepgate-trace-state-');
    const first = sourcesOfRuns([['plan', OPS_NOTES]], state);
    expect(first.some((s) => s.includes('node_modules/micromark/'))).toBe(true);
    const again = sourcesOfRuns([['plan', OPS_NOTES]], state);
    expect(again.filter((s) => s.startsWith('unmapped'))).toEqual([]);
    expect(again.some((s) => s.endsWith('src/commands/plan.ts'))).toBe(true);
    expect(again.filter((s) => /node_modules\/(micromark[^/]*|mdast-util-from-markdown|yaml)\/|src\/runbooks\/parse\.ts/.test(s))).toEqual([]);
  });

  it('a run without run: checks never loads execa (preflight spawns its one shell itself)', () => {
    const work = tempDir('stepgate-noexeca-');
    const runbook = join(work, 'one.md');
    writeFileSync(runbook, '# One\n\n```bash\necho ran-one\n```\n');
    const trace = join(work, 'imports.txt');
    writeFileSync(trace, '');
    const out = execFileSync(process.execPath, ['--import', resolve(ROOT, 'test/helpers/trace-imports.mjs'), CLI, 'run', runbook, '--yes'], {
      env: { ...process.env, TRACE_IMPORTS_FILE: trace, XDG_STATE_HOME: join(work, 'state') },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toContain('ran-one');
    const bundled = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle-inputs.json'), 'utf8')) as Record<string, string[]>;
    const distUrl = pathToFileURL(join(ROOT, 'dist')).href + '/';
    const loaded = readFileSync(trace, 'utf8').split('\n').filter((url) => url.startsWith(distUrl));
    expect(loaded.length).toBeGreaterThan(1);
    const sources = loaded.flatMap((url) => bundled[url.slice(distUrl.length)] ?? []);
    expect(sources.filter((s) => s.includes('node_modules/execa/'))).toEqual([]);
  });

  it('notes on stderr a run-as user this host does not have, and plans anyway (a plan may be for another host)', () => {
    const missing = stepgate(['plan', OPS_NOTES, '--as', 'sg-no-such-user-21']);
    expect(missing.code).toBe(0);
    expect(missing.stdout).toContain('run as: sg-no-such-user-21');
    expect(missing.stderr).toContain('stepgate: note: no user "sg-no-such-user-21" on this host');
    expect(stepgate(['plan', OPS_NOTES, '--as', 'root']).stderr).not.toContain('no user');
  });

  it('says a mistyped command is unknown, answers --help after any command, and leaves quietly on a closed pipe', () => {
    const typo = stepgate(['frobnicate']);
    expect(typo.stderr).toContain('unknown command "frobnicate" (commands: lint,');
    expect(typo.code).toBe(2);
    // A near miss of a command is named (a trial's `stepgate lnit`).
    expect(stepgate(['lnit']).stderr).toContain('unknown command "lnit": did you mean lint? (commands: lint,');
    expect(stepgate(['resume', '--help']).stdout).toContain('stepgate resume [ID]');
    const missing = stepgate(['plan', join(dir, 'nope.md')]);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('nope.md:1:1: error read-error');
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" lint "${OPS_NOTES}" "${OPS_NOTES}" "${OPS_NOTES}" | head -c 10`], { encoding: 'utf8' });
    expect(piped.stderr).not.toContain('EPIPE');
  });

  it('prints --help and --version', () => {
    expect(stepgate(['--help']).stdout).toContain('stepgate lint PATH...');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(stepgate(['--version']).stdout).toBe(`stepgate ${pkg.version}\nNode.js ${process.version} (${process.execPath})\n`);
  });
});
