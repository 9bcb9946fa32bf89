/**
 * The shipped runbooks are the product's promise to the omneuro team: they must lint clean
 * (no errors, no warnings) and say what the operations guide says, no more (no phantom
 * endpoints) and no less (5 attempts with backoff, every check wired to a recovery path).
 */
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectMarkdownFiles, createRunbookCache, readRunbookFileSync } from '../../src/commands/load.js';
import { varValueProblem } from '../../src/runbooks/vars.js';
import {
  formatDiagnostic,
  lintRunbook,
  resolveTarget,
  type CheckStep,
  type Runbook,
  type Step,
} from '../../src/runbooks/index.js';

const root = join(import.meta.dirname, '..', '..');
const runbooksDir = relative(process.cwd(), join(root, 'runbooks')) || 'runbooks';

function load(file: string): Runbook {
  return readRunbookFileSync(join(runbooksDir, file)).runbook;
}

function checkSteps(runbook: Runbook): CheckStep[] {
  return runbook.steps.filter((s): s is CheckStep => s.kind === 'check');
}

/** The recovery target a gate at this step offers first: the step's, else its section's. */
function recoverOf(runbook: Runbook, step: Step): string | undefined {
  if (step.kind === 'manual') return undefined;
  const target = step.attrs.recover ?? runbook.sections.find((s) => s.anchor === step.section)?.recover;
  return target === undefined ? undefined : target.raw;
}

const OMNEURO = ['deploy.md', 'checklists.md', 'recovery.md', 'observability.md', 'ssm.md'];
const HEALTH_URLS = [
  'http://localhost:8092/healthz',
  'http://localhost:8092/api/tech/health',
  'http://localhost:8081/healthz',
];

describe('shipped runbooks', () => {
  it('lint with no errors and no warnings, with no help from the environment', () => {
    const { files, missing } = collectMarkdownFiles([runbooksDir]);
    expect(missing).toEqual([]);
    const names = files.map((f) => relative(runbooksDir, f)).sort();
    expect(names).toEqual(
      [...OMNEURO, 'demo/deploy.md', 'demo/checklists.md', 'demo/recovery.md'].sort(),
    );
    const cache = createRunbookCache();
    // An empty environment: `${DEMO_PORT}` must be declared by the runbooks themselves.
    const diagnostics = files.flatMap((file) => lintRunbook(readRunbookFileSync(file).runbook, { load: cache, env: {} }));
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
  });

  it('every recovery target, before and after resolves to a section that has steps', () => {
    const cache = createRunbookCache();
    for (const file of [...OMNEURO, 'demo/deploy.md', 'demo/checklists.md', 'demo/recovery.md']) {
      const runbook = load(file);
      const targets = [
        ...runbook.frontMatter.before,
        ...runbook.frontMatter.after,
        ...(runbook.frontMatter.recovery ? [runbook.frontMatter.recovery] : []),
        ...runbook.sections.flatMap((s) => (s.recover ? [s.recover] : [])),
        ...runbook.steps.flatMap((s) => (s.kind !== 'manual' && s.attrs.recover ? [s.attrs.recover] : [])),
      ];
      for (const target of targets) {
        const resolved = resolveTarget(runbook.file, target);
        const other = cache(resolved.file);
        expect(other, `${file}: ${target.raw}`).toBeDefined();
        const steps = other?.steps.filter((s) => {
          if (resolved.anchor === undefined) return true;
          let anchor: string | undefined = s.section;
          while (anchor !== undefined && anchor !== resolved.anchor)
            anchor = other.sections.find((sec) => sec.anchor === anchor)?.parent;
          return anchor === resolved.anchor;
        });
        expect(steps?.length ?? 0, `${file}: ${target.raw} has no steps`).toBeGreaterThan(0);
      }
    }
  });
});

describe('the omneuro redeploy', () => {
  const deploy = load('deploy.md');

  it('runs as ubuntu in ~/omneuro, between the pre- and post-deploy checklists', () => {
    expect(deploy.frontMatter.user).toBe('ubuntu');
    expect(deploy.frontMatter.cwd).toBe('~/omneuro');
    expect(deploy.frontMatter.before.map((t) => t.raw)).toEqual(['checklists.md#pre-deploy']);
    expect(deploy.frontMatter.after.map((t) => t.raw)).toEqual(['checklists.md#post-deploy']);
    for (const file of ['checklists.md', 'recovery.md', 'observability.md']) {
      expect(load(file).frontMatter.user, file).toBe('ubuntu');
      expect(load(file).frontMatter.cwd, file).toBe('~/omneuro');
    }
  });

  /** A check's target with `${VAR}` replaced by the default of the runbook's var. */
  const expand = (runbook: Runbook, target: string): string =>
    target.replace(/\$\{(\w+)\}/g, (whole, name: string) => runbook.frontMatter.vars.find((v) => v.name === name)?.default ?? whole);

  it("pulls, makes the scripts executable at once, restarts through the guide's 04-redeploy.sh (a var), then checks health; nothing the guide does not say", () => {
    const commands = deploy.steps.filter((s) => s.kind === 'command');
    const order = deploy.steps.map((s) => s.id);
    const at = (id: string): number => order.indexOf(id);
    const script = (id: string): string => {
      const step = commands.find((s) => s.id === id);
      return step?.kind === 'command' ? step.script : '';
    };
    expect(script('pull')).toMatch(/\bgit (-c \S+ )*pull\b/);
    expect(at('chmod')).toBe(at('pull') + 1);
    expect(script('chmod')).toMatch(/\bchmod \+x scripts\/\*\.sh/);
    expect(script('restart')).toBe('"$REDEPLOY_SCRIPT"');
    expect(deploy.frontMatter.vars.find((v) => v.name === 'REDEPLOY_SCRIPT')?.default).toBe('./scripts/04-redeploy.sh');
    expect(at('chmod')).toBeLessThan(at('restart'));
    for (const check of checkSteps(deploy)) expect(at(check.id)).toBeGreaterThan(at('restart'));
    // No PM2, no builds in the default path: the guide names neither.
    for (const file of OMNEURO) {
      for (const step of load(file).steps) {
        if (step.kind === 'command') expect(step.script, `${file}: ${step.id}`).not.toMatch(/\bpm2\b|\bnpm\b|ecosystem\.config/);
      }
    }
  });

  it('checks exactly the three health routes, each with 5 attempts and backoff; the ports are vars defaulting to the guide', () => {
    const targets = checkSteps(deploy).flatMap((s) => s.checks.map((c) => expand(deploy, c.target)));
    expect([...targets].sort()).toEqual([...HEALTH_URLS].sort());
    for (const check of checkSteps(deploy).flatMap((s) => s.checks)) {
      expect(check.kind).toBe('http');
      expect(check.attempts).toBe(5);
      expect(check.backoffMs).toBeGreaterThanOrEqual(1000);
    }
  });

  it('tests no phantom endpoints anywhere in the omneuro runbooks', () => {
    for (const file of OMNEURO) {
      const runbook = load(file);
      for (const check of checkSteps(runbook).flatMap((s) => s.checks)) {
        if (check.kind !== 'http') continue;
        expect(HEALTH_URLS, `${file}:${check.position.line}`).toContain(expand(runbook, check.target));
        expect(check.attempts, `${file}:${check.position.line}`).toBe(5);
      }
    }
  });

  it('records the roll back target once per deploy (capture=) before the pull, and the roll back verifies it reached it', () => {
    const checklists = load('checklists.md');
    const record = checklists.steps.find((s) => s.id === 'pre-rollback-target');
    expect(record?.kind === 'command' && record.attrs.capture).toBe('ROLLBACK_COMMIT');
    const recovery = load('recovery.md');
    const verify = recovery.steps.find((s) => s.id === 'rollback-verify');
    expect(verify?.kind === 'command' && verify.script).toMatch(/\$ROLLBACK_COMMIT/);
  });

  it('wires every check and every deploy step to a recovery section', () => {
    for (const file of OMNEURO) {
      const runbook = load(file);
      for (const step of checkSteps(runbook)) {
        expect(step.attrs.recover?.raw, `${file}: check ${step.id}`).toBeDefined();
      }
    }
    for (const step of deploy.steps) {
      expect(recoverOf(deploy, step), `deploy.md: ${step.id}`).toMatch(/^recovery\.md#/);
    }
  });

  it('never switches user or loops curl inside a step (stepgate does both)', () => {
    for (const file of OMNEURO) {
      for (const step of load(file).steps) {
        if (step.kind !== 'command') continue;
        expect(step.script, `${file}: ${step.id}`).not.toMatch(/sudo\s+(-\S+\s+)*-i\b|\bsu\s+-/);
        // One look at each route is fine; a retry loop is a check block's job.
        if (/\bcurl\b/.test(step.script)) expect(step.script, `${file}: ${step.id}`).not.toMatch(/\bsleep\b/);
      }
    }
  });

  it('offers a roll back that ends the session as rolled back', () => {
    const recovery = load('recovery.md');
    const rollback = recovery.steps.filter((s) => s.section === 'roll-back-to-the-previous-commit');
    const last = rollback.at(-1);
    expect(last?.kind).toBe('check');
    expect(last?.kind === 'check' && last.attrs.rollback).toBe(true);
    for (const anchor of [
      'health-check-failing-after-deploy',
      'git-pull-failed',
      'scripts-not-executable',
      'service-will-not-start',
      'roll-back-to-the-previous-commit',
    ]) {
      expect(recovery.steps.some((s) => s.section === anchor), anchor).toBe(true);
    }
  });
});

describe('the demo', () => {
  it('runs as the current user and gates on two health checks on an overridable port', () => {
    const deploy = load('demo/deploy.md');
    expect(deploy.frontMatter.user).toBeUndefined();
    const port = deploy.frontMatter.vars.find((v) => v.name === 'DEMO_PORT');
    expect(port?.default).toBe('18080');
    // A port the demo can listen on as any user: 1024 to 65535, nothing else.
    const takes = (value: string): boolean => port !== undefined && varValueProblem(port, value) === undefined;
    expect(['1024', '18080', '32768', '60999', '65535'].filter(takes)).toHaveLength(5);
    expect(['99999', '65536', '1023', '80', '0', '018080', ' 18080', '18080x'].filter(takes)).toEqual([]);
    // Refused in words, not as the pattern's hundred characters (a new user's trial).
    expect(port && varValueProblem(port, '99999')).toBe('DEMO_PORT: "99999" is refused: want a port from 1024 to 65535');
    // The linked runbooks declare it alike: whichever asks first, the same answers pass.
    for (const linked of ['demo/checklists.md', 'demo/recovery.md']) {
      const spec = load(linked).frontMatter.vars.find((v) => v.name === 'DEMO_PORT');
      expect({ ...spec, line: 0 }, linked).toEqual({ ...port, line: 0 });
    }
    const checks = checkSteps(deploy);
    expect(checks).toHaveLength(2);
    for (const step of checks) {
      expect(step.attrs.recover?.raw).toBe('recovery.md#roll-back-to-the-previous-release');
      for (const check of step.checks) {
        expect(check.target).toMatch(/^http:\/\/127\.0\.0\.1:\$\{DEMO_PORT\}\//);
        expect(check.attempts).toBe(5);
      }
    }
  });
});

describe('the SSM launch runbook', () => {
  it('reaches only itself: its prose links to the redeploy and recovery.md offer no recovery path, so it asks no var of theirs and preflights on a host without the checkout (a trial)', async () => {
    const { reachableSteps } = await import('../../src/runbooks/reach.js');
    const { collectRunbooks } = await import('../../src/session/plan.js');
    const { loadRunbookFile } = await import('../../src/commands/load.js');
    const ssm = load('ssm.md');
    const reached = reachableSteps(ssm, createRunbookCache());
    expect(new Set(reached.map((r) => r.role))).toEqual(new Set(['main']));
    expect(reached.every((r) => r.file === ssm.file)).toBe(true);
    const { books } = await collectRunbooks(join(runbooksDir, 'ssm.md'), loadRunbookFile);
    expect([...books.keys()].map((f) => f.split('/').pop())).toEqual(['ssm.md']);
    // Its drop advice is the README's: attach with tmux, resume without.
    expect(readRunbookFileSync(join(runbooksDir, 'ssm.md')).text).toContain('./stepgate attach');
  });
});
