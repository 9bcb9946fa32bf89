/**
 * A bare Debian root filesystem for the package's bare-host test: made once by debootstrap
 * (minbase: no Node.js, no python, no compiler), cached outside the clone, and mounted per run
 * as an overlay so a run never writes into the cache, with /proc and /dev/pts inside.
 *
 * Everything here runs as root. Mounts are undone on every exit path: `BareRoot.close()` after
 * the tests, `closeAllSync()` from exit and signal handlers, and `sweepStaleRuns()` for what a
 * SIGKILLed run left (its directory names its pid).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** Where built root filesystems are kept between runs, one directory per `suite-arch`. */
export const CACHE_DIR = process.env.STEPGATE_ROOTFS_CACHE ?? '/var/cache/stepgate-test-rootfs';
const RUN_PREFIX = 'stepgate-bare-';
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/** The machine's Debian codename (bookworm), or bookworm on another distribution. */
export function debianSuite(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const id = /^ID=(.*)$/m.exec(release)?.[1]?.replace(/"/g, '');
    const codename = /^VERSION_CODENAME=(.*)$/m.exec(release)?.[1]?.replace(/"/g, '');
    if (id === 'debian' && codename) return codename;
  } catch {
    // No os-release: not a Debian machine.
  }
  return 'bookworm';
}

/** dpkg's name for this machine's architecture (amd64, arm64). */
export function debianArch(): string {
  return execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
}

/**
 * The Debian mirror this machine's apt uses (the first `.../debian` URI in
 * /etc/apt/sources.list or sources.list.d, one-line or deb822 form): the one known reachable.
 */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list'];
  try {
    for (const name of readdirSync('/etc/apt/sources.list.d').sort()) files.push(join('/etc/apt/sources.list.d', name));
  } catch {
    // No sources.list.d.
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const oneLine = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
      const deb822 = /^\s*URIs:\s*(.+)$/i.exec(line);
      for (const uri of (oneLine?.[1] ?? deb822?.[1] ?? '').split(/\s+/)) {
        if (/^https?:\/\/\S+\/debian\/?$/.test(uri)) return uri.replace(/\/$/, '');
      }
    }
  }
  return DEFAULT_MIRROR;
}

/** Every mount point at or below `dir`, deepest first (from /proc/self/mountinfo). */
function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    // mountinfo escapes spaces and the like as octal; our own paths have none.
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Kill every process whose root directory is inside `dir` (a chroot's leftovers). */
function killProcessesRootedIn(dir: string): void {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let root: string;
    try {
      root = readlinkSync(`/proc/${pid}/root`);
    } catch {
      continue;
    }
    if (root === dir || root.startsWith(`${dir}/`)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}

/** Unmount everything at or below `dir`: deepest first, lazily when still busy. */
function unmountAllSync(dir: string): void {
  killProcessesRootedIn(dir);
  for (const point of mountsUnder(dir)) {
    if (spawnSync('umount', [point]).status !== 0) spawnSync('umount', ['-l', point]);
  }
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`could not unmount ${left.join(', ')}`);
}

/** Remove a directory tree without ever crossing into a mount that is still there. */
function removeTreeSync(dir: string): void {
  spawnSync('rm', ['-rf', '--one-file-system', dir]);
}

/** A run's directory names its pid; a run whose process is gone left it: unmount and remove it. */
export function sweepStaleRuns(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = new RegExp(`^${RUN_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (!pid || existsSync(`/proc/${pid}`)) continue;
    const dir = join(tmpdir(), name);
    unmountAllSync(dir);
    removeTreeSync(dir);
  }
  if (!existsSync(CACHE_DIR)) return;
  for (const name of readdirSync(CACHE_DIR)) {
    const pid = /\.tmp-(\d+)$/.exec(name)?.[1];
    if (!pid || existsSync(`/proc/${pid}`)) continue;
    const dir = join(CACHE_DIR, name);
    unmountAllSync(dir);
    removeTreeSync(dir);
  }
}

export interface RootfsSource {
  dir: string;
  /** True when this call ran debootstrap; false when the cache already had it. */
  built: boolean;
  seconds: number;
}

/**
 * The cached root filesystem for this machine's suite and architecture, made by debootstrap
 * when missing. It is built in a temporary directory named after this process and renamed into
 * place, so the cache only ever holds complete trees.
 */
export async function cachedRootfs(log: (line: string) => void): Promise<RootfsSource> {
  const started = Date.now();
  const key = `${debianSuite()}-${debianArch()}`;
  const dir = join(CACHE_DIR, key);
  if (existsSync(join(dir, 'usr', 'bin', 'bash'))) return { dir, built: false, seconds: (Date.now() - started) / 1000 };
  if (!['/usr/sbin/debootstrap', '/usr/bin/debootstrap'].some((file) => existsSync(file))) {
    throw new Error(`${dir} is not built yet and debootstrap is not installed: apt-get install -y debootstrap (.ci/run does it)`);
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  const temp = join(CACHE_DIR, `.${key}.tmp-${process.pid}`);
  const mirror = debianMirror();
  log(`debootstrap --variant=minbase ${debianSuite()} ${temp} ${mirror}`);
  try {
    await execa('debootstrap', ['--variant=minbase', debianSuite(), temp, mirror], { all: true });
    renameSync(temp, dir);
  } catch (error) {
    unmountAllSync(temp);
    removeTreeSync(temp);
    // Another run may have finished the same tree meanwhile: use it.
    if (existsSync(join(dir, 'usr', 'bin', 'bash'))) return { dir, built: false, seconds: (Date.now() - started) / 1000 };
    const output = (error as { all?: string }).all ?? String(error);
    throw new Error(`debootstrap failed:\n${output.split('\n').slice(-20).join('\n')}`);
  }
  return { dir, built: true, seconds: (Date.now() - started) / 1000 };
}

const open = new Set<BareRoot>();

/** One run's view of the cached tree: an overlay (writes go to the run's directory) with /proc and /dev/pts. */
export class BareRoot {
  /** The chroot's root directory. */
  readonly root: string;
  private constructor(readonly runDir: string) {
    this.root = join(runDir, 'root');
  }

  static mount(lower: string): BareRoot {
    const bare = new BareRoot(mkdtempSync(join(tmpdir(), `${RUN_PREFIX}${process.pid}-`)));
    open.add(bare);
    try {
      for (const sub of ['upper', 'work', 'root']) mkdirSync(join(bare.runDir, sub));
      const overlay = `lowerdir=${lower},upperdir=${join(bare.runDir, 'upper')},workdir=${join(bare.runDir, 'work')}`;
      execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', overlay, bare.root], { stdio: 'pipe' });
      execFileSync('mount', ['-t', 'proc', 'proc', join(bare.root, 'proc')], { stdio: 'pipe' });
      // The host's devpts: the chroot's /dev/ptmx (debootstrap made it, char 5:2) opens the
      // pts instance mounted beside it.
      execFileSync('mount', ['--bind', '/dev/pts', join(bare.root, 'dev', 'pts')], { stdio: 'pipe' });
    } catch (error) {
      bare.closeSync();
      throw error;
    }
    return bare;
  }

  /** Kill what still runs inside, unmount /dev/pts, /proc and the overlay, remove the run's files. */
  closeSync(): void {
    if (!open.delete(this)) return;
    unmountAllSync(this.runDir);
    removeTreeSync(this.runDir);
  }
}

/** For exit and signal handlers: close every root this process still has mounted. */
export function closeAllSync(): void {
  for (const bare of [...open]) {
    try {
      bare.closeSync();
    } catch (error) {
      process.stderr.write(`bare-host: ${String(error)}\n`);
    }
  }
}
