/**
 * V8's interrupt budget is raised for the commands that parse and exit, never for those that
 * run a session or the TUI (their hot code runs for minutes: see src/commands/tiering.ts). The
 * effect itself is a timing: `npm run bench` measures it (the cold lint rows).
 */
import { describe, expect, it } from 'vitest';
import { SHORT_LIVED } from '../../src/commands/tiering.js';
import { COMMAND_SPECS, type CommandName } from '../../src/commands/specs.js';

describe('the commands whose tiering is tuned', () => {
  it('are the ones that read runbooks, print and exit', () => {
    expect([...SHORT_LIVED].sort()).toEqual(['export', 'lint', 'plan', 'preflight']);
  });

  it('leave out every command that runs steps, draws the TUI or waits on a rollout', () => {
    const long: CommandName[] = ['run', 'resume', 'tui', 'attach', 'fleet'];
    for (const command of long) {
      expect(Object.hasOwn(COMMAND_SPECS, command)).toBe(true);
      expect(SHORT_LIVED.has(command)).toBe(false);
    }
  });
});
