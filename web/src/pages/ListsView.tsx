// Allow and block lists for both consoles: the company-wide lists (admin, /api/v1/spamfinder/lists)
// and a user's own (/api/v1/me/lists). Add an entry, see them all, remove one; each row is
// labelled by its value.
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { ago, usePoll } from '../hooks.ts';

interface Entry {
  id: number;
  list: string;
  value: string;
  comment: string | null;
  createdAt: number;
  createdBy: string;
}

export const LIST_TITLES: Record<string, string> = {
  awl: 'Allowed senders (AWL)',
  dwl: 'Allowed domains (DWL)',
  nwl: 'Allowed networks (NWL)',
  swl: 'Allowed subjects (SWL)',
  abl: 'Blocked senders (ABL)',
  dbl: 'Blocked domains (DBL)',
  nbl: 'Blocked networks (NBL)',
  sbl: 'Blocked subjects (SBL)',
};

export function ListsView({ title, base, lists, intro }: { title: string; base: string; lists: readonly string[]; intro?: string }) {
  const { data, error, reload } = usePoll<{ entries: Entry[] }>(base, 10_000);
  const [form, setForm] = useState({ list: lists[0], value: '', comment: '' });
  const [note, setNote] = useState<string | null>(null);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const r = await api<Entry>('POST', base, { list: form.list, value: form.value, ...(form.comment ? { comment: form.comment } : {}) });
      setNote(`Added ${r.value} to ${r.list.toUpperCase()}`);
      setForm({ ...form, value: '', comment: '' });
    } catch (err) {
      setNote((err as Error).message);
    }
    await reload();
  };
  const remove = async (x: Entry) => {
    try {
      await api('DELETE', `${base}/${x.id}`);
      setNote(`Removed ${x.value} from ${x.list.toUpperCase()}`);
    } catch (err) {
      setNote((err as Error).message);
    }
    await reload();
  };
  const entries = data?.entries ?? [];
  return (
    <>
      <h1>{title}</h1>
      {intro && <p className="muted">{intro}</p>}
      <form onSubmit={add} className="filters" aria-label="Add a list entry">
        <div>
          <label htmlFor="list-name">List</label>
          <select id="list-name" value={form.list} onChange={(e) => setForm({ ...form, list: e.target.value })}>
            {lists.map((l) => (
              <option key={l} value={l}>
                {LIST_TITLES[l] ?? l}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="list-value">Value</label>
          <input id="list-value" value={form.value} onChange={(e) => setForm({ ...form, value: e.target.value })} required maxLength={320} />
        </div>
        <div>
          <label htmlFor="list-comment">Comment</label>
          <input id="list-comment" value={form.comment} onChange={(e) => setForm({ ...form, comment: e.target.value })} maxLength={500} />
        </div>
        <button type="submit">Add entry</button>
      </form>
      <p role="status" className="note">
        {note ?? error ?? ''}
      </p>
      {lists.map((l) => {
        const rows = entries.filter((x) => x.list === l);
        return (
          <section key={l} aria-labelledby={`list-${l}`}>
            <h2 id={`list-${l}`}>{LIST_TITLES[l] ?? l}</h2>
            {rows.length === 0 ? (
              <p className="muted">No entries.</p>
            ) : (
              <div className="scroll">
                <table aria-labelledby={`list-${l}`}>
                  <thead>
                    <tr>
                      <th scope="col">Value</th>
                      <th scope="col">Comment</th>
                      <th scope="col">Added</th>
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((x) => (
                      <tr key={x.id} aria-label={x.value}>
                        <th scope="row" className="wrap">
                          {x.value}
                        </th>
                        <td className="wrap">{x.comment ?? ''}</td>
                        <td>
                          {ago(x.createdAt)} by {x.createdBy}
                        </td>
                        <td>
                          <button type="button" className="danger" onClick={() => void remove(x)}>
                            Remove
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        );
      })}
    </>
  );
}
