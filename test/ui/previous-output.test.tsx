/**
 * enter, enter, enter walks a runbook: after a step passes the cursor moves on, and the output
 * of the step that just ran stays in view under the next step's code until that one runs.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { enter, renderSession } from './helpers.js';

afterEach(() => cleanup());

const BOOK = `# Deploy

## Pull

Pull the latest code.

\`\`\`bash {name=pull}
git pull
\`\`\`

## Build

Build it.

\`\`\`bash {name=build}
npm run build
\`\`\`
`;

describe('the output of the step that just ran', () => {
  it('shows under the next step until that one runs, then gives way to its own, which stays when the session ends', async () => {
    const r = await renderSession({ '/rb/d.md': BOOK }, '/rb/d.md', {
      before: (t) => {
        t.shell.reply({ output: 'Updating 1a2b3c..4d5e6f\nFast-forward\n scripts/04-redeploy.sh | 2 +-\n' });
        t.shell.reply({ output: 'built in 3s\n' });
      },
    });
    await r.waitForFrame('enter run');
    r.press(enter);
    await r.waitForFrame('READY 2/2 build');
    await r.waitForFrame('Fast-forward');
    const f = r.frame();
    expect(f).toContain('  npm run build');
    expect(f).toContain('output of pull:');
    expect(f).toContain('Fast-forward');
    for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    r.press(enter);
    // The last step ends the session: its output stays under the summary.
    await r.waitForFrame('ENDED: completed');
    await r.waitForFrame('built in 3s');
    const end = r.frame();
    expect(end).toContain('The session ended: completed.');
    expect(end).toContain('output of build:');
    expect(end).not.toContain('output of pull');
  });
});
