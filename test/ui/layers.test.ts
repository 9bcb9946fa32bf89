/** The UI renders the store and sends intents: it never reaches exec, not even for a type. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

it('src/ui imports nothing from src/exec, node:child_process or node-pty', () => {
  const ui = join(import.meta.dirname, '..', '..', 'src', 'ui');
  const all = files(ui);
  expect(all.length).toBeGreaterThan(10);
  for (const file of all) {
    const text = readFileSync(file, 'utf8');
    const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');
    for (const spec of imports) {
      expect(spec, `${file} imports ${spec}`).not.toMatch(/(^|\/)exec\/|child_process|node-pty|execa/);
    }
  }
});
