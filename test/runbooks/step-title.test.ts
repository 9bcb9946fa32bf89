import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { isNamed, stepTitle } from '../../src/runbooks/step-title.js';
import { clip } from '../../src/session/word-wrap.js';

const RUNBOOK = `# Titles

## Pre-deploy

- [ ] The team knows a redeploy
  is starting.

## Work

Stop the service. Then wait for the queue to drain.

\`\`\`bash
./stop.sh
\`\`\`

\`\`\`bash
# comments say nothing of what runs

./start.sh --port 8080
\`\`\`

Run the restart:

\`\`\`bash {name=restart}
./restart.sh
\`\`\`

\`\`\`check
http: http://127.0.0.1:8080/healthz
\`\`\`

## Restart

\`\`\`bash {name=restart}
./restart.sh again
\`\`\`
`;

describe('stepTitle', () => {
  const { steps } = parseRunbook(RUNBOOK, '/rb/titles.md');
  const byLine = (text: string) => steps.find((s) => (s.kind === 'manual' ? s.text : s.kind === 'command' ? s.script : JSON.stringify(s.checks)).includes(text));

  it('says what a step is in its own words, never by an id the parser made up', () => {
    const manual = byLine('The team knows');
    expect(manual?.id).toBe('pre-deploy-1');
    expect(stepTitle(manual!)).toBe('The team knows a redeploy is starting.');
    // The first sentence of the prose: the rest explains, the title names.
    expect(stepTitle(byLine('./stop.sh')!)).toBe('Stop the service.');
    // No prose: the first command, past comments and blank lines.
    expect(stepTitle(byLine('./start.sh')!)).toBe('./start.sh --port 8080');
    expect(stepTitle(byLine('healthz')!)).toBe('http http://127.0.0.1:8080/healthz');
  });

  it("keeps an author's name, which is a handle the operator types, and only that", () => {
    const named = steps.find((s) => s.kind === 'command' && s.script.trim() === './restart.sh');
    expect(named && isNamed(named)).toBe(true);
    expect(stepTitle(named!)).toBe('restart');
    // The same name again is a lint error; the step's id is made up, so its title comes from elsewhere.
    const clash = byLine('./restart.sh again');
    expect(clash?.id).not.toBe('restart');
    expect(isNamed(clash!)).toBe(false);
    expect(stepTitle(clash!, 'Restart')).toBe('./restart.sh again');
    expect(isNamed(byLine('./stop.sh')!)).toBe(false);
  });
});

describe('clip', () => {
  it('cuts at a word boundary with an ellipsis, within the width', () => {
    const text = 'Record the release that runs now, so that a roll back knows where to return.';
    expect(clip(text, 100)).toBe(text);
    expect(clip(text, 40)).toBe('Record the release that runs now, so…');
    // A trailing comma before the cut is dropped: "now,…" reads as a typo.
    expect(clip(text, 35)).toBe('Record the release that runs now…');
    for (let w = 1; w <= text.length; w++) expect(clip(text, w).length).toBeLessThanOrEqual(w);
  });

  it('cuts a long word where it stands rather than leave most of the row empty', () => {
    expect(clip('see https://example.com/a/very/long/path/to/a/page', 20)).toBe('see https://example…');
    expect(clip('abc', 0)).toBe('');
  });
});
