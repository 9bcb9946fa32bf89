/**
 * A transcript's text, read through the services (the UI never touches files itself), for the
 * gate of a step whose output is no longer on the shell's screen: a run cut short by a crash
 * and resumed in a fresh shell. Undefined until read, or when it cannot be.
 */
import { useEffect, useState } from 'react';
import { useServices } from '../context.js';

export function useTranscript(path: string | undefined): string | undefined {
  const { readTranscript } = useServices();
  const [read, setRead] = useState<{ path: string; text: string } | undefined>();
  useEffect(() => {
    if (path === undefined || !readTranscript) return;
    let live = true;
    readTranscript(path).then(
      (text) => {
        if (live) setRead({ path, text });
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [path, readTranscript]);
  return read !== undefined && read.path === path ? read.text : undefined;
}
