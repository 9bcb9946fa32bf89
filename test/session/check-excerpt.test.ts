/**
 * A failed check attempt carries the head of the body (or `run:` output) into the journal
 * when its error does not quote it already, so a gate rebuilt from the journal can show it.
 */
import { describe, expect, it } from 'vitest';
import { OUTPUT_EXCERPT, outputExcerpt, transcriptHeadline } from '../../src/session/checks.js';
import { auditTrail } from '../../src/session/history.js';
import { fail, pass } from '../fakes/fake-probe.js';
import { fakeSession } from '../fakes/session.js';
import { runToNextBlock } from '../fakes/walk.js';

describe('outputExcerpt', () => {
  it('keeps the head of what a failed attempt received, whitespace collapsed and bounded', () => {
    expect(outputExcerpt(fail('response does not contain "ready"', { status: 200, output: '{\n  "status": "starting"\n}\n' }))).toBe('{ "status": "starting" }');
    expect(outputExcerpt(fail('exit status 3', { exitCode: 3, output: 'replica lag 42s\n' }))).toBe('replica lag 42s');
    expect(outputExcerpt(fail('exit status 1', { output: 'x'.repeat(5000) }))).toHaveLength(OUTPUT_EXCERPT);
  });

  it('reads an HTML error page for its title, else its text (a trial\'s gate led with <!DOCTYPE HTML>)', () => {
    const page = '<!DOCTYPE HTML>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found.</p></body></html>';
    expect(outputExcerpt(fail(`bad status 404 (expected 2xx): ${page.slice(0, 200)}`, { status: 404, output: page }))).toBe('404 Not Found');
    const untitled = '<html>\n<body><style>h1{color:red}</style><h1>Service Unavailable</h1>\n<p>Back soon.</p></body></html>';
    expect(outputExcerpt(fail('bad status 503 (expected 2xx): <html>', { status: 503, output: untitled }))).toBe('Service Unavailable Back soon.');
    // Not HTML: as it came.
    expect(outputExcerpt(fail('exit status 1', { output: 'a <b>bold</b> claim' }))).toBe('a <b>bold</b> claim');
  });

  it('leaves it out when the error quotes it already, when there is none, and for a pass', () => {
    const body = '{"status":"degraded","db":"down"}';
    expect(outputExcerpt(fail(`bad status 503 (expected 200-299): ${body}`, { status: 503, output: body }))).toBeUndefined();
    expect(outputExcerpt(fail('connection refused'))).toBeUndefined();
    expect(outputExcerpt(fail('exit status 1', { output: '  \n' }))).toBeUndefined();
    expect(outputExcerpt(pass({ output: 'ok' }))).toBeUndefined();
  });

  it('is journaled with the attempt', async () => {
    const t = fakeSession({
      '/rb/ready.md': '# Ready\n\n## Ready\n\n```check {name=ready}\nhttp: http://127.0.0.1:8081/ready\ncontains: ready\nretries: 1\n```\n',
    });
    t.probes.script('http://127.0.0.1:8081/ready', fail('response does not contain "ready"', { status: 200, output: '{"status":"starting"}' }));
    await t.actions.start({ file: '/rb/ready.md' });
    await runToNextBlock(t.store);
    const attempt = t.journal.events.find((e) => e.type === 'check-attempt');
    expect(attempt).toMatchObject({ ok: false, error: 'response does not contain "ready"', output: '{"status":"starting"}' });
    // The audit trail says it too.
    expect(auditTrail(t.journal.events).join('\n')).toContain('check http://127.0.0.1:8081/ready 1/1: failed: response does not contain "ready": {"status":"starting"} status 200');
  });

  it('never journals a piece of a secret: the body is redacted before its head is cut and its spaces collapsed', async () => {
    const secret = 'tok-5c1d9e77a0b24f3e8d6c';
    const spaced = 'two  spaced\nsecret words';
    const t = fakeSession({
      '/rb/ready.md':
        '---\ntitle: Ready\nvars:\n  API_TOKEN: { prompt: Token, secret: true }\n  PHRASE: { prompt: Phrase, secret: true }\n---\n# Ready\n\n## Ready\n\n```check {name=ready}\nhttp: http://127.0.0.1:8081/ready\ncontains: ready\nretries: 1\n```\n',
    });
    // The secret straddles the excerpt's end; the phrase is whole but holds a newline and two spaces.
    const output = `${spaced} ${'x'.repeat(OUTPUT_EXCERPT - spaced.length - 11)}${secret} tail`;
    t.probes.script('http://127.0.0.1:8081/ready', fail('response does not contain "ready"', { status: 200, output }));
    await t.actions.start({ file: '/rb/ready.md' });
    await t.actions.answerVar(secret);
    await t.actions.answerVar(spaced);
    await runToNextBlock(t.store);
    const attempt = t.journal.events.find((e) => e.type === 'check-attempt');
    expect(attempt).toMatchObject({ ok: false });
    const dump = t.journal.dump();
    expect(dump).not.toContain(secret.slice(0, 8));
    expect(dump).not.toContain('two spaced');
    expect(dump).not.toContain('secret words');
  });

  it('stepgate log shows what a server sent without letting it drive the terminal', async () => {
    const t = fakeSession({
      '/rb/ready.md': '# Ready\n\n## Ready\n\n```check {name=ready}\nhttp: http://127.0.0.1:8081/ready\ncontains: ready\nretries: 1\n```\n',
    });
    // A body that would clear the screen, retitle the window, ring the bell and overwrite the line.
    const hostile = '\u001Bc\u001B]0;owned\u0007\u001B[2Jstarting\u0007\rfine\u001B(B';
    t.probes.script('http://127.0.0.1:8081/ready', fail(`bad status 503 (expected 200-299): ${hostile}`, { status: 503, output: hostile }));
    await t.actions.start({ file: '/rb/ready.md' });
    await runToNextBlock(t.store);
    const trail = auditTrail(t.journal.events).join('\n');
    expect(trail).toContain('bad status 503 (expected 200-299): startingfine');
    expect(trail).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/);
  });
});

describe('transcriptHeadline', () => {
  it('drops the body head the error quotes, since the transcript shows the whole body under it', () => {
    const body = 'unhealthy: release 2 cannot reach its database\n  retry later\n';
    expect(transcriptHeadline(fail('bad status 503 (expected 2xx): unhealthy: release 2 cannot reach its database retry later', { status: 503, output: body }))).toBe('bad status 503 (expected 2xx)');
    // An error that quotes something else, or no output, stays whole.
    expect(transcriptHeadline(fail('timeout after 500ms waiting for http://127.0.0.1:1/x: no answer', { output: 'partial' }))).toBe('timeout after 500ms waiting for http://127.0.0.1:1/x: no answer');
    expect(transcriptHeadline(fail('exit status 3'))).toBe('exit status 3');
  });
});
