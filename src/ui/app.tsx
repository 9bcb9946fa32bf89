/**
 * The TUI's root: the picker (for a directory) or a runbook view (for a file, or once an entry
 * is picked). Owns nothing but which screen shows; the `tui` command owns the exit.
 */
import { useCallback, useEffect, useState } from 'react';
import { Text } from 'ink';
import { ServicesProvider, StoreProvider, type SessionHandle, type UiServices } from './context.js';
import type { PickerEntry } from './picker-model.js';
import { Picker } from './components/picker.js';
import { RunbookScreen } from './runbook/runbook-screen.js';
import { describeError } from '../errors.js';

export interface PickerSource {
  dir: string;
  entries: readonly PickerEntry[];
  /** Opens a runbook or resumes a session. */
  open(entry: PickerEntry): Promise<SessionHandle>;
  /** Lists again (after a session closes, to show it as resumable). */
  refresh(): Promise<readonly PickerEntry[]>;
  /**
   * Lines under the list, asked for once the picker is on the screen (as root: other users'
   * unfinished sessions, which take a stepgate start per user to list).
   */
  notes?(): Promise<readonly string[]>;
}

export interface AppProps {
  services: UiServices;
  /** A session already open (`stepgate FILE`). */
  session?: SessionHandle;
  /** The directory to pick from (`stepgate DIR`); esc from a session returns here. */
  picker?: PickerSource;
  /** The TUI is done; `code` is the process exit code. */
  onExit: (code: number) => void;
}

export function App({ services, session: initial, picker, onExit }: AppProps) {
  const [session, setSession] = useState<SessionHandle | undefined>(initial);
  const [entries, setEntries] = useState<readonly PickerEntry[]>(picker?.entries ?? []);
  const [message, setMessage] = useState<string | undefined>();
  const [opening, setOpening] = useState(false);
  const [notes, setNotes] = useState<readonly string[]>([]);

  // After the first frame: the list is there at once, the notes when they are known.
  useEffect(() => {
    if (!picker?.notes) return;
    let live = true;
    picker.notes().then(
      (lines) => live && setNotes(lines),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [picker]);

  const open = useCallback(
    (entry: PickerEntry) => {
      if (!picker || opening) return;
      setOpening(true);
      setMessage(`opening ${entry.title}...`);
      picker.open(entry).then(
        (handle) => {
          setMessage(undefined);
          setOpening(false);
          setSession(handle);
        },
        (error: unknown) => {
          setOpening(false);
          setMessage(`cannot open ${entry.title}: ${describeError(error)}`);
        },
      );
    },
    [picker, opening],
  );

  const back = useCallback(() => {
    setSession(undefined);
    if (!picker) return;
    picker.refresh().then(setEntries, () => undefined);
  }, [picker]);

  let body;
  if (session) {
    body = (
      <StoreProvider store={session.store}>
        <RunbookScreen key={session.store.getState().session.id || 'session'} runAs={session.runAs} host={session.host} onQuit={onExit} {...(picker ? { onBack: back } : {})} />
      </StoreProvider>
    );
  } else if (picker) {
    body = <Picker dir={picker.dir} entries={entries} notes={notes} onOpen={open} onQuit={() => onExit(0)} {...(message ? { message } : {})} />;
  } else {
    body = <Text>nothing to show</Text>;
  }
  return <ServicesProvider services={services}>{body}</ServicesProvider>;
}
