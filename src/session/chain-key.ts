/** The session's chain key (see `journal-chain.ts`): a 0600 file of 64 hex digits beside the journal. */
import { rm } from 'node:fs/promises';
import { newChainKey } from './journal-chain.js';
import { createPrivateHandle, openPrivateReadHandle } from './private-files.js';

/** The key at `path`; undefined when there is none or it is not a key. */
export async function readKey(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await openPrivateReadHandle(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const text = (await handle.readFile('utf8')).trim();
    return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Creates the key of a new session; one left by a crash before the first event is kept.
 * `alongside` (the directory's fsync) runs while the key's own fsync does: a new file's first
 * fsync waits for a commit of the file system's journal, and both can ride the same one.
 */
export async function createKey(path: string, alongside: () => Promise<void> = () => Promise.resolve()): Promise<Buffer> {
  const key = newChainKey();
  let handle;
  try {
    handle = await createPrivateHandle(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const existing = await readKey(path);
      if (existing) return existing;
      await rm(path, { force: true });
      handle = await createPrivateHandle(path);
    } else throw err;
  }
  try {
    await handle.write(`${key.toString('hex')}\n`);
    await Promise.all([handle.sync(), alongside()]);
  } finally {
    await handle.close();
  }
  return key;
}
