// API tokens (admin only): named tokens for scripts with a role; a new token is shown once, here,
// and never again; revoking one ends it at once. Rows are labelled by the token's name.
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { ago, usePoll } from '../hooks.ts';

interface Token {
  name: string;
  role: string;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
}

const ROLES = ['admin', 'auditor', 'helpdesk', 'user'];

export function Tokens() {
  const { data, error, reload } = usePoll<{ tokens: Token[] }>('/api/v1/tokens', 15_000);
  const [form, setForm] = useState({ name: '', role: 'auditor' });
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const t = await api<Token & { token: string }>('POST', '/api/v1/tokens', form);
      setMade({ name: t.name, token: t.token });
      setNote(null);
      setForm({ ...form, name: '' });
    } catch (err) {
      setNote((err as Error).message);
    }
    await reload();
  };
  const revoke = async (name: string) => {
    if (!confirm(`Revoke the token ${name}? Scripts using it stop working at once.`)) return;
    try {
      await api('DELETE', `/api/v1/tokens/${encodeURIComponent(name)}`);
      setNote(`Revoked ${name}`);
    } catch (err) {
      setNote((err as Error).message);
    }
    await reload();
  };
  return (
    <>
      <h1>API tokens</h1>
      <p className="muted">Scripts send a token as "Authorization: Bearer TOKEN" and may call what its role may. Every change made with one is in the compliance log.</p>
      <form onSubmit={create} className="filters" aria-label="Create an API token">
        <div>
          <label htmlFor="token-name">Token name</label>
          <input id="token-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,63}" autoComplete="off" />
        </div>
        <div>
          <label htmlFor="token-role">Role</label>
          <select id="token-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </div>
        <button type="submit">Create token</button>
      </form>
      {made && (
        <section aria-label="New token" className="card" aria-live="polite">
          <p>
            The token <strong>{made.name}</strong> (shown this once; copy it now):
          </p>
          <code data-token={made.name}>{made.token}</code>
          <div className="actions">
            <button type="button" onClick={() => setMade(null)}>
              I have copied it
            </button>
          </div>
        </section>
      )}
      <p role="status" className="note">
        {note ?? error ?? ''}
      </p>
      <div className="scroll">
        <table aria-label="API tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(data?.tokens ?? []).map((t) => (
              <tr key={t.name} aria-label={t.name}>
                <th scope="row">{t.name}</th>
                <td>{t.role}</td>
                <td>
                  {ago(t.createdAt)} by {t.createdBy}
                </td>
                <td>{t.lastUsedAt ? ago(t.lastUsedAt) : 'never'}</td>
                <td>
                  <button type="button" className="danger" onClick={() => void revoke(t.name)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
