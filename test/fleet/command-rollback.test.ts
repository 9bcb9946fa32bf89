/**
 * A `rollback` step in the main flow: when it passes, `stepgate run` ends the session as
 * rolled back and runs nothing after it. The Command document must do the same on a host: the
 * steps after it are not carried, and a last step fails the command on purpose, so a
 * rolled-back host never reports success. The document's shell runs here in sh, as the
 * agent would run it, beside `stepgate run` of the same runbook.
 */
import { userInfo } from 'node:os';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAutomationDocument, exportCommandDocument, formatProblem, validateDocument } from '../../src/fleet/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { replay } from '../../src/session/reducer.js';
import { Workspace } from '../e2e/plain-harness.js';
import { runCommandDocument } from './agent-sim.js';

/** The user the test runs as: what `--as` gives a runbook that names none, as `stepgate run` runs it. */
const USER = userInfo().username;

let ws: Workspace;
beforeAll(() => {
  ws = new Workspace();
});
afterAll(() => ws.remove());

const RUNBOOK = (dir: string): string => `---
title: Put it back
cwd: ${dir}
---
# Put it back

## Steps

\`\`\`bash {name=stop}
echo stop >> order.log
\`\`\`

\`\`\`bash {name=previous rollback}
echo previous >> order.log
\`\`\`

\`\`\`bash {name=start}
echo start >> order.log
\`\`\`
`;

describe('a rollback step in a Command document', () => {
  it('ends the command there, failed, as stepgate run ends rolled back', { timeout: 120_000 }, async () => {
    const file = ws.write('put-back.md', RUNBOOK(ws.dir));
    const exported = exportCommandDocument(parseRunbook(readFileSync(file, 'utf8'), file), () => undefined, { user: USER });
    if (!exported.ok) throw new Error(exported.problems.map(formatProblem).join('\n'));
    expect(validateDocument(exported.document, 'command')).toEqual([]);
    expect(exported.document.mainSteps.map((s) => s.name)).toEqual(['stop', 'previous', 'stepgate_rolled_back']);

    const log = join(ws.dir, 'order.log');
    const before = ws.sessionIds();
    const run = await ws.run(['run', file, '--yes']);
    const id = ws.newSessionId(before);
    const finished = ws.events(id).flatMap((e) => (e.type === 'step-finished' ? [e.key.split('#').at(-1)] : []));
    expect(replay(ws.events(id)).status).toMatchObject({ kind: 'ended', outcome: 'rolled-back' });
    const stepgateOrder = readFileSync(log, 'utf8');
    rmSync(log);

    const simulated = await runCommandDocument(exported.document, {});
    expect(simulated.map((s) => s.name)).toEqual([...finished, 'stepgate_rolled_back']);
    expect(simulated.at(-1)).toMatchObject({ exitCode: 1, stderr: 'stepgate: rollback step previous passed: the run ends rolled back\n' });
    expect(readFileSync(log, 'utf8')).toBe(stepgateOrder);
    expect(stepgateOrder).toBe('stop\nprevious\n');
    expect(run.code).not.toBe(0);
    expect(existsSync(log)).toBe(true);
  });
});

describe('what is never carried is never refused', () => {
  it('a manual item after a rollback step, and an interactive step in a path after a rollback path, ask for nothing', () => {
    const text = `---
title: After the end
---
# After the end

## Steps

\`\`\`bash {name=fix recover=#put-back}
make
\`\`\`

If that fails, [roll back](#put-back) or [the console](#console).

\`\`\`bash {name=previous rollback}
git checkout -
\`\`\`

- [ ] tell the channel

## Put back

\`\`\`bash {name=undo rollback}
git checkout -
\`\`\`

## Console

\`\`\`bash {name=console interactive}
psql
\`\`\`
`;
    const runbook = parseRunbook(text, '/rb/after.md');
    const command = exportCommandDocument(runbook, () => undefined, { user: USER });
    expect(command.ok ? [] : command.problems.map(formatProblem)).toEqual([]);
    const automation = exportAutomationDocument(runbook, () => undefined, { user: USER });
    expect(automation.ok ? [] : automation.problems.map(formatProblem)).toEqual([]);
    if (!automation.ok) return;
    expect(automation.document.mainSteps.map((s) => s.name)).toEqual(['stepgate_install_scripts', 'fix', 'fix_recover_1_undo', 'fix_rolled_back_1', 'previous', 'previous_recover_1_undo', 'previous_rolled_back_1', 'previous_rolled_back']);
  });
});
