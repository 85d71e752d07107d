// Encryption (MailSealer): the policies in force (first match wins; edit as JSON, or go back to
// the config file's), the certificates and OpenPGP keys (list, delete), importing a key file and
// issuing a user certificate or OpenPGP key from the built-in CA. Rows are labelled by subject.
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { usePoll } from '../hooks.ts';

interface SealerKey {
  id: string;
  kind: 'x509' | 'pgp';
  source: string;
  addresses: string[];
  subject: string;
  issuer: string | null;
  notAfter: number | null;
  hasPrivateKey: boolean;
  isCa: boolean;
}

interface Policies {
  source: 'config' | 'api';
  policies: Record<string, unknown>[];
}

/** base64 of a File, without data: URL prefix. */
async function base64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function Keys() {
  const keys = usePoll<{ keys: SealerKey[] }>('/api/v1/keys', 15_000);
  const [note, setNote] = useState<string | null>(null);
  const [policies, setPolicies] = useState<Policies | null>(null);
  const [draft, setDraft] = useState('');
  const loadPolicies = async () => {
    try {
      const p = await api<Policies>('GET', '/api/v1/sealer/policies');
      setPolicies(p);
      setDraft(JSON.stringify(p.policies, null, 2));
    } catch (e) {
      setNote((e as Error).message);
    }
  };
  useEffect(() => void loadPolicies(), []);
  const run = async (label: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      setNote(`${label}: done`);
    } catch (e) {
      setNote(`${label}: ${(e as Error).message}`);
    }
    await keys.reload();
  };

  const [imp, setImp] = useState<{ file: File | null; password: string; addresses: string }>({ file: null, password: '', addresses: '' });
  const importKey = (e: FormEvent) => {
    e.preventDefault();
    const f = imp.file;
    if (!f) return;
    void run(`Import ${f.name}`, async () => {
      const addresses = imp.addresses.split(/[\s,]+/).filter(Boolean);
      await api('POST', '/api/v1/keys/import', { data: await base64(f), ...(imp.password ? { password: imp.password } : {}), ...(addresses.length ? { addresses } : {}) });
      setImp({ file: null, password: '', addresses: '' });
      (document.getElementById('key-file') as HTMLInputElement | null)?.form?.reset();
    });
  };
  const [issue, setIssue] = useState({ address: '', pgp: false, days: '' });
  const issueKey = (e: FormEvent) => {
    e.preventDefault();
    void run(`Issue for ${issue.address}`, () => api('POST', '/api/v1/keys/issue', { address: issue.address, ...(issue.pgp ? { pgp: true } : {}), ...(issue.days ? { days: Number(issue.days) } : {}) }));
  };
  const savePolicies = async (e: FormEvent) => {
    e.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(draft);
    } catch (err) {
      setNote(`Policies: not valid JSON (${(err as Error).message})`);
      return;
    }
    await run('Save policies', () => api('PUT', '/api/v1/sealer/policies', { policies: parsed }));
    await loadPolicies();
  };
  const resetPolicies = async () => {
    await run('Reset policies', () => api('DELETE', '/api/v1/sealer/policies'));
    await loadPolicies();
  };

  return (
    <>
      <h1>Encryption</h1>
      <p role="status" className="note">
        {note ?? keys.error ?? ''}
      </p>
      <section aria-labelledby="policies-title">
        <h2 id="policies-title">Encryption policies</h2>
        {policies && (
          <>
            <p className="muted">{policies.source === 'api' ? 'Set in the console (overrides the config file).' : 'From the config file.'} The first policy that matches a mail decides.</p>
            <div className="scroll">
              <table aria-label="Encryption policies">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Direction</th>
                    <th scope="col">Senders</th>
                    <th scope="col">Recipients</th>
                    <th scope="col">Sign</th>
                    <th scope="col">Encrypt</th>
                    <th scope="col">Method</th>
                  </tr>
                </thead>
                <tbody>
                  {policies.policies.length === 0 && (
                    <tr>
                      <td colSpan={7} className="muted">
                        No policies.
                      </td>
                    </tr>
                  )}
                  {policies.policies.map((p, i) => (
                    <tr key={i} aria-label={String(p.name)}>
                      <th scope="row">{String(p.name)}</th>
                      <td>{String(p.direction ?? 'any')}</td>
                      <td className="wrap">{((p.senders as string[] | undefined) ?? ['*']).join(', ')}</td>
                      <td className="wrap">{((p.recipients as string[] | undefined) ?? ['*']).join(', ')}</td>
                      <td>{String(p.sign ?? '')}</td>
                      <td>{String(p.encrypt ?? '')}</td>
                      <td>{String(p.method ?? '')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <form onSubmit={savePolicies} aria-label="Edit the encryption policies" className="stack">
              <label htmlFor="policies-json">Policies (JSON)</label>
              <textarea id="policies-json" rows={8} value={draft} onChange={(e) => setDraft(e.target.value)} spellCheck={false} />
              <div className="actions">
                <button type="submit">Save policies</button>
                <button type="button" onClick={() => void resetPolicies()} disabled={policies.source === 'config'}>
                  Use the config file's policies
                </button>
              </div>
            </form>
          </>
        )}
      </section>

      <section aria-labelledby="keys-title">
        <h2 id="keys-title">Certificates and keys</h2>
        <div className="scroll">
          <table aria-label="Certificates and keys">
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">Kind</th>
                <th scope="col">Source</th>
                <th scope="col">Addresses</th>
                <th scope="col">Valid until</th>
                <th scope="col">Private key</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(keys.data?.keys ?? []).map((k) => (
                <tr key={k.id} aria-label={k.subject}>
                  <th scope="row" className="wrap" title={k.id}>
                    {k.subject}
                  </th>
                  <td>{k.kind === 'pgp' ? 'OpenPGP' : k.isCa ? 'X.509 CA' : 'X.509'}</td>
                  <td>{k.source}</td>
                  <td className="wrap">{k.addresses.join(', ')}</td>
                  <td>{k.notAfter ? new Date(k.notAfter).toLocaleDateString() : '—'}</td>
                  <td>{k.hasPrivateKey ? 'yes' : 'no'}</td>
                  <td>
                    {k.source !== 'ca' && (
                      <button type="button" className="danger" onClick={() => confirm(`Delete ${k.subject}?`) && void run(`Delete ${k.subject}`, () => api('DELETE', `/api/v1/keys/${k.id}`))}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <div className="columns spaced">
        <section aria-labelledby="import-title">
          <h2 id="import-title">Import a key</h2>
          <form onSubmit={importKey} className="filters" aria-labelledby="import-title">
            <div>
              <label htmlFor="key-file">Key file</label>
              <input id="key-file" type="file" required onChange={(e) => setImp({ ...imp, file: e.target.files?.[0] ?? null })} />
            </div>
            <div>
              <label htmlFor="key-password">File password</label>
              <input id="key-password" type="password" autoComplete="off" value={imp.password} onChange={(e) => setImp({ ...imp, password: e.target.value })} />
            </div>
            <div>
              <label htmlFor="key-addresses">For addresses</label>
              <input id="key-addresses" placeholder="@example.test" value={imp.addresses} onChange={(e) => setImp({ ...imp, addresses: e.target.value })} />
            </div>
            <button type="submit">Import</button>
          </form>
        </section>
        <section aria-labelledby="issue-title">
          <h2 id="issue-title">Issue a certificate or key</h2>
          <form onSubmit={issueKey} className="filters" aria-labelledby="issue-title">
            <div>
              <label htmlFor="issue-address">Address</label>
              <input id="issue-address" type="email" required value={issue.address} onChange={(e) => setIssue({ ...issue, address: e.target.value })} />
            </div>
            <div>
              <label htmlFor="issue-days">Valid for days</label>
              <input id="issue-days" type="number" min={1} max={3650} value={issue.days} onChange={(e) => setIssue({ ...issue, days: e.target.value })} />
            </div>
            <div className="check">
              <input id="issue-pgp" type="checkbox" checked={issue.pgp} onChange={(e) => setIssue({ ...issue, pgp: e.target.checked })} />
              <label htmlFor="issue-pgp">OpenPGP key instead of S/MIME</label>
            </div>
            <button type="submit">Issue</button>
          </form>
        </section>
      </div>
    </>
  );
}
