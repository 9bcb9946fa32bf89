import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BINDINGS, MODAL_KEYS, commandFor, digitIndex, keyName } from '../../src/ui/keymap.js';

describe('keyName', () => {
  it('names arrows, enter, esc, space, ctrl combinations and printable keys', () => {
    expect(keyName('', { upArrow: true })).toBe('up');
    expect(keyName('', { downArrow: true })).toBe('down');
    expect(keyName('', { pageUp: true })).toBe('pageup');
    expect(keyName('', { return: true })).toBe('enter');
    expect(keyName('\n', {})).toBe('enter');
    expect(keyName('', { escape: true })).toBe('esc');
    expect(keyName(' ', {})).toBe('space');
    expect(keyName('c', { ctrl: true })).toBe('ctrl-c');
    expect(keyName('j', {})).toBe('j');
    expect(keyName('?', {})).toBe('?');
    expect(keyName('', { ctrl: true })).toBeUndefined();
    expect(keyName('abc', {})).toBeUndefined();
  });
});

describe('commandFor', () => {
  it('maps the issue keys in the checklist', () => {
    const table: Array<[string, string]> = [
      ['up', 'up'],
      ['k', 'up'],
      ['down', 'down'],
      ['j', 'down'],
      ['enter', 'run'],
      ['space', 'toggle'],
      ['a', 'run-all'],
      ['r', 'retry'],
      ['s', 'skip'],
      ['c', 'recover'],
      ['i', 'attach'],
      ['ctrl-c', 'interrupt'],
      ['o', 'open-ref'],
      ['esc', 'back'],
      ['q', 'quit'],
      ['?', 'help'],
    ];
    for (const [key, command] of table) expect(commandFor('checklist', key), key).toBe(command);
  });

  it('gives enter a different meaning per mode, and ignores unbound keys', () => {
    expect(commandFor('gate', 'enter')).toBe('pick');
    expect(commandFor('picker', 'enter')).toBe('pick');
    expect(commandFor('picker', '/')).toBe('filter');
    expect(commandFor('checklist', '/')).toBeUndefined();
    expect(commandFor('picker', 'a')).toBeUndefined();
    expect(commandFor('checklist', 'x')).toBeUndefined();
    expect(commandFor('checklist', undefined)).toBeUndefined();
  });

  it('reads digits as menu indices', () => {
    expect(digitIndex('1')).toBe(0);
    expect(digitIndex('9')).toBe(8);
    expect(digitIndex('0')).toBeUndefined();
    expect(digitIndex('a')).toBeUndefined();
  });

  it('has no key bound to two commands in one mode', () => {
    const seen = new Map<string, string>();
    for (const b of BINDINGS) {
      for (const mode of b.modes) {
        for (const key of b.keys) {
          const id = `${mode}:${key}`;
          expect(seen.get(id) ?? b.command, id).toBe(b.command);
          seen.set(id, b.command);
        }
      }
    }
  });
});

describe('docs/keys.md', () => {
  it('documents every binding and every modal key', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'keys.md'), 'utf8');
    const shown: Record<string, string> = { up: '↑', down: '↓', pageup: 'PgUp', pagedown: 'PgDn' };
    for (const b of BINDINGS) for (const key of b.keys) expect(doc, key).toContain(`\`${shown[key] ?? key}\``);
    for (const m of MODAL_KEYS) for (const key of m.keys.split(' / ')) expect(doc, key).toContain(`\`${key}\``);
  });
});
