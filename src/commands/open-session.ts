/**
 * What opening a session shares between the TUI and plain mode: for now the notice said on
 * every resume about the shell (the TUI's brief one and plain mode's line).
 */
import type { ResumeReport } from '../session/store.js';

/** Said on resume when no shell state was kept (a session from before it was, or none ran). */
export const FRESH_SHELL_NOTICE =
  '[stepgate] resumed in a fresh shell: directories and variables that earlier steps set with cd or export are gone; steps that depend on them need them again';

/** Longest brief notice: an 80-column status line keeps room for its keys (`? help`). */
const BRIEF_WIDTH = 70;

/**
 * Said on every resume: the shell of the earlier process is gone with it; what the new one got
 * back. `brief`: for the TUI's status line at 80 columns, what was restored comes first and the
 * rest is left to the log.
 */
export function resumedShellNotice(report: ResumeReport | undefined, options: { brief?: boolean } = {}): string {
  if (report?.shell) {
    const { cwd, exported } = report.shell;
    const vars = `${exported} exported variable${exported === 1 ? '' : 's'}`;
    if (options.brief) {
      // The status line keeps its keys at the right: the notice fits in BRIEF_WIDTH, the
      // directory giving up its start (its end says where the shell is).
      const tail = `${exported} export${exported === 1 ? '' : 's'} restored`;
      if (cwd === undefined) return `[stepgate] new shell: ${tail}`;
      const head = '[stepgate] new shell: cwd ';
      const room = Math.max(12, BRIEF_WIDTH - head.length - tail.length - 2);
      return `${head}${cwd.length > room ? `…${cwd.slice(-(room - 1))}` : cwd}, ${tail}`;
    }
    return `[stepgate] resumed in a new shell: restored ${cwd === undefined ? vars : `cwd ${cwd} and ${vars}`}; functions, aliases and unexported variables are gone`;
  }
  if (report?.shellNotRestored) {
    return `[stepgate] resumed in a fresh shell: ${report.shellNotRestored}, so directories and variables that earlier steps set with cd or export are gone; steps that depend on them need them again`;
  }
  return FRESH_SHELL_NOTICE;
}
