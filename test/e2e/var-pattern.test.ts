/**
 * A var's `pattern:` with the built CLI: a value given on the command line or in the
 * environment that the pattern refuses stops `run` before a session exists (no journal), at the
 * var's declaration; a value it takes runs as before.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => {
  ws.remove();
});

const PORTED = `---
title: Ported
vars:
  PORT: { prompt: the port, default: "8080", pattern: "[0-9]{1,5}" }
---
# Ported

\`\`\`bash {name=show}
echo "port=$PORT"
\`\`\`
`;

describe("a var's pattern in plain mode", () => {
  it('refuses a --var or STEPGATE_VAR_ value it does not match before any session, and runs one it matches', async () => {
    ws.write('ported.md', PORTED);
    const flag = await ws.run(['run', 'ported.md', '--var', 'PORT=n', '--yes']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(`ported.md:4: error: --var PORT: "n" does not match its pattern [0-9]{1,5}`);
    const fromEnv = await ws.run(['run', 'ported.md', '--yes'], { STEPGATE_VAR_PORT: '80 80' });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain(`ported.md:4: error: STEPGATE_VAR_PORT: "80 80" does not match its pattern [0-9]{1,5}`);
    expect(ws.sessionIds()).toEqual([]);
    // preflight refuses it as run does.
    const checked = await ws.run(['preflight', 'ported.md', '--var', 'PORT=n']);
    expect(checked.code).toBe(2);
    expect(checked.stderr).toContain('ported.md:4: error: --var PORT: "n" does not match its pattern [0-9]{1,5}');

    const good = await ws.run(['run', 'ported.md', '--var', 'PORT=9090', '--yes']);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('port=9090');
  });
});
