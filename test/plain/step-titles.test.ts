/**
 * Plain mode says which step it is at in the step's own words: an id the parser made up
 * (`pre-deploy-1`, `work-2`) only where it is a handle the operator types (`--skip work-2=...`).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { printEvents, summaryTable } from '../../src/plain/print-events.js';
import { runPlain } from '../../src/plain/run-plain.js';
import { fakeSession } from '../fakes/session.js';

const FILE = '/rb/unnamed.md';

const UNNAMED = `# Redeploy without names

## Pre-deploy

- [ ] The team in the deploy channel knows that a redeploy of the payments service is starting now.

## Work

Stop the payments service and wait until its last worker has drained the queue completely. It can take minutes.

\`\`\`bash
./stop-and-drain.sh
\`\`\`

\`\`\`bash {name=start}
./start.sh
\`\`\`
`;

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return () => text;
}

describe('plain mode names steps by their titles', () => {
  it('in step headers, the block and the summary table, keeping the id only in the --skip command', async () => {
    const t = fakeSession({ [FILE]: UNNAMED });
    t.shell.reply({ output: 'queue not drained\n', exitCode: 3 });
    const out = new PassThrough();
    const text = collect(out);
    await t.actions.start({ file: FILE });
    const stop = printEvents(t.store, out, '/rb');
    const end = await runPlain(t.store, { yes: true, recover: false, vars: {}, env: {}, out, cwd: '/rb', interrupted: () => false });
    stop();
    expect(end).toBe('blocked');
    const printed = text();
    // Its prose's first sentence is its title: not printed twice.
    expect(printed).toContain('-- [2/3] main · Stop the payments service and wait until its last… (bash) --\n');
    expect(printed).not.toContain('It can take minutes');
    expect(printed).toContain('-- [x] The team in the deploy channel knows that a redeploy of the payments\n       service is starting now. (confirmed by --yes, run by alice)');
    expect(printed).toContain('BLOCKED at step "Stop the payments service and wait until its last…"\n  (unnamed.md:11)');
    expect(printed).toContain('  skip:     stepgate resume 20250101-120000-abcdef --skip work-1=REASON\n');
    expect(printed.replace('--skip work-1=REASON', '')).not.toMatch(/work-\d|pre-deploy-\d/);
    // The ways out are commands to paste: they fit whole too.
    for (const line of printed.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);

    const table = summaryTable(t.state(), 80).split('\n');
    expect(table[1]).toMatch(/^1 {2}The team in the deploy channel… +main +passed/);
    expect(table[2]).toMatch(/^2 {2}Stop the payments service and wait… +main +failed/);
    expect(table[3]).toMatch(/^3 {2}start +main +pending/);
    for (const line of table) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});
