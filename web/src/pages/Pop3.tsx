// POP3 mailboxes: each configured mailbox with its fetch status (state, last fetch, last error,
// next fetch) and a Fetch now button. Rows are labelled by the mailbox's name.
import { useState } from 'react';
import { api } from '../api.ts';
import { ago, usePoll } from '../hooks.ts';

interface Mailbox {
  name: string;
  source: string;
  host: string;
  port: number;
  tls: string;
  user: string;
  deliverTo: string;
  interval: number;
  state: string;
  lastFetchAt: number | null;
  lastSuccessAt: number | null;
  lastCount: number;
  totalFetched: number;
  lastError: string | null;
  nextFetchAt: number | null;
}

const when = (t: number | null) => (t ? <time dateTime={new Date(t).toISOString()}>{t > Date.now() ? `in ${Math.round((t - Date.now()) / 1000)}s` : ago(t)}</time> : 'never');

export function Pop3({ canAct }: { canAct: boolean }) {
  const { data, error, reload } = usePoll<{ mailboxes: Mailbox[] }>('/api/v1/pop3/mailboxes', 5000);
  const [note, setNote] = useState<string | null>(null);
  const fetchNow = async (name: string) => {
    setNote(`Fetching ${name}…`);
    try {
      const r = await api<{ ok: boolean; fetched: number; error: string | null }>('POST', `/api/v1/pop3/mailboxes/${encodeURIComponent(name)}/fetch`);
      setNote(r.ok ? `${name}: ${r.fetched} new mail${r.fetched === 1 ? '' : 's'}` : `${name}: ${r.error}`);
    } catch (e) {
      setNote(`${name}: ${(e as Error).message}`);
    }
    await reload();
  };
  const boxes = data?.mailboxes ?? [];
  return (
    <>
      <h1>POP3 mailboxes</h1>
      <p role="status" className="note">
        {note ?? error ?? ''}
      </p>
      {data && boxes.length === 0 && <p className="muted">No POP3 mailboxes are configured (pop3.mailboxes in the config, or the API).</p>}
      {boxes.length > 0 && (
        <div className="scroll">
          <table aria-label="POP3 mailboxes">
            <thead>
              <tr>
                <th scope="col">Mailbox</th>
                <th scope="col">Server</th>
                <th scope="col">Delivers to</th>
                <th scope="col">State</th>
                <th scope="col">Last fetch</th>
                <th scope="col">Fetched</th>
                <th scope="col">Next fetch</th>
                <th scope="col">Last error</th>
                {canAct && (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {boxes.map((b) => (
                <tr key={b.name} aria-label={b.name}>
                  <th scope="row">{b.name}</th>
                  <td className="wrap">
                    {b.user}@{b.host}:{b.port} <span className="muted">({b.tls})</span>
                  </td>
                  <td className="wrap">{b.deliverTo}</td>
                  <td>
                    <span className={`state state-${b.state === 'stopped' ? 'stopped' : 'running'}`}>{b.state}</span>
                  </td>
                  <td>{when(b.lastFetchAt)}</td>
                  <td className="num">
                    {b.totalFetched} <span className="muted">(last {b.lastCount})</span>
                  </td>
                  <td>{when(b.nextFetchAt)}</td>
                  <td className={b.lastError ? 'error wrap' : 'muted'}>{b.lastError ?? 'none'}</td>
                  {canAct && (
                    <td>
                      <button type="button" onClick={() => void fetchNow(b.name)}>
                        Fetch now
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
