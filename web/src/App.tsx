// The console shell: login gate, navigation and a tiny path router (history API; the server
// answers every console path with index.html).
import { useEffect, useState, type MouseEvent } from 'react';
import { logout, resume, setLoggedOutHandler, type Me } from './api.ts';
import { Login } from './pages/Login.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { Services } from './pages/Services.tsx';
import { Queues } from './pages/Queues.tsx';
import { Tracking } from './pages/Tracking.tsx';
import { Logs } from './pages/Logs.tsx';
import { Users } from './pages/Users.tsx';

const PAGES = [
  { path: '/', title: 'Dashboard', roles: ['admin', 'helpdesk'] },
  { path: '/services', title: 'Services', roles: ['admin', 'helpdesk'] },
  { path: '/queues', title: 'Queues', roles: ['admin', 'helpdesk'] },
  { path: '/tracking', title: 'Message tracking', roles: ['admin', 'helpdesk'] },
  { path: '/logs', title: 'Logs', roles: ['admin', 'helpdesk', 'auditor'] },
  { path: '/users', title: 'Users', roles: ['admin'] },
] as const;

function usePath(): [string, (p: string) => void] {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return [path, (p) => (history.pushState(null, '', p), setPath(p))];
}

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [path, go] = usePath();
  useEffect(() => {
    setLoggedOutHandler(() => setMe(null));
    void resume().then(setMe);
  }, []);
  useEffect(() => {
    const page = PAGES.find((p) => p.path === path);
    document.title = `${page?.title ?? 'Gatehouse'} · Gatehouse`;
  }, [path]);

  if (me === undefined) return <p className="loading">Loading…</p>;
  if (me === null) return <Login onLogin={setMe} />;

  const pages = PAGES.filter((p) => (p.roles as readonly string[]).includes(me.role));
  const current = pages.find((p) => p.path === path) ?? pages[0];
  const nav = (p: string) => (e: MouseEvent) => {
    e.preventDefault();
    go(p);
  };
  return (
    <div className="shell">
      <header className="top">
        <a className="brand" href="/" onClick={nav('/')}>
          Gatehouse
        </a>
        <nav aria-label="Main">
          <ul>
            {pages.map((p) => (
              <li key={p.path}>
                <a href={p.path} onClick={nav(p.path)} aria-current={p === current ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span>
            {me.name} <small>({me.role})</small>
          </span>
          <button type="button" onClick={() => void logout().then(() => setMe(null))}>
            Log out
          </button>
        </div>
      </header>
      <main>
        {!current ? (
          <p>Your role has no pages in the admin console yet.</p>
        ) : current.path === '/' ? (
          <Dashboard />
        ) : current.path === '/services' ? (
          <Services />
        ) : current.path === '/queues' ? (
          <Queues canAct={me.role !== 'auditor'} />
        ) : current.path === '/tracking' ? (
          <Tracking />
        ) : current.path === '/users' ? (
          <Users />
        ) : (
          <Logs />
        )}
      </main>
    </div>
  );
}
