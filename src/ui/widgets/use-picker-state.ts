/** The picker's state: the filter text, whether it is being typed, and the highlighted row. */
import { useCallback, useRef, useState } from 'react';

export interface PickerState {
  filter: string;
  filtering: boolean;
  index: number;
}

export type PickerAction =
  | { type: 'move'; delta: number; count: number }
  | { type: 'start-filter' }
  | { type: 'set-filter'; filter: string }
  | { type: 'end-filter'; keep: boolean };

export function pickerReducer(state: PickerState, action: PickerAction): PickerState {
  switch (action.type) {
    case 'move':
      return { ...state, index: Math.min(Math.max(0, state.index + action.delta), Math.max(0, action.count - 1)) };
    case 'start-filter':
      return { ...state, filtering: true, filter: '' };
    case 'set-filter':
      return { ...state, filter: action.filter, index: 0 };
    case 'end-filter':
      return { ...state, filtering: false, filter: action.keep ? state.filter : '', index: action.keep ? state.index : 0 };
  }
}

/** The state, a dispatch, and a getter for the latest state (keys can arrive between renders). */
export function usePickerState(): [PickerState, (action: PickerAction) => void, () => PickerState] {
  const [state, setState] = useState<PickerState>({ filter: '', filtering: false, index: 0 });
  const latest = useRef(state);
  const dispatch = useCallback((action: PickerAction) => {
    latest.current = pickerReducer(latest.current, action);
    setState(latest.current);
  }, []);
  const get = useCallback(() => latest.current, []);
  return [state, dispatch, get];
}
