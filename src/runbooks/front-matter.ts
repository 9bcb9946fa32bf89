/**
 * YAML front matter: title, description, user, cwd, env, vars, recovery, before, after, rollback, lock.
 */
import { LineCounter, parseDocument, isMap, type Node as YamlNode } from 'yaml';
import type { DiagnosticSink } from './diagnostics.js';
import { warnValueCuts } from './comment-cut.js';
import { emptyFrontMatter } from './empty.js';
import { parseLinkTarget } from './links.js';
import { nearMiss } from './near-miss.js';
import { PATTERN_MS, looksSecretName, matchWithin, varPattern } from './vars.js';
import { reportYamlErrors } from './yaml-errors.js';
import type { FrontMatter, LinkTarget, Position, VarSpec } from './model.js';

const KNOWN = ['title', 'description', 'user', 'cwd', 'env', 'vars', 'recovery', 'before', 'after', 'rollback', 'lock'];


/** `startLine` is the line of the opening `---`. */
export function parseFrontMatter(yamlText: string, startLine: number, sink: DiagnosticSink): FrontMatter {
  const fm = emptyFrontMatter();
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false });
  const posOf = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: startLine + p.line, column: p.col };
  };
  if (doc.errors.length > 0) {
    reportYamlErrors(doc.errors, yamlText, lineCounter, posOf, sink, 'front matter');
    // Its vars and env are unknown: lint must not call the names they define undefined.
    fm.unreadable = true;
    return fm;
  }
  if (doc.contents === null) return fm;
  if (!isMap(doc.contents)) {
    sink.error('bad-front-matter', posOf(0), 'front matter must be a mapping of keys such as title:, user:');
    return fm;
  }
  const keyAt = (key: string): Position => {
    const pair = isMap(doc.contents) ? doc.contents.items.find((p) => String((p.key as YamlNode | null)?.toString()) === key) : undefined;
    return posOf((pair?.key as YamlNode | undefined)?.range?.[0]);
  };
  const raw = doc.toJSON() as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    sink.error('bad-front-matter', keyAt(key), `${key}: want a single value`);
    return undefined;
  };
  for (const key of Object.keys(raw)) {
    if (KNOWN.includes(key)) continue;
    // Other tools' keys (weight, menu, tags) are fine; a near miss of ours (befor:, recovry:)
    // would silently drop a checklist or a recovery path, so it stops the run.
    const near = nearMiss(key, KNOWN);
    if (near !== undefined) sink.error('unknown-attribute', keyAt(key), `front matter key "${key}" is not known: did you mean "${near}"?`);
    else sink.warn('unknown-attribute', keyAt(key), `front matter key "${key}" is not used by stepgate (known: ${KNOWN.join(', ')})`);
  }
  // Other tools' keys are theirs to read; a value of ours that YAML cut at ` #` is said.
  for (const pair of doc.contents.items) {
    const key = String((pair.key as YamlNode | null)?.toString());
    if (KNOWN.includes(key)) warnValueCuts(pair.value, [key], yamlText, posOf, sink);
  }
  const title = text('title');
  if (title !== undefined) fm.title = title;
  const description = text('description');
  if (description !== undefined) fm.description = description;
  const user = text('user');
  if (user !== undefined) {
    fm.user = user;
    fm.userPosition = keyAt('user');
  }
  const cwd = text('cwd');
  if (cwd !== undefined) fm.cwd = cwd;
  const lock = text('lock');
  if (lock !== undefined) {
    if (!/^[\w.:/-]{1,200}$/.test(lock)) sink.error('bad-front-matter', keyAt('lock'), `lock: ${lock}: want a name of letters, digits and . _ : / - such as omneuro-deploy`);
    else fm.lock = lock;
  }
  if (raw.rollback !== undefined) {
    if (typeof raw.rollback !== 'boolean') sink.error('bad-front-matter', keyAt('rollback'), 'rollback: want true or false');
    else fm.rollback = raw.rollback;
  }
  // Each entry of env: and vars: is said at its own line, where the author fixes it, and a
  // field of an entry at the field's own; the mapping's key when the entry's place is unknown.
  const entryAt = (key: string): ((name: string, field?: string) => Position) => {
    const pair = isMap(doc.contents) ? doc.contents.items.find((p) => String((p.key as YamlNode | null)?.toString()) === key) : undefined;
    const entries = isMap(pair?.value) ? pair.value.items : [];
    return (name, field) => {
      const entry = entries.find((p) => String((p.key as YamlNode | null)?.toString()) === name);
      const inner = field !== undefined && isMap(entry?.value) ? entry.value.items.find((p) => String((p.key as YamlNode | null)?.toString()) === field) : undefined;
      const at = inner ?? entry;
      return at ? posOf((at.key as YamlNode | undefined)?.range?.[0]) : keyAt(key);
    };
  };
  const env = readEnv(raw.env, keyAt('env'), entryAt('env'), sink);
  fm.env = env.values;
  if (Object.keys(env.positions).length > 0) fm.envPositions = env.positions;
  fm.vars = readVars(raw.vars, keyAt('vars'), entryAt('vars'), sink);
  const recovery = text('recovery');
  if (recovery !== undefined) {
    const target = parseLinkTarget(recovery, keyAt('recovery'));
    if (target) fm.recovery = target;
    else sink.error('bad-front-matter', keyAt('recovery'), `recovery: ${recovery}: want a link such as recovery.md or recovery.md#rollback`);
  }
  fm.before = readTargets(raw.before, 'before', keyAt('before'), sink);
  fm.after = readTargets(raw.after, 'after', keyAt('after'), sink);
  return fm;
}

function readEnv(value: unknown, at: Position, entryAt: (name: string) => Position, sink: DiagnosticSink): { values: Record<string, string>; positions: Record<string, Position> } {
  const out = { values: {} as Record<string, string>, positions: {} as Record<string, Position> };
  if (value === undefined || value === null) return out;
  if (typeof value !== 'object' || Array.isArray(value)) {
    sink.error('bad-front-matter', at, 'env: want a mapping NAME: value');
    return out;
  }
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const here = entryAt(name);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      sink.error('bad-front-matter', here, `env: "${name}" is not a valid variable name`);
      continue;
    }
    if (v !== null && typeof v === 'object') {
      sink.error('bad-front-matter', here, `env: ${name}: want a plain value`);
      continue;
    }
    out.values[name] = v === null ? '' : String(v);
    out.positions[name] = here;
  }
  return out;
}

const VAR_FIELDS = ['prompt', 'default', 'secret', 'pattern', 'hint'];

function readVars(value: unknown, at: Position, entryAt: (name: string, field?: string) => Position, sink: DiagnosticSink): VarSpec[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) {
    sink.error('bad-front-matter', at, 'vars: want a mapping NAME: {prompt, default, secret, pattern, hint}');
    return [];
  }
  const vars: VarSpec[] = [];
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const here = entryAt(name);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      sink.error('bad-front-matter', here, `vars: "${name}" is not a valid variable name`);
      continue;
    }
    if (v === null || typeof v === 'string') {
      vars.push({ name, prompt: v ?? name, secret: looksSecretName(name), position: here });
      continue;
    }
    if (typeof v !== 'object' || Array.isArray(v)) {
      sink.error('bad-front-matter', here, `vars: ${name}: want a prompt string or {prompt, default, secret, pattern, hint}`);
      continue;
    }
    const spec = v as Record<string, unknown>;
    for (const key of Object.keys(spec)) {
      if (VAR_FIELDS.includes(key)) continue;
      // `secert: true` leaves a secret unmasked, `defualt:` a default unused: say which was meant.
      const near = nearMiss(key, VAR_FIELDS);
      sink.error(
        'unknown-attribute',
        entryAt(name, key),
        near !== undefined ? `vars: ${name}: unknown field "${key}": did you mean "${near}"?` : `vars: ${name}: unknown field "${key}" (known: ${VAR_FIELDS.join(', ')})`,
      );
    }
    const entry: VarSpec = {
      name,
      prompt: spec.prompt === undefined ? name : String(spec.prompt),
      // A name that looks secret is secret, whatever the runbook says: masking and redaction
      // must not depend on an author remembering `secret: true`.
      secret: spec.secret === true || looksSecretName(name),
      position: here,
    };
    if (spec.default !== undefined && spec.default !== null) entry.default = String(spec.default);
    if (spec.pattern !== undefined && spec.pattern !== null) {
      const pattern = typeof spec.pattern === 'string' || typeof spec.pattern === 'number' ? String(spec.pattern) : undefined;
      const test = pattern === undefined ? { error: 'not a string' } : varPattern(pattern);
      if (pattern === undefined || !(test instanceof RegExp)) {
        const why = test instanceof RegExp ? '' : test.error;
        sink.error('bad-front-matter', here, `vars: ${name}: pattern: ${why}: want a regular expression the whole value must match, such as '[0-9]+'`);
      } else {
        entry.pattern = pattern;
        // A default the pattern refuses would be refused at every run that takes it.
        const matched = entry.default === undefined ? true : matchWithin(test, entry.default);
        if (matched !== true)
          sink.error('bad-front-matter', here, `vars: ${name}: the default ${entry.secret ? '' : `${JSON.stringify(entry.default)} `}${matched === 'slow' ? `took more than ${PATTERN_MS} ms to test against` : 'does not match'} the pattern ${pattern}`);
      }
    }
    if (spec.hint !== undefined && spec.hint !== null) {
      if (typeof spec.hint !== 'string' || spec.hint.trim() === '') sink.error('bad-front-matter', here, `vars: ${name}: hint: want the words for what the pattern takes, such as 'a port from 1024 to 65535'`);
      else if (spec.pattern === undefined || spec.pattern === null) sink.warn('bad-front-matter', here, `vars: ${name}: hint: is said when the pattern refuses a value, and ${name} has no pattern: add one, or drop the hint`);
      else entry.hint = spec.hint.trim();
    }
    vars.push(entry);
  }
  return vars;
}

function readTargets(value: unknown, key: string, at: Position, sink: DiagnosticSink): LinkTarget[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  const out: LinkTarget[] = [];
  for (const item of items) {
    const target = typeof item === 'string' ? parseLinkTarget(item, at) : undefined;
    if (target) out.push(target);
    else sink.error('bad-front-matter', at, `${key}: ${JSON.stringify(item)}: want a link such as checklists.md#pre-deploy`);
  }
  return out;
}
