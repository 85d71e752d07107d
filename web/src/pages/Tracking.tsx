// Message tracking: one mail's envelope, queue and the events it went through.
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import type { MailRecord, TrackingEvent } from '../types.ts';

type Detail = MailRecord & { events: TrackingEvent[] };

export function Tracking() {
  const [id, setId] = useState(() => new URLSearchParams(location.search).get('id') ?? '');
  const [mail, setMail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const track = async (mailId: string) => {
    setError(null);
    try {
      setMail(await api<Detail>('GET', `/api/v1/mails/${encodeURIComponent(mailId.trim())}`));
    } catch (e) {
      setMail(null);
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    if (id) void track(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    history.replaceState(null, '', `/tracking?id=${encodeURIComponent(id.trim())}`);
    void track(id);
  };
  return (
    <>
      <h1>Message tracking</h1>
      <form onSubmit={submit} className="inline">
        <label htmlFor="mail-id">Mail id</label>
        <input id="mail-id" value={id} onChange={(e) => setId(e.target.value)} required />
        <button type="submit">Track</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      {mail && (
        <section aria-label={`Mail ${mail.id}`}>
          <dl className="facts">
            <dt>Queue</dt>
            <dd>{mail.queue}</dd>
            <dt>From</dt>
            <dd>{mail.envelope.sender || '<>'}</dd>
            <dt>To</dt>
            <dd>
              {mail.envelope.recipients.map((r) => (
                <div key={r.address}>
                  {r.address} <span className="muted">({r.status}{r.response ? `: ${r.response}` : ''})</span>
                </div>
              ))}
            </dd>
            <dt>Received</dt>
            <dd>{new Date(mail.receivedAt).toLocaleString()}</dd>
            <dt>Size</dt>
            <dd>{mail.size} bytes</dd>
          </dl>
          <h2>Events</h2>
          <ol className="events">
            {mail.events.map((e, i) => (
              <li key={i}>
                <time dateTime={new Date(e.at).toISOString()}>{new Date(e.at).toLocaleTimeString()}</time> <strong>{e.event}</strong> by {e.actor} → {e.queue}
                {e.detail && Object.keys(e.detail).length > 0 && <code className="detail">{JSON.stringify(e.detail)}</code>}
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}
