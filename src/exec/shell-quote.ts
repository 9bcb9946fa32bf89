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


const ANSI_C_BYTES: Record<string, number> = { a: 7, b: 8, e: 27, E: 27, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** The bytes of the body of a `$'…'` string (without its quotes), as bash reads it. */
export function ansiCBytes(body: string): number[] {
  const bytes: number[] = [];
  ansiCBody(body, bytes);
  return bytes;
}

function ansiCBody(body: string, bytes: number[]): void {
  const text = (t: string): void => {
    bytes.push(...Buffer.from(t, 'utf8'));
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c !== '\\' || i + 1 >= body.length) {
      text(c);
      continue;
    }
    const e = body[++i] ?? '';
    const octal = /^[0-7]{1,3}/.exec(body.slice(i));
    const hex = /^x([0-9A-Fa-f]{1,2})/.exec(body.slice(i));
    const unicode = /^(?:u([0-9A-Fa-f]{1,4})|U([0-9A-Fa-f]{1,8}))/.exec(body.slice(i));
    if (ANSI_C_BYTES[e] !== undefined) bytes.push(ANSI_C_BYTES[e]);
    else if (octal) {
      bytes.push(parseInt(octal[0], 8) & 0xff);
      i += octal[0].length - 1;
    } else if (hex) {
      bytes.push(parseInt(hex[1] ?? '0', 16));
      i += hex[0].length - 1;
    } else if (unicode) {
      const point = parseInt(unicode[1] ?? unicode[2] ?? '0', 16);
      text(point <= 0x10ffff ? String.fromCodePoint(point) : '');
      i += unicode[0].length - 1;
    } else if (e === 'c' && i + 1 < body.length) bytes.push(body.charCodeAt(++i) & 0x1f);
    else if (e === '\\' || e === "'" || e === '"' || e === '?') text(e);
    else text(`\\${e}`);
  }
}

/**
 * The string a word of bash quoting stands for: `printf %q` and `${X@Q}` output (backslash
 * escapes, `'…'`, `$'…'` with its escapes and octal bytes, `"…"`), read as bash would.
 */
export function unquoteShell(word: string): string {
  const bytes: number[] = [];
  const text = (t: string): void => {
    bytes.push(...Buffer.from(t, 'utf8'));
  };
  for (let i = 0; i < word.length; ) {
    if (word.startsWith("$'", i)) {
      let j = i + 2;
      while (j < word.length && word[j] !== "'") j += word[j] === '\\' ? 2 : 1;
      ansiCBody(word.slice(i + 2, j), bytes);
      i = j + 1;
    } else if (word[i] === "'") {
      const end = word.indexOf("'", i + 1);
      text(word.slice(i + 1, end < 0 ? word.length : end));
      i = end < 0 ? word.length : end + 1;
    } else if (word[i] === '"') {
      let j = i + 1;
      for (; j < word.length && word[j] !== '"'; j++) {
        if (word[j] === '\\' && '\\"$`'.includes(word[j + 1] ?? 'x')) j++;
        text(word[j] ?? '');
      }
      i = j + 1;
    } else if (word[i] === '\\') {
      text(word[i + 1] ?? '');
      i += 2;
    } else {
      const ch = String.fromCodePoint(word.codePointAt(i) ?? 0);
      text(ch);
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
