/**
 * The preflight row's detail: what was checked before the first step and what it found, so the
 * operator sees the host was looked at (and what was let through) without leaving the TUI.
 */
import { useMemo } from 'react';
import { Box } from 'ink';
import type { SessionState } from '../../session/types.js';
import { preflightLabel } from '../checklist-rows.js';
import { printable, shortPath, wrapText, type Line } from '../lines.js';
import { statusMark } from '../marks.js';
import { Pane, Rule } from './pane.js';

export interface PreflightDetailProps {
  preflight: NonNullable<SessionState['preflight']>;
  runAs: string;
  height: number;
  width: number;
  scroll: number;
}

export function PreflightDetail({ preflight, runAs, height, width, scroll }: PreflightDetailProps) {
  const lines = useMemo((): Line[] => {
    const out: Line[] = wrapText(
      `Checked in ${preflight.ms} ms before the first step, as ${runAs}: every step of the main flow, the checklists and each recovery section they can reach parses with ${runAs}'s bash, every command it runs resolves, its scripts and directories exist, check hosts resolve, and the disk has room.`,
      width,
    ).map((text) => ({ text }));
    out.push({ text: '' });
    if (preflight.findings.length === 0) out.push({ text: 'Nothing found.', tone: 'ok' });
    for (const f of preflight.findings) {
      const head = `${shortPath(f.file)}:${f.line}: ${f.severity}: `;
      wrapText(printable(`${head}${f.message}`), width).forEach((text, i) => out.push({ text: i === 0 ? text : `  ${text}`, tone: f.severity === 'error' ? 'error' : 'warn' }));
    }
    if (preflight.skipped) {
      out.push({ text: '' });
      for (const text of wrapText(printable(`Errors passed by ${preflight.skipped.who.user} with --skip-preflight: ${preflight.skipped.reason}`), width)) out.push({ text, tone: 'warn' });
    }
    return out;
  }, [preflight, runAs, width]);
  const { label, status } = preflightLabel(preflight);
  return (
    <Box flexDirection="column" height={height}>
      <Rule text={`${statusMark(status)} ${label}`} width={width} />
      <Pane lines={lines} height={Math.max(1, height - 1)} width={width} top={scroll} />
    </Box>
  );
}
