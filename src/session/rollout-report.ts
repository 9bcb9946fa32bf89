/**
 * `stepgate report ID` for a fleet rollout: a Markdown record for the change ticket, built
 * from the rollout journal alone. Who rolled out what (runbook hash, document version, targets,
 * rate control), one row per instance (step reached, status, duration as last seen), and for
 * each instance that did not succeed its failing step and the tail of that step's output.
 */
import { acceptedText, rowDuration, rowFailed, type InstanceRow, type RolloutEvent } from '../fleet/rollout.js';
import { cell, code, table } from './markdown-text.js';
import { printable } from './printable.js';
import { compareText } from '../runbooks/text-order.js';

function utc(at: number): string {
  return new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A fenced block that the text inside cannot close. */
function fenced(text: string): string[] {
  const body = printable(text).replace(/\s+$/, '');
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return [fence, body, fence];
}

export function rolloutReport(events: readonly RolloutEvent[], journal: string): string {
  const started = events.find((e): e is Extract<RolloutEvent, { type: 'rollout-started' }> => e.type === 'rollout-started');
  if (!started) throw new Error('the rollout journal has no rollout-started event');
  const rows = new Map<string, InstanceRow>();
  const notes: string[] = [];
  let commandId: string | undefined;
  let finished: Extract<RolloutEvent, { type: 'rollout-finished' }> | undefined;
  for (const e of events) {
    if (e.type === 'instance-changed') rows.set(e.row.instanceId, e.row);
    else if (e.type === 'command-sent') commandId = e.commandId;
    else if (e.type === 'rollout-finished') finished = e;
    else if (e.type === 'cancel-requested') notes.push(`- ${utc(e.at)}: cancel requested by ${cell(e.who.user)}`);
    else if (e.type === 'rollout-error') notes.push(`- ${utc(e.at)}: error: ${cell(e.message)}`);
    else if (e.type === 'edits-accepted') notes.push(`- ${utc(e.at)}: ${cell(acceptedText(e))}`);
  }
  const t = started.targets;
  const target = t.instanceIds ? `instances ${t.instanceIds.map((i) => code(i)).join(', ')}` : `instances tagged ${code(`${t.tag?.key ?? '?'}=${t.tag?.value ?? '?'}`)}`;
  const outcomeText = finished
    ? finished.noInstance
      ? `**no instance matched the target** (command ${cell(finished.status)}: SSM ran it nowhere)`
      : finished.neverStarted
      ? `**SSM never started the command on any instance** (command still ${cell(finished.status)} when the watch gave up)`
      : finished.ok
      ? `**every instance succeeded** (command ${cell(finished.status)})`
      : `**${finished.failed.length} instance${finished.failed.length === 1 ? '' : 's'} failed** (command ${cell(finished.status)})`
    : '**not finished when last watched** (`stepgate fleet status` watches it again)';
  const out = [
    `# Fleet rollout ${started.id}`,
    '',
    `- Runbook: ${code(started.runbook.file)} (sha256 ${code(started.runbook.sha256.slice(0, 12))})`,
    `- Document: ${code(started.document.name)} version ${cell(started.document.version)}${started.document.created ? ' (created)' : started.document.unchanged ? ' (unchanged)' : ' (updated)'}`,
    `- Command: ${commandId ? code(commandId) : 'never sent'}${started.region ? ` in ${cell(started.region)}` : ''}`,
    `- Targets: ${target}; max concurrency ${cell(started.maxConcurrency)}, max errors ${cell(started.maxErrors)}`,
    `- Started: ${utc(started.at)} by ${cell(started.who.user)}${started.who.ssmSessionId ? ` (ssm ${cell(started.who.ssmSessionId)})` : ''} on ${cell(started.host)}`,
    `- Outcome: ${outcomeText}${finished ? `, ${utc(finished.at)}` : ''}`,
    '',
    '## Instances',
    '',
  ];
  const sorted = [...rows.values()].sort((a, b) => compareText(a.instanceId, b.instanceId));
  if (sorted.length === 0) out.push('No instance reported yet.');
  else out.push(...table(['Instance', 'Step reached', 'Status', 'Duration'], sorted.map((r) => [code(r.instanceId), r.step ? code(r.step) : '', cell(r.status), rowDuration(r.durationMs)]), ['l', 'l', 'l', 'r']));
  const failed = sorted.filter(rowFailed);
  if (failed.length > 0) {
    out.push('', '## Failed instances');
    for (const r of failed) {
      out.push('', `### ${cell(r.instanceId)}: ${cell(r.status)} at ${r.step ? code(r.step, false) : 'an unknown step'}`);
      if (r.tail) out.push('', ...fenced(r.tail));
    }
  }
  if (notes.length > 0) out.push('', '## Events', '', ...notes);
  out.push('', `Journal: ${code(journal, false)} (\`stepgate log ${started.id}\`)`, '');
  return out.join('\n');
}
