// One quarantine view for both consoles: the admin's (all mail, Spam / Virus / CISS, at
// /api/v1/quarantine) and a user's own (Spam / CISS, at /api/v1/me/quarantine). Search, sort by
// column, and per mail Deliver / Delete / Allow sender; each row is labelled by its subject.
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { ago, usePoll } from '../hooks.ts';

export interface QuarantinedMail {
  id: string;
  queue: string;
  receivedAt: number;
  size: number;
  sender: string;
  recipients?: string[];
  subject: string;
  filter: string | null;
  reason: string | null;
  score: number | null;
}

type Sort = 'received' | 'sender' | 'filter' | 'score';

export interface QuarantineViewProps {
  title: string;
  /** "/api/v1/quarantine" or "/api/v1/me/quarantine". */
  base: string;
  queues: readonly string[];
  /** Which actions the caller may take (the API checks again). */
  actions: readonly ('deliver' | 'delete' | 'allow')[];
  /** Link each mail to message tracking (admin and helpdesk). */
  tracking?: boolean;
}

const LABEL = { deliver: 'Deliver', delete: 'Delete', allow: 'Allow sender' } as const;
const DONE = { deliver: 'delivered', delete: 'deleted', allow: 'delivered and its sender allow-listed' } as const;
const COLUMNS: { key: Sort | null; label: string }[] = [
  { key: 'received', label: 'Received' },
  { key: 'sender', label: 'Sender' },
  { key: null, label: 'Subject' },
  { key: 'filter', label: 'Filter' },
  { key: 'score', label: 'Score' },
];

export function QuarantineView({ title, base, queues, actions, tracking }: QuarantineViewProps) {
  const [queue, setQueue] = useState(queues[0]);
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const [sort, setSort] = useState<{ key: Sort; order: 'asc' | 'desc' }>({ key: 'received', order: 'desc' });
  const [note, setNote] = useState<string | null>(null);
  const q = new URLSearchParams({ queue, sort: sort.key, order: sort.order, limit: '200' });
  if (applied) q.set('search', applied);
  const list = usePoll<{ mails: QuarantinedMail[]; total: number }>(`${base}?${q}`, 5000);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(search.trim());
  };
  const sortBy = (key: Sort) => setSort((s) => ({ key, order: s.key === key && s.order === 'desc' ? 'asc' : 'desc' }));
  const act = async (m: QuarantinedMail, action: (typeof actions)[number]) => {
    if (action === 'delete' && !confirm(`Delete "${m.subject || '(no subject)'}" from ${m.sender || '<>'}?`)) return;
    try {
      await api('POST', `${base}/${encodeURIComponent(m.id)}/${action}`);
      setNote(`"${m.subject || '(no subject)'}" ${DONE[action]}`);
    } catch (e) {
      setNote(`${LABEL[action]}: ${(e as Error).message}`);
    }
    await list.reload();
  };
  const shown = actions.filter((a) => !(a === 'allow' && queue === 'virus'));
  return (
    <>
      <h1>{title}</h1>
      <form onSubmit={submit} className="filters" aria-label="Quarantine search">
        <div>
          <label htmlFor="q-queue">Quarantine</label>
          <select id="q-queue" value={queue} onChange={(e) => setQueue(e.target.value)}>
            {queues.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="q-search">Search</label>
          <input id="q-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <button type="submit">Search</button>
      </form>
      <p role="status" className="note">
        {note ?? list.error ?? (list.data ? `${list.data.total} mail${list.data.total === 1 ? '' : 's'} in ${queue}` : '')}
      </p>
      <div className="scroll">
        <table aria-label={`Mail in ${queue}`}>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.label} scope="col" aria-sort={c.key && sort.key === c.key ? (sort.order === 'asc' ? 'ascending' : 'descending') : undefined}>
                  {c.key ? (
                    <button type="button" className="link" onClick={() => sortBy(c.key!)}>
                      {c.label}
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
              {base === '/api/v1/quarantine' && <th scope="col">Recipients</th>}
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.mails ?? []).map((m) => (
              <tr key={m.id} aria-label={m.subject || '(no subject)'} data-mail-id={m.id}>
                <td>
                  <time dateTime={new Date(m.receivedAt).toISOString()}>{ago(m.receivedAt)}</time>
                </td>
                <td className="wrap">{m.sender || '<>'}</td>
                <th scope="row" className="wrap">
                  {tracking ? <a href={`/tracking?id=${encodeURIComponent(m.id)}`}>{m.subject || '(no subject)'}</a> : m.subject || '(no subject)'}
                </th>
                <td title={m.reason ?? undefined}>{m.filter ?? ''}</td>
                <td className="num">{m.score ?? ''}</td>
                {m.recipients && <td className="wrap">{m.recipients.join(', ')}</td>}
                <td>
                  <div className="actions">
                    {shown.map((a) => (
                      <button key={a} type="button" className={a === 'delete' ? 'danger' : undefined} onClick={() => void act(m, a)}>
                        {LABEL[a]}
                      </button>
                    ))}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
