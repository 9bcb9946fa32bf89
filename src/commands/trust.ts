/**
 * Whose runbook is this (issue 13, item 4)? stepgate often runs as root; a runbook another
 * user can write is that user's code run as root. As sshd's StrictModes does for
 * authorized_keys: a runbook file (and every file it links to: before:, after:, recover=,
 * links) must be owned by the invoking user or root and not writable by group or others. A
 * symbolic link is judged by what it points to, and one leading out of the runbook's
 * directory tree is reported. `--allow-untrusted` lets such files run; the session journals
 * which ones.
 *
 * The file judged is the file read: the loader opens it and passes the `fstat` of what it
 * opened (a review swapped the name between root's file and its own while stepgate judged one
 * and read the other, and its step ran as root 4 times in 80). And, as StrictModes does, every
 * directory the path is looked up in, links followed hop by hop, must be owned by the invoking
 * user or root and not writable by group or others unless sticky: whoever can write one can put
 * another file under the runbook's name, or a link to one.
 */
import { lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** What the commands do with an untrusted file: refuse it (run, resume, TUI), allow it (--allow-untrusted), or warn (lint, plan). */
export type TrustPolicy = 'refuse' | 'allow' | 'warn';

let policy: TrustPolicy = 'refuse';
/**
 * The command that sends the runbook off the host (`export`, `fleet run`), which takes no
 * `--allow-untrusted`: a document runs as root on every instance, so its advice is the fix and
 * running it again. Undefined: the command running takes the flag (run, resume, the TUI).
 * lint and plan (the `warn` policy) take no such flag either: they say which commands will
 * refuse the file.
 */
let sender: string | undefined;
/** Files allowed in by `--allow-untrusted`, with why they are untrusted: journaled. */
const allowed = new Map<string, string>();
/** Files refused under the `refuse` policy, with the message. */
const refused = new Map<string, string>();
/** The directory tree links must stay in: the main runbook's. */
let treeRoot: string | undefined;

export function setTrustPolicy(next: TrustPolicy, opts: { sender?: string } = {}): void {
  policy = next;
  sender = opts.sender;
}

export function trustPolicy(): TrustPolicy {
  return policy;
}

/**
 * For a command that sends `mainFile` off the host (export, fleet run): untrusted files are
 * refused with no override, a link out of the runbook's directory among them.
 */
export function refuseUntrustedToSend(sender: string, mainFile: string): void {
  setTrustPolicy('refuse', { sender });
  setRunbookTree(mainFile);
}

/** Sets the tree a symbolic link must not lead out of (the main runbook's directory). */
export function setRunbookTree(mainFile: string): void {
  try {
    treeRoot = realpathSync(dirname(resolve(mainFile)));
  } catch {
    treeRoot = dirname(resolve(mainFile));
  }
}

/** The messages for untrusted files refused so far (the main runbook or one it links to). */
export function refusedUntrusted(): string[] {
  return [...refused.values()];
}

/** Starts the list of refused files again: the TUI's picker opens one runbook after another. */
export function forgetRefused(): void {
  refused.clear();
}

/** The untrusted files `--allow-untrusted` let in so far, as `file: why` lines for the journal. */
export function allowedUntrusted(): string[] {
  return [...allowed].map(([file, why]) => `${file}: ${why}`);
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** `writable by group and others (mode 0666)`, for a file or a directory whose mode lets them write. */
function writableBy(mode: number): string {
  return `writable by ${(mode & 0o020) !== 0 ? 'group' : ''}${(mode & 0o022) === 0o022 ? ' and ' : ''}${(mode & 0o002) !== 0 ? 'others' : ''} (mode ${octal(mode)})`;
}

/**
 * Every directory in which a component of `file` is looked up as the kernel resolves it, links
 * followed hop by hop, nearest first. The path as named and the path it resolves to are not
 * enough: a link in the middle (`deploy.md -> /home/u/hop -> /opt/rb/wipe.md`) is looked up in
 * a directory of neither, and its owner chose which of root's files ran (a review, session 21).
 */
function directoriesTraversed(file: string): string[] {
  const dirs: string[] = [];
  const seen = (dir: string): void => {
    const at = dirs.indexOf(dir);
    if (at >= 0) dirs.splice(at, 1);
    dirs.push(dir);
  };
  let pending = resolve(file).split('/').filter((part) => part !== '');
  let current = '/';
  for (let hops = 0; pending.length > 0; ) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    seen(current);
    const next = join(current, part);
    let st;
    try {
      st = lstatSync(next);
    } catch {
      break; // missing: the read says so
    }
    if (!st.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (++hops > MAX_LINK_HOPS) break; // a loop: the read fails with ELOOP
    let target: string;
    try {
      target = readlinkSync(next);
    } catch {
      break;
    }
    pending = [...target.split('/').filter((p) => p !== ''), ...pending];
    if (target.startsWith('/')) current = '/';
  }
  return dirs.reverse();
}

/** Links followed in one path at most, as Linux's own limit. */
const MAX_LINK_HOPS = 40;

/** The first directory above `file` that someone other than `me` and root can change, and how. */
function unsafeDirectory(file: string, me: number): { problem: string; fix?: string } | undefined {
  for (const dir of directoriesTraversed(file)) {
    let st;
    try {
      st = statSync(dir);
    } catch {
      continue;
    }
    if (st.uid !== me && st.uid !== 0) return { problem: `is in ${dir}, which is owned by uid ${st.uid}, not by you (uid ${me}) or root` };
    // Sticky (/tmp): others may add files there but not rename or remove this one.
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
      return { problem: `is in ${dir}, which is ${writableBy(st.mode)}`, fix: `chmod go-w ${dir}` };
    }
  }
  return undefined;
}

/**
 * Why `file` is not to be trusted, naming its mode, its owner and the fix; undefined when it is
 * fine or missing. `opened`: the `fstat` of the file as the reader opened it, judged instead
 * of what the name points to now.
 */
export function untrustedReason(file: string, opened?: Stats): string | undefined {
  let link;
  let st;
  try {
    link = lstatSync(file);
    st = opened ?? statSync(file);
  } catch {
    if (opened === undefined) return undefined; // missing or unreadable: the reader says so
    // Opened, then renamed away: judged by what was opened, and its name is not to be trusted.
    link = opened;
    st = opened;
  }
  const me = process.geteuid?.() ?? 0;
  const problems: string[] = [];
  // Each problem's own fix: a link out of the tree is not mended by chown or chmod.
  const fixes: string[] = [];
  // A directory of another user's is not the operator's to chown: the runbook moves instead.
  let move = false;
  if (st.uid !== me && st.uid !== 0) {
    problems.push(`is owned by uid ${st.uid}, not by you (uid ${me}) or root`);
    fixes.push(`chown root ${file}`);
  }
  if ((st.mode & 0o022) !== 0) {
    problems.push(`is ${writableBy(st.mode)}`);
    fixes.push(`chmod go-w ${file}`);
  }
  if (link.isSymbolicLink() && treeRoot !== undefined) {
    try {
      const target = realpathSync(file);
      const rel = relative(treeRoot, target);
      if (rel.startsWith('..') || resolve(treeRoot, rel) !== target) {
        problems.push(`is a symbolic link out of the runbook's directory ${treeRoot} (to ${target})`);
        fixes.unshift(`cp --remove-destination ${target} ${file}`);
      }
    } catch {
      // A dangling link fails at read time with its own message.
    }
  }
  const dir = unsafeDirectory(file, me);
  if (dir !== undefined) {
    problems.push(dir.problem);
    if (dir.fix !== undefined) fixes.push(dir.fix);
    else move = true;
  }
  if (problems.length === 0) return undefined;
  if (move) fixes.push('copy the runbook and the files it links to into a directory only you and root can write, and give stepgate the copy');
  // Advice names only what the command running takes: lint and plan took the run's flag for their own.
  const instead =
    policy === 'warn'
      ? ' (stepgate run, resume and the TUI refuse it until then)'
      : sender === undefined
        ? ' (or pass --allow-untrusted, which is journaled)'
        : `, then run stepgate ${sender} again (nothing overrides this for ${sender}: what it sends runs as root on every instance; if the file is not yours to fix, copy the runbook and the files it links to into a directory of your own, read them, and give ${sender} the copy)`;
  return `${file} ${problems.join(' and ')}; another user could change what runs: ${fixes.join(' && ')}${instead}`;
}

/** For the loader: what to do with `file`. `undefined`: read it as usual. */
export function trustVerdict(file: string, opened?: Stats): { refuse?: string; warn?: string } | undefined {
  const why = untrustedReason(file, opened);
  if (why === undefined) return undefined;
  switch (policy) {
    case 'refuse':
      refused.set(resolve(file), `untrusted runbook: ${why}`);
      return { refuse: `untrusted runbook: ${why}` };
    case 'warn':
      return { warn: `untrusted runbook: ${why}` };
    case 'allow':
      // The same file is loaded by the name the operator gave and by its resolved path.
      allowed.set(resolve(file), why.slice(file.length + 1, why.indexOf(';')));
      return undefined;
  }
}
