// Small hooks the pages share: polling an API resource at an interval.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './api.ts';

/** GETs `path` now and every `ms`; `reload()` fetches at once (after an action). */
export function usePoll<T>(path: string | null, ms: number, onData?: (d: T) => void) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cb = useRef(onData);
  cb.current = onData;
  const reload = useCallback(async () => {
    if (!path) return;
    try {
      const d = await api<T>('GET', path);
      setData(d);
      setError(null);
      cb.current?.(d);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [path]);
  useEffect(() => {
    void reload();
    const t = setInterval(() => void reload(), ms);
    return () => clearInterval(t);
  }, [reload, ms]);
  return { data, error, reload };
}

export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}
