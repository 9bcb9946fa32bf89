/**
 * Secrets in every form, end to end: the built CLI in plain mode, steps in a real bash in a
 * real pty, the journal and transcripts on disk. A secret var whose value spans lines, the
 * forms bash and the common encoders give it, a token a step exports, and the shell's own
 * temporary state files.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
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

describe('a value a step exports under a secret-looking name', () => {
  it('is hidden from the next status report on: stdout, transcripts, journal, the kept shell state', async () => {
    // The value is made by the step: nothing in the runbook or the environment names it.
    ws.write(
      'export.md',
      `# Exported token

\`\`\`bash {name=mint}
export DEPLOY_TOKEN="tk-$(printf '%s' 5c1d)-77e2-minted"
\`\`\`

\`\`\`bash {name=use}
echo "token=$DEPLOY_TOKEN"; printf '%s' "$DEPLOY_TOKEN" | base64
export DEPLOY_NOTE="uses $DEPLOY_TOKEN"
\`\`\`

\`\`\`bash {name=fail}
echo "still $DEPLOY_NOTE"; exit 3
\`\`\`
`,
    );
    const minted = 'tk-5c1d-77e2-minted';
    const r = await ws.run(['run', 'export.md', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('[stepgate] DEPLOY_TOKEN looks secret: its value is redacted from here on');
    expect(r.stdout).toContain('token=[REDACTED]');
    expect(r.stdout).toContain('still uses [REDACTED]');
    expect(r.stdout).not.toContain(minted);
    expect(r.stdout).not.toContain(Buffer.from(minted).toString('base64'));
    const files = stateText();
    // The journal, two transcripts and the shell state kept for a resume (the session is blocked).
    expect(files.some((f) => f.path.endsWith('.shell.json'))).toBe(true);
    for (const f of files) expect(f.text, f.path).not.toContain(minted);
  });
});

describe("the shell's own temporary state", () => {
  it('is 0600 and holds no secret value, and set in a step does not show a copy of the environment', async () => {
    const tmp = join(ws.dir, 'tmp');
    mkdirSync(tmp);
    // The step copies the shell's state files (and what set prints) where the test can read them
    // without the redactor: the files must hold nothing to hide in the first place.
    ws.write(
      'state.md',
      `---
title: Shell state
vars:
  DB_PASSWORD: { prompt: Database password, secret: true }
  SIGNING: { prompt: Signing key, secret: true }
---
# Shell state

\`\`\`bash {name=copy}
export DATABASE_URL="postgres://app:$DB_PASSWORD@db/app" KEY_COPY="$SIGNING" API_KEY=ak-0b9c-learned-88 PLAIN=visible-value
\`\`\`

\`\`\`bash {name=look}
export LEARNED_COPY="$API_KEY"
set > "${ws.dir}/set.txt"
cd "$TMPDIR"/stepgate-state-*/ && stat -c '%a %n' * > "${ws.dir}/modes.txt" && cat * > "${ws.dir}/state.txt"
\`\`\`
`,
    );
    const r = await ws.run(['run', 'state.md', '--yes'], { TMPDIR: tmp, STEPGATE_VAR_DB_PASSWORD: 'pw-4471-horse', STEPGATE_VAR_SIGNING: KEY, SG_ENV_PROBE: 'probe-value-5521' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const modes = readFileSync(join(ws.dir, 'modes.txt'), 'utf8').trim().split('\n');
    expect(modes.length).toBeGreaterThanOrEqual(3);
    for (const line of modes) expect(line).toMatch(/^600 /);
    const state = readFileSync(join(ws.dir, 'state.txt'), 'utf8');
    expect(state).toContain('PLAIN="visible-value"');
    for (const secret of ['pw-4471-horse', 'ak-0b9c-learned-88']) expect(state).not.toContain(secret);
    expect(leaks(state, KEY)).toEqual([]);
    // Their names are listed (the names file); their declarations are left out.
    expect(state.match(/declare -x (?:DATABASE_URL|KEY_COPY|LEARNED_COPY)=.*/g)).toBeNull();
    // The environment shows once, as the step's own variable; no copy of the saved declarations.
    const set = readFileSync(join(ws.dir, 'set.txt'), 'utf8');
    expect(set.split('probe-value-5521').length - 1).toBe(1);
    expect(set).not.toMatch(/declare -x [A-Za-z_]+=/);
    expect(readdirSync(tmp).filter((n) => n.startsWith('stepgate-state-'))).toEqual([]);
  });
});
