/**
 * Commands as data: each command's spec gives its usage error lines, `--help` and the options
 * parseArgs reads; a wrong flag is said in stepgate's words, not Node's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandHelp, fullHelp, helpWidth } from '../../src/commands/help.js';
import { parseCommand, whyNot } from '../../src/commands/parse-command.js';
import { COMMAND_SPECS, FLEET_CANCEL, FLEET_RUN, FLEET_STATUS, RUN, SESSIONS } from '../../src/commands/specs.js';
import { CLI, ROOT } from '../helpers/paths.js';

function stepgate(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('parseCommand', () => {
  it('reads values and positionals as the spec declares them', () => {
    const parsed = parseCommand(RUN, ['deploy.md', '--yes', '--var', 'A=1', '--var', 'B=2', '--as', 'svc']);
    expect(parsed).toMatchObject({ positionals: ['deploy.md'], values: { yes: true, var: ['A=1', 'B=2'], as: 'svc' } });
  });

  it('names the wrong argument, what the command takes, and never quotes Node', () => {
    expect(whyNot(RUN, ['deploy.md', '--bogus'])).toBe(`unknown option --bogus for stepgate run (it takes ${Object.keys(RUN.options).map((n) => (n === 'yes' ? '--yes/-y' : `--${n}`)).join(', ')})`);
    expect(whyNot(RUN, ['deploy.md', '--as'])).toBe('--as needs a value');
    expect(whyNot(RUN, ['deploy.md', '--yes=no'])).toBe('--yes takes no value (got --yes=no)');
    expect(whyNot(SESSIONS, ['extra'])).toBe('stepgate sessions takes no arguments (got extra)');
    expect(whyNot(COMMAND_SPECS.report, ['-x'])).toBe('unknown option -x for stepgate report (it takes no options)');
  });
});

describe('help', () => {
  it('is generated from every spec: each usage line once in stepgate --help', () => {
    // Long usage lines are wrapped for the terminal: compare the words.
    const words = (text: string): string => text.replace(/\s+/g, ' ');
    const help = words(fullHelp('9.9.9'));
    for (const spec of [...Object.values(COMMAND_SPECS), FLEET_RUN, FLEET_STATUS, FLEET_CANCEL]) {
      for (const line of spec.usage.split('\n')) expect(help).toContain(words(line.trim()));
    }
    for (const line of fullHelp('9.9.9').split('\n')) expect(line.length).toBeLessThanOrEqual(96);
    expect(help).toContain('exit codes: 0 completed');
    expect(commandHelp(RUN)).toContain('--skip VALUE (repeatable)');
  });

  it("lines a usage's continuation up under stepgate, or its own subcommand's, never further", () => {
    const usage = (help: string): string[] => help.split('\n\n')[0]!.split('\n');
    expect(usage(commandHelp(COMMAND_SPECS.export))).toEqual([
      'usage: stepgate export --ssm command|automation FILE [-o OUT.json|OUT.yaml]',
      '       [--param-store-prefix /PATH] [--param-store-type SecureString|String]',
      '       [--approvers ARN[,ARN...]] [--as USER]',
    ]);
    const fleet = usage(commandHelp(COMMAND_SPECS.fleet));
    // Each subcommand at the column of `stepgate`; fleet run's options under its FILE, unwrapped.
    expect(fleet.filter((line) => /^ {7}stepgate fleet /.test(line))).toHaveLength(2);
    expect(fleet.filter((line) => line.startsWith(' '.repeat(17) + '['))).toHaveLength(2);
    expect(fleet.some((line) => line.endsWith('[--var NAME=VALUE]...'))).toBe(true);
    for (const spec of Object.values(COMMAND_SPECS)) for (const line of usage(commandHelp(spec)).slice(1)) expect(line, spec.name).toMatch(/^ {7}(?! {11})/);
  });

  it('fits an 80-column terminal with the same words, breaking between words only', () => {
    const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');
    for (const [wide, narrow] of [
      [fullHelp('9.9.9'), fullHelp('9.9.9', 80)],
      ...[...Object.values(COMMAND_SPECS), FLEET_RUN].map((spec) => [commandHelp(spec), commandHelp(spec, 80)]),
    ] as const) {
      for (const line of narrow.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
      expect(words(narrow)).toEqual(words(wide));
    }
    expect(fullHelp('9.9.9', 80)).toContain('\n           [--skip-preflight REASON]');
    // The terminal's width only where it is narrower than help and wide enough to wrap to.
    expect(helpWidth({ isTTY: true, columns: 80 })).toBe(80);
    expect(helpWidth({ isTTY: true, columns: 200 })).toBe(96);
    expect(helpWidth({ isTTY: true, columns: 40 })).toBe(96);
    expect(helpWidth({ isTTY: false, columns: 80 })).toBe(96);
  });

  it('the CLI: a command --help is that command, an unknown flag is a usage error in our words (exit 2)', () => {
    const help = stepgate(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ').startsWith(`usage: ${RUN.usage} `)).toBe(true);
    const wrong = stepgate(['run', 'x.md', '--bogus']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('stepgate: unknown option --bogus for stepgate run');
    expect(wrong.stderr).toContain(`usage: ${RUN.usage}`);
    expect(wrong.stderr).not.toContain('To specify a positional argument');
    const all = stepgate(['--help']);
    expect(all.stdout).toContain('stepgate lint PATH...');
    // Without a command, a mistyped option is said as stepgate's, nearest name first, before
    // any word of plain mode (a trial's --versoin was "unknown option for stepgate run").
    const typo = stepgate(['--versoin']);
    expect(typo.code).toBe(2);
    expect(typo.stderr.split('\n')[0]).toMatch(/^stepgate: unknown option --versoin for stepgate: did you mean --version\? /);
    expect(typo.stderr).not.toContain('plain mode');
    expect(stepgate(['runbooks/demo/deploy.md', '--yse']).stderr).toContain('unknown option --yse for stepgate: did you mean --yes?');
  });

  it('an empty skip reason says a reason is required, with an example to copy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-reason-'));
    try {
      const file = join(dir, 'go.md');
      writeFileSync(file, '# Go\n\n## Now\n\n```bash {name=hi}\necho hi\n```\n');
      const yes = ['--yes'];
      const empty = stepgate(['run', file, ...yes, '--skip', 'hi=']);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toContain(`stepgate: --skip wants STEP=REASON, and "hi=" has no reason: a reason is required (it is journaled), for example --skip 'hi=known flaky, ticket OPS-12'`);
      const blank = stepgate(['run', file, ...yes, '--skip', 'hi=  ']);
      expect(blank.stderr).toContain('"hi=  " has no reason: a reason is required');
      const noEq = stepgate(['run', file, ...yes, '--skip', 'hi']);
      expect(noEq.stderr).toContain(`--skip wants STEP=REASON (the reason is journaled), got "hi"; for example --skip 'hi=known flaky, ticket OPS-12'`);
      for (const argv of [['run', file, ...yes], [file]]) {
        const r = stepgate([...argv, '--skip-preflight', ' ']);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`stepgate: --skip-preflight wants a reason (it is journaled), for example --skip-preflight 'pm2 is installed by the first step'`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fleet status and cancel --poll', () => {
  it('refuse a value that is no duration, as fleet run does, instead of watching at the default', () => {
    for (const sub of ['status', 'cancel']) {
      const r = stepgate(['fleet', sub, 'fleet-20260101-120000-a1b2c3', '--poll', '10 s']);
      expect(r.code, sub).toBe(2);
      expect(r.stderr, sub).toContain('--poll 10 s: a duration like 5s');
    }
  });
});
