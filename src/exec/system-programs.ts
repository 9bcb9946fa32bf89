/**
 * The programs that decide who a step runs as (runuser, sudo) and who a user is (getent),
 * taken from the system's own directories and never from PATH: a directory early in the
 * operator's PATH that someone else can write would otherwise choose what "run as ubuntu"
 * really runs, and as whom.
 */
import { statSync } from 'node:fs';

/** Where distributions put them, theirs first (sudo's own secure_path adds /usr/local). */
export const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'] as const;

/** Owned by root and writable by nobody else: what a package manager leaves. */
function rootOnly(path: string, kind: 'file' | 'dir'): boolean {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined || st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
  return kind === 'dir' ? st.isDirectory() : st.isFile() && (st.mode & 0o111) !== 0;
}

const found = new Map<string, string | undefined>();

/**
 * The absolute path of `name` in the first system directory that holds it as a root-owned
 * executable no one else may write (in a directory no one else may write); undefined when none
 * does. Looked up once per process.
 */
export function systemProgram(name: string): string | undefined {
  if (found.has(name)) return found.get(name);
  let path: string | undefined;
  for (const dir of SYSTEM_DIRS) {
    const candidate = `${dir}/${name}`;
    if (rootOnly(dir, 'dir') && rootOnly(candidate, 'file')) {
      path = candidate;
      break;
    }
  }
  found.set(name, path);
  return path;
}

/** The sentence for an error: where stepgate looked, and that PATH is not asked. */
export function notFoundIn(name: string): string {
  return `${name} was not found as a root-owned program in ${SYSTEM_DIRS.join(', ')} (stepgate does not take it from PATH)`;
}
