/**
 * The layer rules of docs/architecture.md, checked on every import form (static, dynamic,
 * re-export, side-effect; either quote): runbooks is pure, ui never reaches exec, session
 * never reaches ui or commands, exec never reaches session or ui.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
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
});
