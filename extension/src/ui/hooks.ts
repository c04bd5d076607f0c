// React hooks for pages that talk to the background: load data with a typed message, reload
// when the background broadcasts a change, and run actions with busy and error state.
import { useCallback, useEffect, useRef, useState } from 'react';
import { browser } from 'wxt/browser';
import { isEventMessage, type EventMessage } from '../core/messages';
import { toErrorInfo, type ErrorInfo } from '../core/errors';

export interface Loaded<T> {
  data: T | undefined;
  error: ErrorInfo | null;
  loading: boolean;
  reload: () => Promise<void>;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setData(await loadRef.current());
      setError(null);
    } catch (failure) {
      setError(toErrorInfo(failure));
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, deps);
  return { data, error, loading, reload };
}

/** Calls `onEvent` for each broadcast of the given kinds while the component is mounted. */
export function useBackgroundEvents(kinds: EventMessage['event'][], onEvent: (event: EventMessage) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = kinds.join(',');
  useEffect(() => {
    const listener = (message: unknown) => {
      if (isEventMessage(message) && key.split(',').includes(message.event)) handler.current(message);
      return undefined;
    };
    browser.runtime.onMessage.addListener(listener);
    return () => browser.runtime.onMessage.removeListener(listener);
  }, [key]);
}

export interface Action<A extends unknown[]> {
  run: (...args: A) => Promise<boolean>;
  busy: boolean;
  error: ErrorInfo | null;
  clear: () => void;
}

/** Wraps an async action: `run` resolves true on success, false after recording the error. */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<unknown>): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const actionRef = useRef(action);
  actionRef.current = action;
  const run = useCallback(async (...args: A) => {
    setBusy(true);
    setError(null);
    try {
      await actionRef.current(...args);
      return true;
    } catch (failure) {
      setError(toErrorInfo(failure));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, error, clear: () => setError(null) };
}
