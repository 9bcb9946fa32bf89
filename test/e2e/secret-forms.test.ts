/**
 * Secrets in every form, end to end: the built CLI in plain mode, steps in a real bash in a
 * real pty, the journal and transcripts on disk. A secret var whose value spans lines, the
 * forms bash and the common encoders give it, a token a step exports, and the shell's own
 * temporary state files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => {
  ws.remove();
});

/** The multi-line secret: a key as an operator pastes it into --var. */
const KEY = '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9C\nnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+Cqvj\n-----END KEY-----';

/** Each way the value could be read back from `text`: any line of it, or it base64- or percent-encoded. */
function leaks(text: string, value: string): string[] {
  const found: string[] = [];
  for (const line of value.split('\n')) if (line.length >= 8 && text.includes(line)) found.push(`line ${JSON.stringify(line)}`);
  const b64 = Buffer.from(value).toString('base64');
  for (let at = 0; at + 16 <= b64.length; at += 16) if (text.includes(b64.slice(at, at + 16))) found.push(`base64 piece ${b64.slice(at, at + 16)}`);
  const url = encodeURIComponent(value);
  for (let at = 0; at + 16 <= url.length; at += 16) if (text.includes(url.slice(at, at + 16))) found.push(`percent-encoded piece ${url.slice(at, at + 16)}`);
  return found;
}

function stateText(): Array<{ path: string; text: string }> {
  return ws.stateFiles().filter((f) => !f.dir);
}

describe('a multi-line secret var', () => {
  it('is redacted whole, line by line, shell-quoted, base64 and percent-encoded in stdout, journal and transcripts', async () => {
    ws.write(
      'key.md',
      `---
title: Multi-line secret
vars:
  SIGNING: { prompt: Signing key, secret: true }
---
# Multi-line secret

Print it every way a careless step would.

\`\`\`bash {name=show}
echo "raw: $SIGNING"
printf '%s\\n' "$SIGNING" | head -2 | tail -1
declare -p SIGNING
set | grep -a '^SIGNING='
printf '%q\\n' "$SIGNING"
printf '%s' "$SIGNING" | base64
echo "$SIGNING" | base64 -w0; echo
python3 -c 'import os,urllib.parse as u; print("url=" + u.quote(os.environ["SIGNING"], safe=""))'
\`\`\`

A check that fails prints it too.

\`\`\`check {name=probe}
run: printf '%s\\n' "$SIGNING"; exit 1
retries: 1
\`\`\`
`,
    );
    const r = await ws.run(['run', 'key.md', '--yes'], { STEPGATE_VAR_SIGNING: KEY });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('raw: [REDACTED]');
    expect(r.stdout).toMatch(/declare -x SIGNING=\[REDACTED\]/);
    expect(r.stdout).toContain('url=[REDACTED]');
    expect(leaks(r.stdout, KEY)).toEqual([]);
    expect(leaks(r.stderr, KEY)).toEqual([]);
    const files = stateText();
    expect(files.some((f) => f.path.endsWith('.log') && f.text.includes('raw: [REDACTED]'))).toBe(true);
    for (const f of files) expect(leaks(f.text, KEY), f.path).toEqual([]);
  });
});
