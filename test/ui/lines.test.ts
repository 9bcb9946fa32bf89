/**
 * How check attempts and transcripts become rows: the newest attempts get the spare rows for
 * their whole text, and a transcript reads as text (no escapes, the last state of a redrawn
 * line, long lines wrapped).
 */
import { describe, expect, it } from 'vitest';
import { attemptLines, choiceLabel, CONTINUED, describeStep, hardWrap, transcriptLines } from '../../src/ui/lines.js';
import { fit } from '../../src/ui/layout.js';
import { planMain } from '../../src/session/plan.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import type { CheckAttempt } from '../../src/ui/hooks/use-run-log.js';

const attempt = (n: number, error: string, check = 0): CheckAttempt => ({
  type: 'check-attempt',
  at: n,
  depth: 0,
  index: 0,
  key: 'k',
  check,
  target: `http://127.0.0.1/${check}`,
  attempt: n,
  of: 3,
  ok: false,
  latencyMs: 2,
  error,
});

describe('attemptLines', () => {
  const long = `bad status 503 (expected 200-299): ${'x'.repeat(150)}END`;

  it('gives every attempt a row, and the spare rows to the newest one whole', () => {
    const rows = attemptLines([attempt(1, 'refused'), attempt(2, 'refused'), attempt(3, long)], 60, 6).map((l) => l.text);
    expect(rows[0]).toBe('  1/3 refused (2ms)');
    expect(rows[1]).toBe('  2/3 refused (2ms)');
    expect(rows.slice(2).join('')).toContain('END (2ms)');
    expect(rows.every((r) => r.length <= 60)).toBe(true);
  });

  it('gives the latest attempt its whole text first, then earlier attempts one row each, cut with an ellipsis', () => {
    const rows = attemptLines([attempt(1, long), attempt(2, long), attempt(3, long)], 60, 3).map((l) => l.text);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.slice(0, 6))).toEqual(['  3/3 ', '      ', '      ']);
    expect(rows[2]?.endsWith('…')).toBe(true);
    const five = attemptLines([attempt(1, long), attempt(2, long), attempt(3, long)], 60, 6).map((l) => l.text);
    expect(five.map((r) => r.slice(0, 5))).toEqual(['  1/3', '  2/3', '  3/3', '     ', '     ', '     ']);
    expect(five[0]?.endsWith('…')).toBe(true);
    expect(five.slice(2).join(' ')).toContain('END (2ms)');
    expect(attemptLines([attempt(1, long), attempt(2, long)], 60, 1).map((l) => l.text.slice(0, 5))).toEqual(['  2/3']);
    expect(attemptLines([attempt(1, long)], 60, 0)).toEqual([]);
  });

  it('leads a failed row with what explains it and wraps the rest at word boundaries within 80 columns', () => {
    const body = '{"status":"failing","version":"1.1.0","reason":"database unreachable (simulated: DEMO_UNHEALTHY=1)"}';
    const a: CheckAttempt = { ...attempt(5, `bad status 503 (expected 200-299): ${body}`), of: 5, name: 'demo /healthz', why: 'failing: database unreachable (simulated: DEMO_UNHEALTHY=1)' };
    const rows = attemptLines([a], 80, 8).map((l) => l.text);
    expect(rows[0]).toBe('  5/5 failing: database unreachable (simulated: DEMO_UNHEALTHY=1) · bad status');
    expect(rows.slice(1).every((r) => r.startsWith('      ') && r.length <= 80)).toBe(true);
    // No word is cut: joined back, the text is whole.
    expect(rows.map((r) => r.trim()).join(' ')).toBe(`5/5 failing: database unreachable (simulated: DEMO_UNHEALTHY=1) · bad status 503 (expected 200-299): ${body} (2ms)`);
  });

  it('shows every check of a block: the latest attempt of each, after the earlier ones', () => {
    const a = (n: number, check: number, ok: boolean): CheckAttempt => ({ ...attempt(n, 'refused', check), ok, ...(ok ? { status: 200 } : {}) });
    const rows = attemptLines([a(1, 0, false), a(1, 1, true), a(1, 2, false), a(2, 0, false), a(2, 2, false)], 80, 3).map((l) => l.text);
    expect(rows).toEqual(['  2/3 http://127.0.0.1/0: refused (2ms)', '  1/3 http://127.0.0.1/1: ok 200 (2ms)', '  2/3 http://127.0.0.1/2: refused (2ms)']);
  });

  it('names the check when the step has several', () => {
    const rows = attemptLines([attempt(1, 'refused', 0), attempt(1, 'refused', 1)], 80).map((l) => l.text);
    expect(rows).toEqual(['  1/3 http://127.0.0.1/0: refused (2ms)', '  1/3 http://127.0.0.1/1: refused (2ms)']);
  });
});

describe('transcriptLines', () => {
  it('drops terminal escapes, keeps the last state of a redrawn line, and wraps long lines', () => {
    const text = '\u001B[32mgreen\u001B[0m done\r\nprogress 10%\rprogress 100%\n' + 'y'.repeat(25) + '\n\n';
    expect(transcriptLines(text, 10)).toEqual(['green done', 'progress ', '100%', 'yyyyyyyyyy', 'yyyyyyyyyy', 'yyyyy', '']);
  });

  it('wraps a long line at its spaces, and its rows joined are the line', () => {
    const line = 'failing: database unreachable (simulated: DEMO_UNHEALTHY=1) · bad status 503 (expected 200-299): {"status":"failing","version":"1.1.0"}';
    const rows = transcriptLines(`${line}\n`, 30);
    expect(rows.join('')).toBe(line);
    expect(rows).toEqual(['failing: database unreachable ', '(simulated: DEMO_UNHEALTHY=1) ', '· bad status 503 (expected ', '200-299): ', '{"status":"failing","version":', '"1.1.0"}']);
  });

  it('says so when there is nothing', () => {
    expect(transcriptLines('', 80)).toEqual(['(the transcript is empty)']);
  });

  // The lines go to the operator's terminal as they are: a shift-out, a charset switch (tput
  // sgr0 writes ESC ( B), a full reset (ESC c) or a keypad mode would garble or reset the TUI.
  it('leaves no control character or escape that the terminal would obey', () => {
    const text = 'bold\u001B(B\u001B[m off\nbin\u000Eary\u000F\u0007\u0008!\n\u001Bcreset \u001B7saved\u001B8 \u001B=keypad\u001B>\n\u001B(0lqk\u001B(B box\n\u009B31mC1\u007F\n\u001B]0;title\u0007osc\n';
    const lines = transcriptLines(text, 80);
    expect(lines).toEqual(['bold off', 'binary!', 'reset saved keypad', 'lqk box', 'C1', 'osc']);
    for (const line of lines) expect(line).not.toMatch(/[\u0000-\u001F\u007F-\u009F]/);
  });

  it('and neither does an attempt row quoting a response body', () => {
    const row = attemptLines([{ ...attempt(1, 'bad status 500'), output: 'oops \u001B(0\u000Egarbled\u001Bc' }], 80);
    expect(row.map((l) => l.text)).toEqual(['  1/3 bad status 500: oops garbled (2ms)']);
  });
});

describe('hardWrap', () => {
  it('indents rows after the first', () => {
    expect(hardWrap('abcdefghijklmnop', 10, 4)).toEqual(['abcdefghij', '    klmnop']);
  });
});

describe('describeStep', () => {
  it('wraps a long code line under itself instead of cutting it: every character of what enter runs is shown', () => {
    const long = 'APP_VERSION="$(basename "$(readlink current)")" setsid -f python3 current/server.py --port "$PORT" --log /var/log/app/server.log';
    const book = parseRunbook(`# Deploy\n\nStart it.\n\n\`\`\`bash {name=start}\ncd /srv/app\n${long}\n\`\`\`\n`, '/rb/d.md');
    const item = planMain(book, new Map([[book.file, book]])).items[0];
    if (!item) throw new Error('no step');
    const rows = describeStep(item, 60).filter((l) => l.tone === 'code').map((l) => l.text);
    expect(rows[0]).toBe('  cd /srv/app');
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.every((r) => r.length <= 60)).toBe(true);
    expect(rows.slice(2).every((r) => r.startsWith(`  ${CONTINUED}`))).toBe(true);
    expect(rows[1]?.slice(2) + rows.slice(2).map((r) => r.slice(4)).join('')).toBe(long);
  });

  it('measures a tab-indented line as the pane shows it, so no row is cut again', () => {
    const line = '\t\tsetsid -f python3 current/server.py --port 8080 --log /var/log/app/server.log';
    const book = parseRunbook(`# Deploy\n\nStart it.\n\n\`\`\`bash {name=start}\n${line}\n\`\`\`\n`, '/rb/d.md');
    const item = planMain(book, new Map([[book.file, book]])).items[0];
    if (!item) throw new Error('no step');
    const rows = describeStep(item, 40).filter((l) => l.tone === 'code').map((l) => fit(l.text, 40));
    expect(rows.some((r) => r.endsWith('…'))).toBe(false);
    expect(rows.map((r, i) => r.slice(i === 0 ? 2 : 4)).join('')).toBe(line.replace(/\t/g, '  '));
  });
});

describe('choiceLabel', () => {
  it('lets a long recovery path give way to what the path does, within the row', () => {
    const choice = { kind: 'recover' as const, index: 0, path: { label: 'recovery.md#roll-back-to-the-previous-release', origin: 'step' as const, file: '/rb/recovery.md', anchor: 'roll-back-to-the-previous-release' } };
    const label = choiceLabel(choice, '/rb/deploy.md', ' (3 steps, rolls back)', 66);
    expect(label.length).toBeLessThanOrEqual(66);
    expect(label).toMatch(/^recover: recovery\.md#roll-back-to-the-prev.*… \(3 steps, rolls back\)$/);
    // With room, the path is whole.
    expect(choiceLabel(choice, '/rb/deploy.md', ' (3 steps, rolls back)')).toBe('recover: recovery.md#roll-back-to-the-previous-release (3 steps, rolls back)');
  });
});
