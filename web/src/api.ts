// The console's client of /api/v1: JSON over fetch with the session cookie, the CSRF token on
// every request that is not a GET, and problem+json errors turned into ApiFailure with the code.
export interface Me {
  name: string;
  role: 'admin' | 'auditor' | 'helpdesk' | 'user';
  email: string | null;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onLoggedOut: () => void = () => undefined;

export function setLoggedOutHandler(fn: () => void): void {
  onLoggedOut = fn;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/v1/session') onLoggedOut();
    throw new ApiFailure(res.status, data?.code ?? `HTTP_${res.status}`, data?.detail ?? res.statusText);
  }
  return data as T;
}

export async function login(username: string, password: string): Promise<Me> {
  const r = await api<{ user: Me; csrfToken: string }>('POST', '/api/v1/session', { username, password });
  csrfToken = r.csrfToken;
  return r.user;
}

export async function resume(): Promise<Me | null> {
  try {
    const r = await api<{ user: Me; csrfToken: string }>('GET', '/api/v1/session');
    csrfToken = r.csrfToken;
    return r.user;
  } catch {
    return null;
  }
}

export async function logout(): Promise<void> {
  await api('DELETE', '/api/v1/session').catch(() => undefined);
  csrfToken = '';
}
