/**
 * A recovery target taken out of the middle of the main flow (a trial's `recover=#restart` on
 * the deploy's own "Restart" section: the deploy never restarted the service) is warned about;
 * the layouts where skipping is meant are not.
 */
import { describe, expect, it } from 'vitest';
import { lintRunbook } from '../../src/runbooks/lint.js';
import { mainFlowSteps } from '../../src/runbooks/sections.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

const fence = (name: string, body: string, attrs = ''): string => `\`\`\`bash {name=${name}${attrs}}\n${body}\n\`\`\`\n`;
const check = (name: string, attrs: string): string => `\`\`\`check {name=${name}${attrs}}\nrun: "true"\n\`\`\`\n`;

function warnings(text: string): string[] {
  const runbook = parseRunbook(text, 'deploy.md');
  return lintRunbook(runbook, { load: () => undefined, env: {} })
    .filter((d) => d.code === 'recovery-in-flow')
    .map((d) => `${d.line}:${d.column} ${d.message}`);
}

/** Build, then `middle` (a section of two steps), then the health check, pointing at `target` if given. */
function deploy(middle: string, target?: string): string {
  return [
    '# Deploy', '', 'Redeploy the service.', '',
    '## Build', '', 'Build it.', '', fence('build', 'make'),
    `## ${middle}`, '', 'Restart it.', '', fence('stop', 'systemctl stop app'), '', fence('start', 'systemctl start app'),
    '## Verify', '', 'Healthy.', '', check('health', target === undefined ? '' : ` recover=${target}`),
  ].join('\n');
}

describe('a recovery target in the middle of the main flow', () => {
  it('is warned about at its heading, naming what made it a recovery and the steps skipped', () => {
    const text = deploy('Restart', '#restart');
    // The behaviour warned about: the two restart steps are not in the main flow.
    expect(mainFlowSteps(parseRunbook(text, 'deploy.md')).map((s) => s.id)).toEqual(['build', 'health']);
    expect(warnings(text)).toEqual([
      '13:1 section "Restart" runs only as a recovery path (recover=#restart at line 30 names it), so a run from the top skips its 2 steps, between build (line 9) and health (line 30): if the main flow needs them, give the recovery a section of its own (say "## If the health check fails") and point to that; if this one is meant to be skipped, a title saying so ("If ... fails", "Roll back") silences this',
    ]);
  });

  it('is warned about when a link that reads like recovery names it', () => {
    const text = deploy('Restart').replace('Healthy.', 'Healthy, or [recover by restarting](#restart).');
    expect(warnings(text)).toHaveLength(1);
    expect(warnings(text)[0]).toContain('(the link [recover by restarting](#restart) at line 28 names it)');
  });

  // A review: titles that mention recovery words without being a recovery, and a link.
  it.each([
    ['Configure recovery', 'Read [how recovery settings work](#configure-recovery).'],
    ['Set the rollback window', 'Read [the rollback window](#set-the-rollback-window).'],
    ['Reload nginx if the config is valid', 'Healthy, or [recover by reloading](#reload-nginx-if-the-config-is-valid).'],
    ['Failover to the standby', 'Healthy, or [recover with a failover](#failover-to-the-standby).'],
  ])('is warned about for a step title that only mentions recovery: %s', (title, prose) => {
    const text = deploy(title).replace('Healthy.', prose);
    expect(warnings(text)).toHaveLength(1);
    expect(warnings(text)[0]).toContain(`section "${title}" runs only as a recovery path`);
  });

  it("is not warned about for a step's own recovery written as a subsection right under it", () => {
    const text = [
      '# Deploy', '', 'Go.', '',
      '## Start', '', 'Start it.', '', fence('start', 'systemctl start app', ' recover=#port-already-in-use'),
      '### Port already in use', '', 'Free the port.', '', fence('free', 'fuser -k 8080/tcp'),
      '## Verify', '', 'V.', '', check('health', ''),
    ].join('\n');
    expect(warnings(text)).toEqual([]);
  });

  it.each([
    ['its title says it is for a failure', deploy('If the health check fails', '#if-the-health-check-fails')],
    ['its title says roll back', deploy('Roll back', '#roll-back')],
  ])('is not warned about when %s', (_why, text) => {
    expect(warnings(text)).toEqual([]);
  });

  it('is not warned about at the end of the file, or at the start (a recovery runbook that opens with the recovery of its roll back)', () => {
    const atEnd = ['# Deploy', '', 'Go.', '', '## Build', '', 'Build.', '', fence('build', 'make'), '## Verify', '', 'Check.', '', check('health', ' recover=#restart'), '## Restart', '', 'Again.', '', fence('start', 'systemctl start app')].join('\n');
    expect(warnings(atEnd)).toEqual([]);
    const atStart = ['# Recovery', '', 'Paths.', '', '## Restart', '', 'Again.', '', fence('start', 'systemctl start app'), '## Put back', '', 'Back.', '', fence('back', 'ln -sfn old current'), '', check('health', ' recover=#restart')].join('\n');
    expect(warnings(atStart)).toEqual([]);
  });

  it('is not warned about when the section has no steps of its own', () => {
    const text = ['# Deploy', '', 'Go.', '', '## Build', '', 'B.', '', fence('build', 'make'), '## Restart', '', 'Call the on-call engineer.', '', '## Verify', '', 'V.', '', check('health', ' recover=#restart')].join('\n');
    expect(warnings(text)).toEqual([]);
  });
});
