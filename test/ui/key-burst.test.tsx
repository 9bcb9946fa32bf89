/**
 * Keys that arrive in one read (typed quickly over a slow SSM link) each do what they do when
 * typed apart; a paste binds to nothing.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { keyBurst } from '../../src/ui/keymap.js';
import { renderSession } from './helpers.js';
import { DEPLOY_FILE, FILES } from './runbooks.js';

afterEach(() => cleanup());

describe('keyBurst', () => {
  it('takes a short run of printable keys apart, and leaves one key, ctrl keys and pastes whole', () => {
    expect(keyBurst('jj', {})).toEqual(['j', 'j']);
    expect(keyBurst('j\r', {})).toEqual(['j', '\r']);
    expect(keyBurst('j', {})).toEqual(['j']);
    expect(keyBurst('c', { ctrl: true })).toEqual(['c']);
    expect(keyBurst('git pull --ff-only', {})).toEqual(['git pull --ff-only']);
    expect(keyBurst('\u001B[A', {})).toEqual(['\u001B[A']);
  });
});

describe('keys in one read', () => {
  it('moves twice for jj, and back up for kk', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE);
    await r.waitForFrame('enter run');
    r.press('jj');
    await r.waitForFrame('>[ ] Tell the team the deploy is done.');
    expect(r.frame()).toContain(' [ ] check healthz');
    r.press('kk');
    await r.waitForFrame('>[ ] pull: Pull the latest code.');
  });
});
