/**
 * Runs a piece of code in a child process under a file-size limit (RLIMIT_FSIZE), set with
 * prlimit once the child has loaded its modules (tsx writes its cache as it loads): the kernel
 * then cuts a write at the limit for real, and the next write fails with EFBIG. How a test
 * makes write(2) take part of a buffer without mocking the code under test.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * `setup` (a module body: imports, declarations) runs first; then, under the limit, `act` (an
 * expression giving a promise or a value). The child exits 0 when `act` ends, 3 with the error's
 * message on stderr when it throws.
 */
export async function underFileSizeLimit(limitBytes: number, setup: string, act: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
    ${setup}
    process.stdout.write('ready\\n');
    process.stdin.once('data', () => Promise.resolve().then(() => ${act}).then(
      () => process.exit(0),
      (err) => { process.stderr.write(String(err && err.message)); process.exit(3); },
    ));
  `], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  try {
    await once(child.stdout, 'data');
    execFileSync('prlimit', ['--pid', String(child.pid), `--fsize=${limitBytes}`]);
    child.stdin.write('go\n');
    const [code] = await exited;
    return { code, stderr };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
