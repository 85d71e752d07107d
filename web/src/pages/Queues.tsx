// Queues: the mail count of every queue (refreshed every 2 s), the mail of one queue with hold,
// release, delete and retry, and a flush of the deliver queue.
import { useState } from 'react';
import { api } from '../api.ts';
import { ago, usePoll } from '../hooks.ts';
import type { MailRecord, QueueCount } from '../types.ts';

export function Queues({ canAct }: { canAct: boolean }) {
  const counts = usePoll<{ queues: Record<string, QueueCount> }>('/api/v1/queues', 1000);
  const [queue, setQueue] = useState('deliver');
  const mails = usePoll<{ mails: MailRecord[] }>(`/api/v1/mails?queue=${encodeURIComponent(queue)}&limit=200`, 2000);
  const [note, setNote] = useState<string | null>(null);
  const act = async (label: string, method: string, path: string, body?: unknown) => {
    try {
      await api(method, path, body);
      setNote(`${label}: done`);
    } catch (e) {
      setNote(`${label}: ${(e as Error).message}`);
    }
    await Promise.all([counts.reload(), mails.reload()]);
  };
  return (
    <>
      <h1>Queues</h1>
      <p role="status" className="note">
        {note ?? counts.error ?? ''}
      </p>
      <div className="columns">
        <section aria-labelledby="counts-title">
          <h2 id="counts-title">Mail per queue</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col">Mail</th>
                <th scope="col">Deferred</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(counts.data?.queues ?? {}).map(([q, c]) => (
                <tr key={q} aria-label={q} className={q === queue ? 'selected' : undefined}>
                  <th scope="row">
                    <button type="button" className="link" aria-pressed={q === queue} onClick={() => setQueue(q)}>
                      {q}
                    </button>
                  </th>
                  <td className="num" data-queue-count={q}>
                    {c.total}
                  </td>
                  <td className="num">{c.deferred}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {canAct && (
            <button type="button" onClick={() => act('Flush', 'POST', '/api/v1/queues/deliver/flush', {})}>
              Flush the deliver queue
            </button>
          )}
        </section>
        <section aria-labelledby="mails-title" className="grow">
          <h2 id="mails-title">Mail in {queue}</h2>
          {mails.data?.mails.length === 0 && <p className="muted">No mail in this queue.</p>}
          <ul className="mails">
            {(mails.data?.mails ?? []).map((m) => (
              <li key={m.id} aria-label={`Mail ${m.id}`} className="card">
                <div className="mail-head">
                  <a href={`/tracking?id=${encodeURIComponent(m.id)}`}>
                    <code>{m.id}</code>
                  </a>
                  <span className="muted">
                    {m.size} bytes · queued {ago(m.queuedAt)}
                    {m.notBefore > Date.now() ? ` · deferred ${m.attempts} time(s)` : ''}
                  </span>
                </div>
                <div>
                  From <strong>{m.envelope.sender || '<>'}</strong> to {m.envelope.recipients.map((r) => r.address).join(', ')}
                </div>
                {m.lastReason && <div className="muted">{m.lastReason}</div>}
                {canAct && (
                  <div className="actions">
                    <button type="button" onClick={() => act('Hold', 'POST', `/api/v1/mails/${encodeURIComponent(m.id)}/hold`)}>
                      Hold
                    </button>
                    <button type="button" onClick={() => act('Release', 'POST', `/api/v1/mails/${encodeURIComponent(m.id)}/release`)}>
                      Release
                    </button>
                    <button type="button" onClick={() => act('Retry', 'POST', `/api/v1/mails/${encodeURIComponent(m.id)}/retry`)}>
                      Retry
                    </button>
                    <button type="button" className="danger" onClick={() => confirm(`Delete mail ${m.id}?`) && act('Delete', 'POST', `/api/v1/mails/${encodeURIComponent(m.id)}/delete`)}>
                      Delete
                    </button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        </section>
      </div>
    </>
  );
}
