/**
 * `stepgate run` on a real terminal (node-pty): keys typed reach the running step with the
 * step's own echo, and Ctrl-C interrupts the step and ends the run with 130.
 */
import { mkdirSync } from 'node:fs';
import pty from 'node-pty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';
import { Workspace } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

interface Term {
  output(): string;
  write(data: string): void;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  exit: Promise<number>;
}

function spawnTerm(args: string[], cols = 100, rows = 30): Term {
  const env = Object.fromEntries(Object.entries(ws.env()).filter((e): e is [string, string] => e[1] !== undefined));
  const p = pty.spawn(process.execPath, [CLI, ...args], { cols, rows, cwd: ws.dir, env });
  let out = '';
  p.onData((d) => (out += d));
  const exit = new Promise<number>((resolve) => p.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    output: () => out,
    write: (data) => p.write(data),
    waitFor: (text, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = (): void => {
          if (out.includes(text)) return resolve();
          if (Date.now() - started > timeoutMs) return reject(new Error(`no "${text}" after ${timeoutMs}ms in:\n${out}`));
          setTimeout(poll, 20);
        };
        poll();
      }),
    exit,
  };
}

describe('stepgate run on a terminal', () => {
  it('forwards typed keys to the running step (a y/n prompt)', async () => {
    ws.write('ask.md', '# Ask\n\nAsk the operator.\n\n```bash {name=ask}\nread -r -p "proceed? " answer; echo "got:$answer"\n```\n');
    const t = spawnTerm(['run', 'ask.md']);
    await t.waitFor('proceed? ');
    t.write('yes\r');
    expect(await t.exit).toBe(0);
    expect(t.output()).toContain('got:yes');
    expect(t.output()).toContain('== completed ==');
  });

  it('says when a step has gone quiet on a question, and the answer still reaches it', async () => {
    ws.write('pw.md', '# Pw\n\nAsk for a password.\n\n```bash {name=pw}\nread -r -s -p "[sudo] password for ops: " pw; echo; echo "len:${#pw}"\n```\n');
    const t = spawnTerm(['run', 'pw.md']);
    await t.waitFor('[stepgate] the step may be waiting for input: it printed "[sudo] password for ops:" and nothing since');
    t.write('hunter2\r');
    expect(await t.exit).toBe(0);
    expect(t.output()).toContain('len:7');
    expect(t.output()).not.toContain('hunter2');
  });

  it('does not say so of a prompt answered before the wait, whose step then goes on quietly (review)', async () => {
    ws.write('pw2.md', '# Pw2\n\nAsk for a password.\n\n```bash {name=pw}\nread -r -s -p "Password: " pw; sleep 4; echo "len:${#pw}"\n```\n');
    const t = spawnTerm(['run', 'pw2.md']);
    await t.waitFor('Password: ');
    t.write('hunter2\r');
    expect(await t.exit).toBe(0);
    expect(t.output()).toContain('len:7');
    expect(t.output()).not.toContain('may be waiting for input');
  });

  it('does not say so of a step quiet after a whole line, even one ending in a colon', async () => {
    ws.write('lines.md', '# Lines\n\nPrint lines.\n\n```bash {name=lines}\necho "note: starting:"; sleep 3; echo done\n```\n');
    const u = spawnTerm(['run', 'lines.md', '--yes']);
    expect(await u.exit).toBe(0);
    expect(u.output()).toContain('done');
    expect(u.output()).not.toContain('may be waiting for input');
  });

  it('forwards keys to a confirm= step once the operator said yes (the question and the step share the terminal)', async () => {
    ws.write('ask.md', '# Ask\n\nAsk the operator.\n\n```bash {name=ask confirm}\nread -r -p "proceed? " answer; echo "got:$answer"\n```\n');
    const t = spawnTerm(['run', 'ask.md']);
    await t.waitFor('[y/N]');
    t.write('y\r');
    await t.waitFor('proceed? ');
    t.write('yes\r');
    expect(await t.exit).toBe(0);
    expect(t.output()).toContain('got:yes');
    expect(t.output()).toContain('== completed ==');
  });

  it('Ctrl-C typed on the terminal interrupts the step, journals it, and exits 130', async () => {
    ws.write('slow.md', '# Slow\n\n```bash {name=slow}\necho sleeping; sleep 20\n```\n');
    const t = spawnTerm(['run', 'slow.md']);
    await t.waitFor('sleeping');
    t.write('\u0003');
    expect(await t.exit).toBe(130);
    const [id] = ws.sessionIds();
    expect(ws.events(id ?? '').at(-1)).toMatchObject({ type: 'step-finished', interrupted: true, ok: false });
  });
});

/** The lines a terminal got (CRLF), without the last empty one. */
function termLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line, i, all) => i < all.length - 1 || line !== '');
}

/**
 * What `stepgate sessions` printed before its notes about other users' detached TUIs: another
 * test's (attach-other-user.test.ts, run alongside) is noted there, as it should be (10 lines
 * once in CI). The table is what these tests are about.
 */
function ownLines(text: string): string[] {
  const lines = termLines(text);
  const noted = lines.findIndex((line) => line.startsWith('note: '));
  return noted < 0 ? lines : lines.slice(0, noted);
}

describe('tables on an 80-column terminal', () => {
  it('stepgate sessions fits 80 columns on a terminal (cells cut with an ellipsis) and is whole in a pipe', async () => {
    mkdirSync(`${ws.dir}/a-rather-long-directory-of-runbooks-for-the-service`);
    const file = 'a-rather-long-directory-of-runbooks-for-the-service/redeploy-the-production-service.md';
    ws.write(file, '# Redeploy\n\n## Go\n\nDeploy it.\n\n```bash {name=deploy-the-application-release-now}\nexit 4\n```\n');
    expect((await ws.run(['run', file, '--yes'])).code).toBe(1);
    const piped = await ws.run(['sessions']);
    const row = piped.stdout.split('\n')[1] ?? '';
    expect(row).toContain('blocked at deploy-the-application-release-now');
    expect(row).toContain(file);
    expect(row.length).toBeGreaterThan(80);

    const t = spawnTerm(['sessions'], 80);
    expect(await t.exit).toBe(0);
    const lines = ownLines(t.output());
    expect(lines, t.output()).toHaveLength(2);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^id +.*state +runbook$/);
    expect(lines[1]).toMatch(/^\d{8}-\d{6}-\w+ +\S+ +blocked at deploy-the-applicati\S*… +…\S*service\.md$/);
  });

  it('stepgate sessions shows the newest sessions that fit the terminal\'s height and counts the rest; a pipe and --all get every one', async () => {
    ws.write('stuck.md', '# Stuck\n\n## Go\n\nFails.\n\n```bash {name=boom}\nexit 4\n```\n');
    ws.write('fine.md', '# Fine\n\n## Go\n\nPasses.\n\n```bash {name=fine}\ntrue\n```\n');
    expect((await ws.run(['run', 'stuck.md', '--yes'])).code).toBe(1);
    for (let i = 0; i < 6; i++) expect((await ws.run(['run', 'fine.md', '--yes'])).code).toBe(0);
    const newest = ws.sessionIds().at(-1);
    // 8 rows: the header, 5 sessions, the line that counts the rest, the prompt.
    const t = spawnTerm(['sessions'], 80, 8);
    expect(await t.exit).toBe(0);
    const lines = ownLines(t.output());
    expect(lines, t.output()).toHaveLength(7);
    expect(lines[1]).toContain(newest);
    expect(lines.slice(1, 6).every((line) => line.includes('completed'))).toBe(true);
    expect(lines[6]).toBe('(2 older sessions not shown, 1 of them unfinished: stepgate sessions | less)');
    const all = spawnTerm(['sessions', '--all'], 80, 8);
    expect(await all.exit).toBe(0);
    expect(ownLines(all.output())).toHaveLength(8);
    expect(ownLines((await ws.run(['sessions'])).stdout)).toHaveLength(8);
  });

  it('stepgate log wraps its lines at words within 80 columns on a terminal, under the text after the time; a pipe gets them whole', async () => {
    const said = 'the application answered with a long complaint about its configuration file and the port it wants';
    ws.write('long.md', `# Long\n\n## Go\n\nCheck it.\n\n\`\`\`check {name=health}\nname: app\nrun: echo "${said}"; exit 1\nretries: 1\n\`\`\`\n`);
    expect((await ws.run(['run', 'long.md', '--yes'])).code).toBe(1);
    const [id] = ws.sessionIds();
    const piped = await ws.run(['log', id ?? '']);
    expect(piped.stdout.split('\n').some((line) => line.length > 80 && line.includes(said))).toBe(true);
    const t = spawnTerm(['log', id ?? ''], 80);
    expect(await t.exit).toBe(0);
    const lines = termLines(t.output());
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    const first = lines.findIndex((line) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}\s*check app 1\/1: failed/.test(line));
    expect(first).toBeGreaterThan(0);
    // Its next row is the same line wrapped under the text, not a new entry.
    expect(lines[first + 1]).toMatch(/^ {22,}\S/);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain(said);
  });

  it('the end-of-run summary wraps a long note at word boundaries under its column, within 80 columns', async () => {
    const said = 'the app answered with a complaint about its config';
    ws.write('note.md', `# Note\n\n## Go\n\nPrepare.\n\n\`\`\`bash {name=prep}\necho ok\n\`\`\`\n\nCheck it.\n\n\`\`\`check {name=health}\nname: app\nrun: echo "${said}"; exit 1\nretries: 1\n\`\`\`\n`);
    const t = spawnTerm(['run', 'note.md', '--yes'], 80);
    expect(await t.exit).toBe(1);
    const lines = termLines(t.output());
    const top = lines.findIndex((line) => /^# +step +phase +status +runs +time +note$/.test(line));
    expect(top).toBeGreaterThan(0);
    const table = lines.slice(top);
    for (const line of table) expect(line.length).toBeLessThanOrEqual(80);
    const row = table.findIndex((line) => line.startsWith('2  health'));
    const column = (table[0] ?? '').indexOf('note');
    expect(table[row]?.slice(column)).toMatch(/^app failed after 1 attempt: /);
    const rest = table.slice(row + 1);
    expect(rest.length).toBeGreaterThan(0);
    for (const line of rest) expect(line).toMatch(new RegExp(`^ {${column}}\\S`));
    // Cut only between words: the rows read back as the note.
    expect([table[row]?.slice(column), ...rest.map((line) => line.trim())].join(' ')).toBe(`app failed after 1 attempt: ${said} (exit status 1)`);

    // In a pipe the table keeps one row per step.
    const piped = await ws.run(['run', 'note.md', '--yes']);
    expect(piped.stdout.split('\n').filter((line) => line.startsWith('2  health'))).toHaveLength(1);
  });
});
