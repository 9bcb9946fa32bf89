import { posix } from 'node:path';
import type { LinkTarget, Position } from './model.js';

/** Has a URL scheme (`https:`, `mailto:`) or is protocol-relative: not a runbook reference. */
function isExternal(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//');
}

/**
 * Reads `checklists.md#pre-deploy`, `./recovery.md`, `#rollback` into a LinkTarget.
 * Returns undefined for anything that is not a reference to a markdown runbook or an anchor.
 */
export function parseLinkTarget(raw: string, position: Position): LinkTarget | undefined {
  const text = raw.trim();
  if (text === '' || isExternal(text)) return undefined;
  const hash = text.indexOf('#');
  const pathPart = hash === -1 ? text : text.slice(0, hash);
  const anchorPart = hash === -1 ? undefined : text.slice(hash + 1);
  const filePart = safeDecode(pathPart.split('?')[0] ?? '');
  if (filePart !== '' && !/\.md$/i.test(filePart)) return undefined;
  if (filePart === '' && !anchorPart) return undefined;
  const target: LinkTarget = { raw: text, position };
  if (filePart !== '') target.file = filePart;
  if (anchorPart) target.anchor = safeDecode(anchorPart).toLowerCase();
  return target;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A `.md` file name written as inline code, as the guide does (`` `RUNBOOK.md` ``). */
export function isMarkdownFileName(text: string): boolean {
  return /^[\w./-]+\.md(#[\w-]+)?$/i.test(text.trim());
}

/**
 * Where a target points, relative to the file that names it. Paths use `/` and stay relative
 * when `fromFile` is relative, so the result is stable across hosts.
 */
export function resolveTarget(fromFile: string, target: LinkTarget): { file: string; anchor?: string } {
  const file = target.file === undefined ? fromFile : posix.join(posix.dirname(fromFile), target.file);
  return target.anchor === undefined ? { file } : { file, anchor: target.anchor };
}

export function describeTarget(target: { file: string; anchor?: string }): string {
  return target.anchor === undefined ? target.file : `${target.file}#${target.anchor}`;
}
