import { describe, expect, it } from 'vitest';
import { resumedShellNotice } from '../../src/commands/open-session.js';

describe('the TUI notice after a resume', () => {
  it('fits the status line at 80 columns next to its keys, keeping the end of a long directory', () => {
    const cwd = '/home/trial-svc/releases/2026-11-29/app/scripts';
    const brief = resumedShellNotice({ shell: { cwd, exported: 2 } } as Parameters<typeof resumedShellNotice>[0], { brief: true });
    expect(brief.length).toBeLessThanOrEqual(70);
    expect(brief).toMatch(/^\[stepgate\] new shell: cwd …\S+\/app\/scripts, 2 exports restored$/);
  });
  it('shows a short directory whole, and counts one export as one', () => {
    const brief = resumedShellNotice({ shell: { cwd: '/srv/app', exported: 1 } } as Parameters<typeof resumedShellNotice>[0], { brief: true });
    expect(brief).toBe('[stepgate] new shell: cwd /srv/app, 1 export restored');
  });
  it('says everything in plain mode, where lines may wrap', () => {
    const full = resumedShellNotice({ shell: { cwd: '/srv/app', exported: 2 } } as Parameters<typeof resumedShellNotice>[0]);
    expect(full).toBe('[stepgate] resumed in a new shell: restored cwd /srv/app and 2 exported variables; functions, aliases and unexported variables are gone');
  });
});
