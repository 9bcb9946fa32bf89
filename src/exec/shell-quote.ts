/** Quoting text for bash: single-quoted strings, `~`-aware paths, `NAME=value` prefixes. */

/** Quote a string for bash, single-quote style. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A name bash can assign. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws on an environment name bash could not assign. */
export function checkEnvName(name: string): void {
  if (!ENV_NAME.test(name)) throw new Error(`invalid environment variable name "${name}"`);
}

/** `A='1' B='2' ` (with a trailing space), for prefixing a command. */
export function envAssignments(env: Record<string, string> | undefined): string {
  if (!env) return '';
  return Object.entries(env)
    .map(([name, value]) => {
      checkEnvName(name);
      return `${name}=${shQuote(value)} `;
    })
    .join('');
}

/**
 * A directory as shell text: quoted, except that a leading `~` or `~/` becomes the shell's own
 * `$HOME`, so `cwd: ~/omneuro` means the run-as user's home, as it would in their terminal.
 */
export function shellPath(path: string): string {
  if (path === '~') return '"$HOME"';
  if (path.startsWith('~/')) return `"$HOME"/${shQuote(path.slice(2))}`;
  return shQuote(path);
}

