// The compliance log: records newest first, filtered by category and time, paged backwards;
// Verify checks the whole hash chain and names every changed, missing or moved record.
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { usePoll } from '../hooks.ts';

interface ComplianceRecord {
  seq: number;
  at: number;
  category: string;
  action: string;
  actor: string;
  subject: string | null;
  detail: unknown;
}

interface ChainReport {
  ok: boolean;
  count: number;
  head: { seq: number; hash: string } | null;
  problems: { seq: number; kind: string; detail: string }[];
  truncated: boolean;
}

const CATEGORIES = ['', 'mail', 'archive', 'export', 'deletion', 'legal-hold', 'policy', 'keys', 'service', 'login', 'admin', 'remote-support'];
const PAGE = 100;

export function Compliance() {
  const [form, setForm] = useState({ category: '', since: '', until: '' });
  const [filter, setFilter] = useState({ category: '', since: '', until: '' });
  const [before, setBefore] = useState<number[]>([]);
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (filter.category) q.set('category', filter.category);
  if (filter.since) q.set('since', new Date(filter.since).toISOString());
  if (filter.until) q.set('until', new Date(filter.until).toISOString());
  if (before.length) q.set('before', String(before[before.length - 1]));
  const list = usePoll<{ records: ComplianceRecord[] }>(`/api/v1/compliance?${q}`, 10_000);
  const [report, setReport] = useState<ChainReport | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBefore([]);
    setFilter(form);
  };
  const verify = async () => {
    setVerifying(true);
    setError(null);
    try {
      setReport(await api<ChainReport>('POST', '/api/v1/compliance/verify'));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setVerifying(false);
    }
  };
  const records = list.data?.records ?? [];
  const field = (k: keyof typeof form) => ({ id: `cl-${k}`, value: form[k], onChange: (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value }) });
  return (
    <>
      <h1>Compliance log</h1>
      <div className="actions">
        <button type="button" onClick={() => void verify()} disabled={verifying}>
          {verifying ? 'Verifying…' : 'Verify the chain'}
        </button>
      </div>
      {(error || list.error) && (
        <p role="alert" className="error">
          {error ?? list.error}
        </p>
      )}
      {report && (
        <section aria-label="Verification result" className={`card verify ${report.ok ? 'ok' : 'bad'}`} aria-live="polite">
          <p>
            <strong>{report.ok ? 'The chain is intact' : 'The chain is broken'}</strong>: {report.count} records checked
            {report.head ? `, newest #${report.head.seq}` : ''}.
          </p>
          {report.problems.length > 0 && (
            <ul>
              {report.problems.map((p, i) => (
                <li key={i}>
                  #{p.seq} {p.kind}: {p.detail}
                </li>
              ))}
              {report.truncated && <li>… and more</li>}
            </ul>
          )}
        </section>
      )}
      <form onSubmit={submit} className="filters" aria-label="Compliance log filters">
        <div>
          <label htmlFor="cl-category">Category</label>
          <select {...field('category')}>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {c || 'any'}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="cl-since">From</label>
          <input {...field('since')} type="datetime-local" />
        </div>
        <div>
          <label htmlFor="cl-until">Until</label>
          <input {...field('until')} type="datetime-local" />
        </div>
        <button type="submit">Filter</button>
      </form>
      <div className="scroll">
        <table aria-label="Compliance records">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Category</th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Subject</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <tr key={r.seq} aria-label={`${r.action} by ${r.actor}`}>
                <td className="num">{r.seq}</td>
                <td>
                  <time dateTime={new Date(r.at).toISOString()}>{new Date(r.at).toLocaleString()}</time>
                </td>
                <td>{r.category}</td>
                <th scope="row">{r.action}</th>
                <td>{r.actor}</td>
                <td className="wrap">{r.subject ?? ''}</td>
                <td className="wrap">
                  <code>{r.detail == null ? '' : JSON.stringify(r.detail)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav aria-label="Compliance log pages" className="actions">
        <button type="button" disabled={before.length === 0} onClick={() => setBefore(before.slice(0, -1))}>
          Newer records
        </button>
        <button type="button" disabled={records.length < PAGE} onClick={() => setBefore([...before, records[records.length - 1].seq])}>
          Older records
        </button>
      </nav>
    </>
  );
}
