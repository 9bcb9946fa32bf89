/**
 * Random hex digits for names: temporary files, session ids, the TUI's registry token. Read from
 * the kernel's /dev/urandom rather than node:crypto, because loading that module is a large
 * share of the TUI launcher's start (issue 14: the launcher sits on the path to the first frame
 * and needs nothing else from crypto). Where /dev is not there (a bare chroot), Web Crypto's
 * getRandomValues serves instead.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export function randomHex(bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  let fd: number;
  try {
    fd = openSync('/dev/urandom', 'r');
  } catch {
    globalThis.crypto.getRandomValues(buffer);
    return buffer.toString('hex');
  }
  try {
    for (let got = 0; got < bytes; ) {
      const n = readSync(fd, buffer, got, bytes - got, null);
      if (n <= 0) throw new Error('/dev/urandom gave no bytes');
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return buffer.toString('hex');
}
