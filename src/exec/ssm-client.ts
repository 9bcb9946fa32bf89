/**
 * The one place stepgate talks to AWS Systems Manager. The SDK finds credentials, region and
 * endpoint the standard way (environment, profiles, instance role; `AWS_ENDPOINT_URL_SSM` /
 * `AWS_ENDPOINT_URL`); stepgate stores none of it. Commands see only `FleetSsm`.
 */
import { createHash } from 'node:crypto';
import {
  CancelCommandCommand,
  CreateDocumentCommand,
  DescribeDocumentCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  UpdateDocumentCommand,
  type CommandInvocation,
} from '@aws-sdk/client-ssm';

export type FleetTargets = { instanceIds: string[] } | { tag: { key: string; value: string } };

export interface SendRequest {
  documentName: string;
  documentVersion: string;
  targets: FleetTargets;
  maxConcurrency: string;
  maxErrors: string;
  comment: string;
  parameters: Record<string, string[]>;
}

export interface CommandState {
  commandId: string;
  status: string;
  targetCount: number;
  completedCount: number;
  errorCount: number;
  instanceIds: string[];
}

export interface PluginState {
  /** The document step's name. */
  name: string;
  status: string;
  responseCode?: number;
  output?: string;
  startMs?: number;
  endMs?: number;
}

export interface InvocationState {
  instanceId: string;
  status: string;
  statusDetails?: string;
  plugins: PluginState[];
  responseCode?: number;
  output?: string;
  error?: string;
  startMs?: number;
  endMs?: number;
}

export interface FleetSsm {
  /** Creates the document, or a new version of it; the same content again reuses its version. */
  putDocument(name: string, content: string, format: 'JSON' | 'YAML'): Promise<{ version: string; created: boolean; unchanged: boolean }>;
  sendCommand(request: SendRequest): Promise<CommandState>;
  getCommand(commandId: string): Promise<CommandState | undefined>;
  /** Every instance of a command with its steps; `known` instance ids are asked one by one if the list call fails. */
  listInvocations(commandId: string, known: string[]): Promise<InvocationState[]>;
  cancel(commandId: string): Promise<void>;
}

/** Errors worth another try: throttling and the service's own 5xx. */
export function retryable(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (/Throttl|TooManyRequests|RequestLimitExceeded|TooManyUpdates/.test(e.name ?? '')) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/** Tries `fn` up to `attempts` times, waiting 0.5 s, 1 s, 2 s ... between retryable failures. */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 5, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await fn();
    } catch (error) {
      if (n >= attempts || !retryable(error)) throw error;
      await sleep(Math.min(8000, 500 * 2 ** (n - 1)));
    }
  }
}

function ms(date: Date | string | undefined): number | undefined {
  if (date === undefined || date === '') return undefined;
  const t = (date instanceof Date ? date : new Date(date)).getTime();
  return Number.isNaN(t) ? undefined : t;
}

function invocationState(inv: CommandInvocation): InvocationState {
  const state: InvocationState = { instanceId: inv.InstanceId ?? '?', status: inv.Status ?? 'Unknown', plugins: [] };
  if (inv.StatusDetails) state.statusDetails = inv.StatusDetails;
  const start = ms(inv.RequestedDateTime);
  if (start !== undefined) state.startMs = start;
  for (const p of inv.CommandPlugins ?? []) {
    const plugin: PluginState = { name: p.Name ?? '?', status: p.Status ?? 'Pending' };
    if (p.ResponseCode !== undefined) plugin.responseCode = p.ResponseCode;
    if (p.Output) plugin.output = p.Output;
    const s = ms(p.ResponseStartDateTime);
    const e = ms(p.ResponseFinishDateTime);
    if (s !== undefined) plugin.startMs = s;
    if (e !== undefined) plugin.endMs = e;
    state.plugins.push(plugin);
  }
  return state;
}

export interface SsmClientOptions {
  region?: string;
  client?: SSMClient;
  /** Waits between retries of a throttled call (default: real time); tests pass one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
}

export function createSsmClient(options: SsmClientOptions = {}): FleetSsm {
  // The SDK warns on Node 20 that *later* SDK releases will need Node 22; the version pinned in
  // package.json supports Node 20, and the warning would land in the middle of an operator's
  // output. Whoever sets the variable themselves keeps their choice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = options.client ?? new SSMClient(options.region ? { region: options.region } : {});
  const send = <T>(fn: () => Promise<T>): Promise<T> => withRetry(fn, 5, options.sleep);
  const commandState = (c: { CommandId?: string; Status?: string; TargetCount?: number; CompletedCount?: number; ErrorCount?: number; InstanceIds?: string[] }): CommandState => ({
    commandId: c.CommandId ?? '',
    status: c.Status ?? 'Unknown',
    targetCount: c.TargetCount ?? 0,
    completedCount: c.CompletedCount ?? 0,
    errorCount: c.ErrorCount ?? 0,
    instanceIds: c.InstanceIds ?? [],
  });
  return {
    async putDocument(name, content, format) {
      try {
        const created = await send(() => client.send(new CreateDocumentCommand({ Name: name, Content: content, DocumentType: 'Command', DocumentFormat: format })));
        return { version: created.DocumentDescription?.DocumentVersion ?? '1', created: true, unchanged: false };
      } catch (error) {
        if ((error as Error).name !== 'DocumentAlreadyExists') throw error;
      }
      try {
        const updated = await send(() => client.send(new UpdateDocumentCommand({ Name: name, Content: content, DocumentVersion: '$LATEST', DocumentFormat: format })));
        return { version: updated.DocumentDescription?.DocumentVersion ?? '$LATEST', created: false, unchanged: false };
      } catch (error) {
        if ((error as Error).name !== 'DuplicateDocumentContent') throw error;
      }
      // Same content as the latest version: SSM's Hash is the content's SHA-256.
      const described = await send(() => client.send(new DescribeDocumentCommand({ Name: name, DocumentVersion: '$LATEST' })));
      const want = createHash('sha256').update(content).digest('hex');
      const d = described.Document;
      if (d?.Hash !== undefined && d.Hash !== want) throw new Error(`document ${name} already has this content in a version other than its latest; delete the older versions or rename the runbook`);
      return { version: d?.LatestVersion ?? d?.DocumentVersion ?? '$LATEST', created: false, unchanged: true };
    },
    async sendCommand(request) {
      const targets = 'instanceIds' in request.targets ? { InstanceIds: request.targets.instanceIds } : { Targets: [{ Key: `tag:${request.targets.tag.key}`, Values: [request.targets.tag.value] }] };
      const sent = await send(() =>
        client.send(
          new SendCommandCommand({
            DocumentName: request.documentName,
            DocumentVersion: request.documentVersion,
            ...targets,
            MaxConcurrency: request.maxConcurrency,
            MaxErrors: request.maxErrors,
            Comment: request.comment.slice(0, 100),
            Parameters: request.parameters,
          }),
        ),
      );
      if (!sent.Command) throw new Error('SendCommand answered without a command');
      return commandState(sent.Command);
    },
    async getCommand(commandId) {
      const listed = await send(() => client.send(new ListCommandsCommand({ CommandId: commandId })));
      const c = listed.Commands?.[0];
      return c ? commandState(c) : undefined;
    },
    async listInvocations(commandId, known) {
      try {
        const out: InvocationState[] = [];
        let token: string | undefined;
        do {
          const page = await send(() => client.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, NextToken: token })));
          out.push(...(page.CommandInvocations ?? []).map(invocationState));
          token = page.NextToken;
        } while (token);
        return out;
      } catch (error) {
        if (known.length === 0) throw error;
      }
      // Some endpoints (moto among them) cannot list invocations: ask per known instance.
      return Promise.all(
        known.map(async (instanceId): Promise<InvocationState> => {
          try {
            const inv = await send(() => client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })));
            const state: InvocationState = { instanceId, status: inv.Status ?? 'Unknown', plugins: [] };
            if (inv.StatusDetails) state.statusDetails = inv.StatusDetails;
            if (inv.ResponseCode !== undefined) state.responseCode = inv.ResponseCode;
            const output = `${inv.StandardOutputContent ?? ''}${inv.StandardErrorContent ?? ''}`;
            if (output) state.output = output;
            const s = ms(inv.ExecutionStartDateTime);
            const e = ms(inv.ExecutionEndDateTime);
            if (s !== undefined) state.startMs = s;
            if (e !== undefined) state.endMs = e;
            if (inv.PluginName) state.plugins.push({ name: inv.PluginName, status: inv.Status ?? 'Unknown', ...(inv.ResponseCode !== undefined ? { responseCode: inv.ResponseCode } : {}) });
            return state;
          } catch (error) {
            return { instanceId, status: 'Unknown', plugins: [], error: (error as Error).message };
          }
        }),
      );
    },
    async cancel(commandId) {
      await send(() => client.send(new CancelCommandCommand({ CommandId: commandId })));
    },
  };
}
