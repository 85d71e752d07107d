// Services: one card per service (labelled with its name) with state, since, last error and
// Start / Stop / Restart. The list refreshes every second and at once after an action.
import { useState } from 'react';
import { api } from '../api.ts';
import { ago, usePoll } from '../hooks.ts';
import type { ServiceStatus } from '../types.ts';

/** The service that serves this console: it stops only with the appliance. */
const SELF = 'system-manager';

export function Services() {
  const { data, error, reload } = usePoll<{ services: ServiceStatus[] }>('/api/v1/services', 1000);
  const [busy, setBusy] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const act = async (name: string, action: 'start' | 'stop' | 'restart') => {
    setBusy(name);
    setFailure(null);
    try {
      await api('POST', `/api/v1/services/${encodeURIComponent(name)}/${action}`);
    } catch (e) {
      setFailure(`${name}: ${(e as Error).message}`);
    } finally {
      setBusy(null);
      await reload();
    }
  };
  return (
    <>
      <h1>Services</h1>
      {(error || failure) && <p role="alert" className="error">{failure ?? error}</p>}
      <div className="cards">
        {(data?.services ?? []).map((s) => (
          <article key={s.name} aria-label={s.name} className="card">
            <header>
              <h2>{s.name}</h2>
              <span className={`state state-${s.state}`} data-state={s.state}>
                {s.state}
              </span>
            </header>
            <p className="muted">{s.description}</p>
            <dl>
              <dt>Since</dt>
              <dd>
                <time dateTime={new Date(s.since).toISOString()}>{ago(s.since)}</time>
              </dd>
              {!s.enabled && (
                <>
                  <dt>Activated</dt>
                  <dd>no</dd>
                </>
              )}
              <dt>Last error</dt>
              <dd className={s.lastError ? 'error' : 'muted'}>{s.lastError ?? 'none'}</dd>
            </dl>
            <div className="actions">
              <button type="button" onClick={() => act(s.name, 'start')} disabled={busy === s.name || s.state === 'running' || s.name === SELF}>
                Start
              </button>
              <button type="button" onClick={() => act(s.name, 'stop')} disabled={busy === s.name || s.state !== 'running' || s.name === SELF}>
                Stop
              </button>
              <button type="button" onClick={() => act(s.name, 'restart')} disabled={busy === s.name || s.name === SELF}>
                Restart
              </button>
            </div>
          </article>
        ))}
      </div>
    </>
  );
}
