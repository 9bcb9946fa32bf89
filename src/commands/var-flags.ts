/** `--var` parsing, shared by run, resume, the TUI, fleet and preflight (preflight cannot import run.ts: run imports it). */

/** `--var NAME=VALUE` flags to a map, or an error message. */
export function parseVarFlags(values: string[] | undefined): Record<string, string> | string {
  const vars: Record<string, string> = {};
  for (const pair of values ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return `--var wants NAME=VALUE, got ${JSON.stringify(pair)}`;
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return vars;
}
