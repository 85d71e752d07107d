// Archive search: the query language of the mail-depot (from:, to:, subject:, body:, before:,
// after:, has:attachment, "phrases", -word), 50 a page, newest first; opening a mail shows its
// headers, text, attachments and arrivals, with the raw mail to download. Every search and every
// opened mail is written to the compliance log by the appliance.
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';

interface Archived {
  id: string;
  date: number;
  from: string;
  to: string;
  subject: string;
  size: number;
  attachments: string[];
}

interface View extends Archived {
  cc: string;
  messageId: string;
  contentHash: string;
  headers: [string, string][];
  text: string;
  partial: string | null;
  attachmentParts: { name: string; contentType: string; size: number }[];
  deliveries: { seq: number; at: number; direction: string; sender: string; recipients: string[] }[];
}

interface Page {
  total: number;
  page: number;
  pageSize: number;
  messages: Archived[];
}

export function Archive({ title = 'Archive' }: { title?: string }) {
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<Page | null>(null);
  const [open, setOpen] = useState<View | null>(null);
  const [error, setError] = useState<string | null>(null);
  const search = async (page: number) => {
    setError(null);
    try {
      setResult(await api<Page>('GET', `/api/v1/archive/search?${new URLSearchParams({ q: query, page: String(page) })}`));
      setOpen(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void search(1);
  };
  const show = async (id: string) => {
    try {
      setOpen(await api<View>('GET', `/api/v1/archive/${encodeURIComponent(id)}`));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const pages = result ? Math.max(1, Math.ceil(result.total / result.pageSize)) : 1;
  return (
    <>
      <h1>{title}</h1>
      <form onSubmit={submit} className="filters" aria-label="Archive search">
        <div className="grow">
          <label htmlFor="archive-query">Search the archive</label>
          <input id="archive-query" type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder='from:alice subject:"report" after:2026-01-01' />
        </div>
        <button type="submit">Search</button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {open ? (
        <section aria-label={`Mail ${open.subject || '(no subject)'}`} className="card">
          <button type="button" onClick={() => setOpen(null)}>
            Back to the results
          </button>
          <h2>{open.subject || '(no subject)'}</h2>
          <dl className="facts">
            <dt>From</dt>
            <dd>{open.from}</dd>
            <dt>To</dt>
            <dd>{open.to}</dd>
            {open.cc && (
              <>
                <dt>Cc</dt>
                <dd>{open.cc}</dd>
              </>
            )}
            <dt>Date</dt>
            <dd>{new Date(open.date).toLocaleString()}</dd>
            <dt>Message-ID</dt>
            <dd>
              <code>{open.messageId}</code>
            </dd>
            <dt>SHA-256</dt>
            <dd>
              <code>{open.contentHash}</code>
            </dd>
          </dl>
          <p>
            <a href={`/api/v1/archive/${encodeURIComponent(open.id)}/raw`} download={`${open.id}.eml`}>
              Download the mail (.eml)
            </a>
          </p>
          {open.attachmentParts.length > 0 && (
            <>
              <h3>Attachments</h3>
              <ul>
                {open.attachmentParts.map((a, i) => (
                  <li key={i}>
                    {a.name} <span className="muted">({a.contentType}, {a.size} bytes)</span>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>Text</h3>
          {open.partial && <p className="muted">{open.partial}</p>}
          <pre className="mailtext">{open.text}</pre>
          <details>
            <summary>Headers</summary>
            <pre className="mailtext">{open.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}</pre>
          </details>
          <h3>Arrivals</h3>
          <ul>
            {open.deliveries.map((d) => (
              <li key={d.seq}>
                {new Date(d.at).toLocaleString()}: {d.direction}, from {d.sender || '<>'} to {d.recipients.join(', ')}
              </li>
            ))}
          </ul>
        </section>
      ) : (
        result && (
          <>
            <p role="status" className="note">
              {result.total} mail{result.total === 1 ? '' : 's'} found
            </p>
            <div className="scroll">
              <table aria-label="Archived mail">
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">From</th>
                    <th scope="col">To</th>
                    <th scope="col">Subject</th>
                    <th scope="col">Attachments</th>
                  </tr>
                </thead>
                <tbody>
                  {result.messages.map((m) => (
                    <tr key={m.id} aria-label={m.subject || '(no subject)'}>
                      <td>
                        <time dateTime={new Date(m.date).toISOString()}>{new Date(m.date).toLocaleString()}</time>
                      </td>
                      <td className="wrap">{m.from}</td>
                      <td className="wrap">{m.to}</td>
                      <th scope="row" className="wrap">
                        <button type="button" className="link" onClick={() => void show(m.id)}>
                          {m.subject || '(no subject)'}
                        </button>
                      </th>
                      <td className="wrap">{m.attachments.join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {pages > 1 && (
              <nav aria-label="Result pages" className="actions">
                <button type="button" disabled={result.page <= 1} onClick={() => void search(result.page - 1)}>
                  Previous page
                </button>
                <span>
                  Page {result.page} of {pages}
                </span>
                <button type="button" disabled={result.page >= pages} onClick={() => void search(result.page + 1)}>
                  Next page
                </button>
              </nav>
            )}
          </>
        )
      )}
    </>
  );
}
