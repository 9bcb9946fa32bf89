/**
 * The opening every SDK-boundary fleet test shares: aws-sdk-client-mock over SSMClient's send
 * (stepgate above it is real), a state directory per test, what fleet printed, the watch's
 * waits, and the rollout journal. `useFleetHarness` registers its own beforeEach/afterEach, so
 * each test starts with a reset mock, an empty directory and empty output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, type CommandStatus, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach } from 'vitest';
import type { FleetDeps } from '../../src/commands/fleet.js';
import { createSsmClient } from '../../src/exec/ssm-client.js';
import type { RolloutEvent } from '../../src/fleet/rollout.js';
import { readRollout } from '../../src/session/rollout-journal.js';

// The SDK's Node-version notice would land in the middle of the captured output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** The command id every mocked SendCommand answers with. */
export const COMMAND_ID = 'c0ffee00-0000-4000-8000-000000000001';
/** A one-step runbook: enough for a document with one `aws:runShellScript`. */
export const ONE_STEP = `---\nuser: ubuntu\n---\n# Fleet\n\n## Steps\n\nBuild it.\n\n\`\`\`bash {name=build}\nmake\n\`\`\`\n`;
/** The mocked clock's start; `deps({ now })` moves it. */
export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
const ssmStub = () => mockClient(SSMClient);
/** A watch that polls this often has not ended: the test fails instead of filling the heap. */
const MAX_POLLS = 200;

export interface FleetHarness {
  ssmMock: ReturnType<typeof ssmStub>;
  /** This test's STEPGATE_STATE_DIR (and where `runbook` writes). */
  readonly dir: string;
  /** What fleet wrote to stdout and stderr since the test began (assign '' to start over). */
  out: string;
  err: string;
  /** Each wait of the watch, in ms (the SDK client's own retry waits are not counted). */
  sleeps: number[];
  deps(extra?: Partial<FleetDeps>): FleetDeps;
  /** Writes `text` as fleet.md in this test's directory; returns its path. */
  runbook(text?: string): string;
  /** The id of the rollout fleet run last announced. */
  rolloutId(): string;
  /** That rollout's journal, read and checked as `log` and `report` read it. */
  events(id?: string): RolloutEvent[];
}

/** A command as ListCommands/SendCommand answer it: one instance targeted, none finished yet. */
export function command(status: CommandStatus, extra: Partial<Command> = {}): Command {
  return { CommandId: COMMAND_ID, Status: status, TargetCount: 1, CompletedCount: 0, ErrorCount: 0, InstanceIds: [], ...extra };
}

/** An SDK error as the client throws it: a name, a message and an HTTP status. */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

export function useFleetHarness(prefix = 'stepgate-fleet-'): FleetHarness {
  let dir = '';
  const h: FleetHarness = {
    ssmMock: ssmStub(),
    get dir() {
      return dir;
    },
    out: '',
    err: '',
    sleeps: [],
    deps: (extra = {}) => ({
      ssm: () => createSsmClient({ client: new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), sleep: () => Promise.resolve() }),
      out: (t) => (h.out += t),
      err: (t) => (h.err += t),
      now: () => T0,
      sleep: (ms) => {
        h.sleeps.push(ms);
        return h.sleeps.length > MAX_POLLS ? Promise.reject(new Error(`still polling after ${MAX_POLLS} polls`)) : Promise.resolve();
      },
      env: { STEPGATE_STATE_DIR: dir, USER: 'ops' },
      ...extra,
    }),
    runbook: (text = ONE_STEP) => {
      const file = join(dir, 'fleet.md');
      writeFileSync(file, text);
      return file;
    },
    rolloutId: () => /rollout (fleet-\S+):/.exec(h.out)?.[1] ?? '',
    events: (id = h.rolloutId()) => readRollout(id, { STEPGATE_STATE_DIR: dir }) ?? [],
  };
  beforeEach(() => {
    h.ssmMock.reset();
    dir = mkdtempSync(join(tmpdir(), prefix));
    h.out = '';
    h.err = '';
    h.sleeps = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return h;
}
