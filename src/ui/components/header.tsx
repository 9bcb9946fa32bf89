/** Runbook title, run-as user@host, elapsed time and recovery depth; the breadcrumb in recovery. */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useSession } from '../context.js';
import { useElapsed } from '../hooks/use-elapsed.js';
import { fit, fitWords } from '../layout.js';
import { stepName } from '../lines.js';

export interface HeaderProps {
  width: number;
  runAs: string;
  host: string;
  /** Show the recovery breadcrumb on a second line. */
  crumb: boolean;
}

export function Header({ width, runAs, host, crumb }: HeaderProps) {
  const { title, startedAt, endedAt, running, depth, frameTitle, from } = useSession(
    useShallow((s) => {
      const frames = s.session.frames;
      const parent = frames[frames.length - 2];
      return {
        title: frames[0]?.init.title ?? '',
        startedAt: s.session.startedAt,
        endedAt: s.session.endedAt,
        running: s.session.status.kind === 'running',
        depth: Math.max(0, frames.length - 1),
        frameTitle: frames[frames.length - 1]?.init.title ?? '',
        from: stepName(parent?.init.items[parent.cursor], 30),
      };
    }),
  );
  const elapsed = useElapsed(startedAt, endedAt, running);
  const right = ` ${runAs}@${host} · ${elapsed} · depth ${depth}`;
  const shortRight = ` ${elapsed} d${depth}`;
  const side = width - right.length >= 24 ? right : shortRight;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate" bold>
        {fit(`stepgate · ${title}`, width - side.length, true)}
        {side}
      </Text>
      {crumb && depth > 0 ? (
        // Not "recovery 1": a trial read it as the first recovery taken, when it was the second.
        <Text wrap="truncate">{fitWords(`in recovery${depth > 1 ? ` (${depth} deep)` : ''}: ${frameTitle} (blocked at ${from})`, width)}</Text>
      ) : null}
    </Box>
  );
}
