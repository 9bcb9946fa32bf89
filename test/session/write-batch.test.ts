/** Output written a loop turn at a time: fewer writes, same bytes, same order, nothing left behind at exit. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WriteBatch } from '../../src/session/write-batch.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatch', () => {
  it('writes what one turn brought as one write, at the end of the turn', async () => {
    const writes: string[] = [];
    const batch = new WriteBatch((text) => writes.push(text));
    for (let i = 0; i < 100; i++) batch.write(`line ${i}\n`);
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
    batch.write('next\n');
    await turn();
    expect(writes).toEqual([writes[0], 'next\n']);
  });

  it('writes at once past its limit, and on flush()', async () => {
    const writes: string[] = [];
    const batch = new WriteBatch((text) => writes.push(text), 10);
    batch.write('12345');
    batch.write('67890');
    expect(writes).toEqual(['1234567890']);
    batch.write('ab');
    batch.flush();
    expect(writes).toEqual(['1234567890', 'ab']);
    batch.flush();
    await turn();
    expect(writes).toEqual(['1234567890', 'ab']);
  });

  it('writes what it holds when the process exits before the turn ends', () => {
    const module = fileURLToPath(new URL('../../src/session/write-batch.ts', import.meta.url));
    const script = `import { WriteBatch } from ${JSON.stringify(module)}; const b = new WriteBatch((t) => process.stdout.write(t)); b.write('held '); b.write('until exit'); process.exit(3);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(3);
    expect(child.stdout).toBe('held until exit');
  });
});
