/**
 * The layer rules of docs/architecture.md, checked on every import form (static, dynamic,
 * re-export, side-effect; either quote): runbooks is pure, ui never reaches exec, session
 * never reaches ui or commands, exec never reaches session or ui.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Every module specifier a file names. */
export function specifiers(text: string): string[] {
  const forms = [
    /\b(?:import|export)\s[^'";]*?\sfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
  ];
  return forms.flatMap((re) => [...text.matchAll(re)].map((m) => m[2] ?? ''));
}

function importsOf(layer: string): Array<{ file: string; spec: string }> {
  return files(join(ROOT, 'src', layer)).flatMap((file) =>
    specifiers(readFileSync(file, 'utf8')).map((spec) => ({ file: relative(ROOT, file), spec })),
  );
}

const HOST_MODULES = /^(node:)?(fs|fs\/promises|child_process|net|http|https|os|process|tty|dgram|worker_threads)$|^(execa|node-pty|@xterm\/)/;

describe('layers', () => {
  it('finds every import form', () => {
    const text = `import a from './a.js';\nimport type { B } from "../b.js";\nexport { c } from './c.js';\nimport './side.js';\nconst d = await import('./d.js');\nimport {\n  e,\n} from './e.js';`;
    expect(specifiers(text).sort()).toEqual(['../b.js', './a.js', './c.js', './d.js', './e.js', './side.js']);
  });

  it('src/runbooks is pure: no host modules, no process globals, no other layer', () => {
    const found = importsOf('runbooks');
    expect(found.length).toBeGreaterThan(10);
    for (const { file, spec } of found) expect(spec, `${file} imports ${spec}`).not.toMatch(HOST_MODULES);
    for (const { file, spec } of found) expect(spec, `${file} imports ${spec}`).not.toMatch(/^\.\.\//);
    for (const file of files(join(ROOT, 'src', 'runbooks'))) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/\bprocess\.(env|cwd|argv|exit|stdout|stderr|stdin)\b/);
    }
  });

  it('src/ui never reaches src/exec or the host (not even for a type)', () => {
    for (const { file, spec } of importsOf('ui')) {
      expect(spec, `${file} imports ${spec}`).not.toMatch(/(^|\/)exec(\/|$)|(^|\/)commands\/|child_process|node-pty|execa/);
    }
  });

  it('src/session never reaches src/ui or src/commands', () => {
    for (const { file, spec } of importsOf('session')) expect(spec, `${file} imports ${spec}`).not.toMatch(/(^|\/)(ui|commands)(\/|$)|^ink|^react/);
  });

  it('src/fleet is pure like src/runbooks: no host modules, no process globals, no AWS SDK; it reads only the runbook model', () => {
    const found = importsOf('fleet');
    expect(found.length).toBeGreaterThan(5);
    for (const { file, spec } of found) expect(spec, `${file} imports ${spec}`).not.toMatch(HOST_MODULES);
    for (const { file, spec } of found) expect(spec, `${file} imports ${spec}`).not.toMatch(/^@aws-sdk\/|^\.\.\/(?!runbooks\/)/);
    for (const file of files(join(ROOT, 'src', 'fleet'))) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/\bprocess\.(env|cwd|argv|exit|stdout|stderr|stdin)\b/);
    }
  });

  it('only src/commands and the SSM client in src/exec load the AWS SDK', () => {
    for (const layer of ['runbooks', 'session', 'ui', 'fleet', 'exec']) {
      for (const { file, spec } of importsOf(layer)) {
        if (file === join('src', 'exec', 'ssm-client.ts')) continue;
        expect(spec, `${file} imports ${spec}`).not.toMatch(/^@aws-sdk\/|(^|\/)exec\/ssm-client(\.js)?$/);
      }
    }
  });

  it('src/exec never reaches src/session, src/ui or src/commands', () => {
    for (const { file, spec } of importsOf('exec')) expect(spec, `${file} imports ${spec}`).not.toMatch(/(^|\/)(session|ui|commands)(\/|$)|^ink|^react/);
  });

  it('src/plain is a face beside src/ui: it renders the store and sends intents, never reaching exec, ui or commands', () => {
    const found = importsOf('plain');
    expect(found.length).toBeGreaterThan(3);
    for (const { file, spec } of found) expect(spec, `${file} imports ${spec}`).not.toMatch(/(^|\/)(exec|ui|commands)(\/|$)|^ink|^react|child_process|node-pty|execa/);
  });

  it('src/session never reaches src/plain, and src/ui never reaches src/plain', () => {
    for (const layer of ['session', 'ui']) {
      for (const { file, spec } of importsOf(layer)) expect(spec, `${file} imports ${spec}`).not.toMatch(/(^|\/)plain(\/|$)/);
    }
  });
});

/** The text without its type-only imports and re-exports (erased at compile time: no circle at run time). */
function withoutTypeImports(text: string): string {
  return text.replace(/\b(?:import|export)\s+type\s[^;]*?\sfrom\s*(['"])[^'"]+\1/g, '');
}

/** Every relative import of every file under src that remains at run time, resolved to a file under src. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(join(ROOT, 'src'))) {
    const targets = specifiers(withoutTypeImports(readFileSync(file, 'utf8')))
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => relative(ROOT, resolve(dirname(file), spec)).replace(/\.js$/, ''))
      .map((base) => [`${base}.ts`, `${base}.tsx`].find((candidate) => statSync(join(ROOT, candidate), { throwIfNoEntry: false })?.isFile()) ?? base);
    graph.set(relative(ROOT, file), targets);
  }
  return graph;
}

/** One import circle in `graph` (a list of files, the first repeated at the end), if any. */
export function findCircle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const circle = visit(next);
      if (circle) return circle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const circle = visit(node);
    if (circle) return circle;
  }
  return undefined;
}

describe('import circles', () => {
  it('finds a circle when there is one, and none in a tree', () => {
    expect(findCircle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCircle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toBeUndefined();
    expect(specifiers(withoutTypeImports(`import type { A } from './a.js';\nimport { b } from './b.js';\nexport type { C } from './c.js';`))).toEqual(['./b.js']);
  });

  it('no module under src imports itself back through others at run time (dynamic imports included)', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(50);
    expect(findCircle(graph)).toBeUndefined();
  });
});

describe('docs/architecture.md', () => {
  it('names every source file in its table, once, and no file that is gone', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const named = [...doc.matchAll(/^\| `([^`]+\.tsx?)` \|/gm)].map((m) => m[1] ?? '');
    const sources = files(join(ROOT, 'src')).map((file) => relative(join(ROOT, 'src'), file).split('\\').join('/'));
    expect(sources.length).toBeGreaterThan(100);
    for (const file of sources) expect(named.filter((n) => n === file), `${file} in docs/architecture.md`).toHaveLength(1);
    for (const name of named) expect(sources, `docs/architecture.md names ${name}`).toContain(name);
  });
});
