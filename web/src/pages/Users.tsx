// Users (admin only): the console's users (local, and those known from LDAP logins), adding one and deleting one.
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { ago, usePoll } from '../hooks.ts';

interface User {
  name: string;
  role: string;
  email: string | null;
  source?: 'local' | 'ldap';
  createdAt: number;
}

const ROLES = ['admin', 'auditor', 'helpdesk', 'user'];

export function Users() {
  const { data, error, reload } = usePoll<{ users: User[] }>('/api/v1/users', 10_000);
  const [form, setForm] = useState({ name: '', role: 'helpdesk', email: '', password: '' });
  const [note, setNote] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api('POST', '/api/v1/users', { name: form.name, role: form.role, password: form.password, ...(form.email ? { email: form.email } : {}) });
      setNote(`Added ${form.name}`);
      setForm({ name: '', role: 'helpdesk', email: '', password: '' });
    } catch (err) {
      setNote((err as Error).message);
    }
    await reload();
  };
  const remove = async (name: string) => {
    if (!confirm(`Delete user ${name}?`)) return;
    try {
      await api('DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
      setNote(`Deleted ${name}`);
    } catch (err) {
      setNote((err as Error).message);
    }
    await reload();
  };
  const field = (k: keyof typeof form) => ({ id: `user-${k}`, value: form[k], onChange: (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value }) });
  return (
    <>
      <h1>Users</h1>
      <p role="status" className="note">
        {note ?? error ?? ''}
      </p>
      <div className="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">E-mail</th>
              <th scope="col">Source</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(data?.users ?? []).map((u) => (
              <tr key={u.name} aria-label={u.name}>
                <th scope="row">{u.name}</th>
                <td>{u.role}</td>
                <td>{u.email ?? ''}</td>
                <td>{u.source === 'ldap' ? 'LDAP' : 'local'}</td>
                <td>{ago(u.createdAt)}</td>
                <td>
                  <button type="button" className="danger" onClick={() => void remove(u.name)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Add a user</h2>
      <form onSubmit={submit} className="filters" aria-label="Add a user">
        <div>
          <label htmlFor="user-name">Name</label>
          <input {...field('name')} required autoComplete="off" />
        </div>
        <div>
          <label htmlFor="user-role">Role</label>
          <select {...field('role')}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="user-email">E-mail</label>
          <input {...field('email')} type="email" />
        </div>
        <div>
          <label htmlFor="user-password">New password</label>
          <input {...field('password')} type="password" required minLength={8} autoComplete="new-password" />
        </div>
        <button type="submit">Add user</button>
      </form>
    </>
  );
}
