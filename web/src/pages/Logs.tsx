// The log viewer: filters by level, service, mail id and text; newest records first.
import { useState, type FormEvent } from 'react';
import { usePoll } from '../hooks.ts';
import type { LogRecord } from '../types.ts';

const LEVELS = ['', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export function Logs() {
  const [form, setForm] = useState({ level: '', service: '', mail: '', text: '' });
  const [query, setQuery] = useState('limit=200');
  const logs = usePoll<{ logs: LogRecord[] }>(`/api/v1/logs?${query}`, 5000);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = new URLSearchParams({ limit: '200' });
    for (const [k, v] of Object.entries(form)) if (v.trim()) q.set(k, v.trim());
    setQuery(q.toString());
  };
  const field = (k: keyof typeof form) => ({ id: `log-${k}`, value: form[k], onChange: (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value }) });
  return (
    <>
      <h1>Logs</h1>
      <form onSubmit={submit} className="filters" aria-label="Log filters">
        <div>
          <label htmlFor="log-level">Level</label>
          <select {...field('level')}>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l || 'any'}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="log-service">Service</label>
          <input {...field('service')} />
        </div>
        <div>
          <label htmlFor="log-mail">Mail id</label>
          <input {...field('mail')} />
        </div>
        <div>
          <label htmlFor="log-text">Text</label>
          <input {...field('text')} />
        </div>
        <button type="submit">Filter</button>
      </form>
      {logs.error && <p role="alert" className="error">{logs.error}</p>}
      <div className="scroll">
        <table className="logs">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Level</th>
              <th scope="col">Service</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {(logs.data?.logs ?? []).map((r) => (
              <tr key={r.id} className={`level-${r.level}`}>
                <td>
                  <time dateTime={new Date(r.at).toISOString()}>{new Date(r.at).toLocaleTimeString()}</time>
                </td>
                <td>{r.level}</td>
                <td>{r.service}</td>
                <td className="msg">
                  {r.msg}
                  {r.mailId && (
                    <>
                      {' '}
                      <a href={`/tracking?id=${encodeURIComponent(r.mailId)}`}>{r.mailId}</a>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
