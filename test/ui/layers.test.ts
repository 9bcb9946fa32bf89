/** The UI renders the store and sends intents: it never reaches exec, not even for a type. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
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

/** The rooms of src/ui and what each may hold; a new room is added here with its rule. */
const ROOMS: Record<string, string> = {
  '.': 'shared pieces: the app, context, keymap, layout, lines, marks',
  components: 'layout-only components shared by the views',
  hooks: 'hooks that read the store or the services for the views',
  widgets: 'widgets with their state hook and key hook beside them',
  fleet: "fleet's live rollout table",
  runbook: 'the runbook view: view state, a pure update, intents, the key hook, its layout',
};

it('src/ui has the rooms docs/architecture.md names, and no other', () => {
  const ui = join(import.meta.dirname, '..', '..', 'src', 'ui');
  const rooms = new Set(files(ui).map((file) => relative(ui, dirname(file)) || '.'));
  expect([...rooms].sort()).toEqual(Object.keys(ROOMS).sort());
});

it("the runbook view's model and update are pure: no Ink, no React, no store actions", () => {
  const room = join(import.meta.dirname, '..', '..', 'src', 'ui', 'runbook');
  for (const name of ['update.ts', 'view-state.ts', 'key-mode.ts', 'status-line.ts']) {
    const imports = [...readFileSync(join(room, name), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');
    for (const spec of imports) expect(spec, `${name} imports ${spec}`).not.toMatch(/^(ink|react)$|session\/store(-types)?\.js$|\/perform\.js$/);
  }
});

it('components render what they are given: they never reach the session store or its actions', () => {
  const components = join(import.meta.dirname, '..', '..', 'src', 'ui', 'components');
  for (const file of files(components)) {
    const imports = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');
    for (const spec of imports) expect(spec, `${file} imports ${spec}`).not.toMatch(/session\/(store|store-types|walk)\.js$/);
  }
});
