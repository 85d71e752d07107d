// The console shell: login gate, navigation and a tiny path router (history API; the server
// answers every console path with index.html). Pages are offered by role: the admin console for
// admin / helpdesk / auditor, the user console (own quarantine, own lists, own archive when the
// API allows it) for user. A page the role may not open is refused here as well as by the API.
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';
import { api, logout, resume, setLoggedOutHandler, type Me } from './api.ts';
import { Login } from './pages/Login.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { Services } from './pages/Services.tsx';
import { Queues } from './pages/Queues.tsx';
import { Tracking } from './pages/Tracking.tsx';
import { Logs } from './pages/Logs.tsx';
import { Users } from './pages/Users.tsx';
import { Tokens } from './pages/Tokens.tsx';
import { QuarantineView } from './pages/QuarantineView.tsx';
import { ListsView } from './pages/ListsView.tsx';
import { Archive } from './pages/Archive.tsx';
import { Keys } from './pages/Keys.tsx';
import { Pop3 } from './pages/Pop3.tsx';
import { Compliance } from './pages/Compliance.tsx';

type Role = Me['role'];

interface Page {
  path: string;
  title: string;
  roles: readonly Role[];
  render: (me: Me) => ReactNode;
}

const STAFF: Role[] = ['admin', 'helpdesk'];

const PAGES: Page[] = [
  { path: '/', title: 'Dashboard', roles: STAFF, render: () => <Dashboard /> },
  { path: '/services', title: 'Services', roles: STAFF, render: () => <Services /> },
  { path: '/queues', title: 'Queues', roles: STAFF, render: (me) => <Queues canAct={me.role !== 'auditor'} /> },
  {
    path: '/quarantine',
    title: 'Quarantine',
    roles: STAFF,
    render: (me) => <QuarantineView title="Quarantine" base="/api/v1/quarantine" queues={['spam', 'virus', 'ciss']} actions={me.role === 'admin' ? ['deliver', 'delete', 'allow'] : ['deliver', 'delete']} tracking />,
  },
  { path: '/tracking', title: 'Message tracking', roles: STAFF, render: () => <Tracking /> },
  { path: '/archive', title: 'Archive', roles: ['admin', 'auditor'], render: () => <Archive /> },
  { path: '/encryption', title: 'Encryption', roles: ['admin'], render: () => <Keys /> },
  { path: '/pop3', title: 'POP3', roles: STAFF, render: (me) => <Pop3 canAct={me.role === 'admin'} /> },
  {
    path: '/filter-lists',
    title: 'Filter lists',
    roles: ['admin'],
    render: () => <ListsView title="Filter lists" base="/api/v1/spamfinder/lists" lists={['awl', 'dwl', 'nwl', 'swl', 'abl', 'dbl', 'nbl', 'sbl']} intro="Company-wide allow and block lists added here (the config file has its own). Allow lists beat everything." />,
  },
  { path: '/logs', title: 'Logs', roles: ['admin', 'helpdesk', 'auditor'], render: () => <Logs /> },
  { path: '/compliance', title: 'Compliance log', roles: ['admin', 'auditor'], render: () => <Compliance /> },
  { path: '/users', title: 'Users', roles: ['admin'], render: () => <Users /> },
  { path: '/tokens', title: 'API tokens', roles: ['admin'], render: () => <Tokens /> },
  {
    path: '/my/quarantine',
    title: 'My quarantine',
    roles: ['user'],
    render: () => <QuarantineView title="My quarantine" base="/api/v1/me/quarantine" queues={['spam', 'ciss']} actions={['deliver', 'delete', 'allow']} />,
  },
  {
    path: '/my/lists',
    title: 'My lists',
    roles: ['user'],
    render: () => <ListsView title="My allow and block lists" base="/api/v1/me/lists" lists={['awl', 'dwl', 'abl', 'dbl']} intro="Senders and domains you always want, or never want, to receive mail from." />,
  },
  { path: '/my/archive', title: 'My archive', roles: ['user'], render: () => <Archive title="My archive" /> },
];

function usePath(): [string, (p: string) => void] {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return [path, (p) => (history.pushState(null, '', p), setPath(p))];
}

/** Whether the archive search answers for this user (user scoping is the archive API's to give); null until asked. */
function useArchiveOpen(me: Me | null | undefined): boolean | null {
  const [open, setOpen] = useState<boolean | null>(null);
  useEffect(() => {
    if (me?.role !== 'user') return;
    void api('GET', '/api/v1/archive/search?q=&page=1').then(
      () => setOpen(true),
      () => setOpen(false),
    );
  }, [me]);
  return open;
}

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [path, go] = usePath();
  const archiveOpen = useArchiveOpen(me);
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

  const pages = PAGES.filter((p) => p.roles.includes(me.role) && (p.path !== '/my/archive' || archiveOpen === true));
  const known = PAGES.find((p) => p.path === path);
  // "/" is everyone's start: it shows the role's first page instead of a refusal.
  const refused = known && known.path !== '/' && !pages.includes(known) && !(known.path === '/my/archive' && me.role === 'user');
  const current = refused ? null : (pages.find((p) => p.path === path) ?? pages[0]);
  const nav = (p: string) => (e: MouseEvent) => {
    e.preventDefault();
    go(p);
  };
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to the page
      </a>
      <header className="top">
        <a className="brand" href={pages[0]?.path ?? '/'} onClick={nav(pages[0]?.path ?? '/')}>
          Gatehouse
        </a>
        <nav aria-label="Main" data-archive-open={archiveOpen === null ? undefined : String(archiveOpen)}>
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
      <main id="main" tabIndex={-1}>
        {refused ? (
          <p role="alert" className="error">
            The page {known.title} is not open to the role {me.role}.
          </p>
        ) : current ? (
          current.render(me)
        ) : (
          <p>Your role has no pages in the console yet.</p>
        )}
      </main>
    </div>
  );
}
