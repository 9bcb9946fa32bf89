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
 * Returns as soon as the key is written: `durable` settles when it has been fsync'd, with
 * `alongside` (the directory's fsync) beside it, since a new file's first fsync waits for a
 * commit of the file system's journal and both can ride the same one. The journal waits for
 * `durable` before it writes its first line, so no line is ever on disk without its key.
 */
export async function createKey(path: string, alongside: () => Promise<void>): Promise<{ key: Buffer; durable: Promise<void> }> {
  const key = newChainKey();
  let handle;
  try {
    handle = await createPrivateHandle(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const existing = await readKey(path);
      if (existing) return { key: existing, durable: alongside() };
      await rm(path, { force: true });
      handle = await createPrivateHandle(path);
    } else throw err;
  }
  try {
    // writeFile: one write(2) may take part of it (a full disk), leaving a key readKey refuses.
    await handle.writeFile(`${key.toString('hex')}\n`);
  } catch (err) {
    await handle.close();
    throw err;
  }
  const written = handle;
  const durable = Promise.all([written.sync(), alongside()]).then(
    () => written.close(),
    async (err: unknown) => {
      await written.close().catch(() => undefined);
      throw err;
    },
  );
  return { key, durable };
}
