// What the support user may ask through the tunnel: admin API paths only (never the remote
// support routes themselves, so the session cannot read its code or extend itself), and with
// read-only rights only GET and HEAD. Everything else is refused before it reaches the API.
import type { SupportRights } from './control.ts';

export type PolicyDecision =
  | { allowed: true; method: string; url: string }
  | { allowed: false; status: 400 | 401 | 403; code: 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN'; reason: string };

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const READ_ONLY = new Set(['GET', 'HEAD']);
const BASE = 'http://support.invalid';

export function decide(req: { method?: unknown; path?: unknown }, rights: SupportRights, authenticated: boolean): PolicyDecision {
  if (!authenticated) return { allowed: false, status: 401, code: 'UNAUTHORIZED', reason: 'authenticate with the session code first' };
  const method = typeof req.method === 'string' ? req.method.toUpperCase() : '';
  if (!METHODS.has(method)) return { allowed: false, status: 400, code: 'BAD_REQUEST', reason: `method ${String(req.method)} is not relayed` };
  const path = typeof req.path === 'string' ? req.path : '';
  let url: URL;
  try {
    url = new URL(path, BASE);
  } catch {
    return { allowed: false, status: 400, code: 'BAD_REQUEST', reason: 'path is not a URL path' };
  }
  if (!path.startsWith('/') || path.startsWith('//') || url.origin !== BASE || /[\\\x00-\x1f]/.test(path)) {
    return { allowed: false, status: 400, code: 'BAD_REQUEST', reason: 'path must be an admin API path such as /api/v1/services' };
  }
  const p = url.pathname;
  // Checked in the most lenient reading a router could give the path (decoded, "//" as "/", any case).
  let loose: string;
  try {
    loose = decodeURIComponent(p).replace(/\/{2,}/g, '/').toLowerCase();
  } catch {
    return { allowed: false, status: 400, code: 'BAD_REQUEST', reason: 'path has a bad %-escape' };
  }
  if (!(loose.startsWith('/api/v1/') || loose === '/metrics')) return { allowed: false, status: 403, code: 'FORBIDDEN', reason: 'only the admin API (/api/v1/…) is reachable' };
  if (loose === '/api/v1/remote-support' || loose.startsWith('/api/v1/remote-support/')) {
    return { allowed: false, status: 403, code: 'FORBIDDEN', reason: 'the support session cannot manage remote support' };
  }
  if (rights === 'read-only' && !READ_ONLY.has(method)) {
    return { allowed: false, status: 403, code: 'FORBIDDEN', reason: `the session is read-only; ${method} is not allowed` };
  }
  return { allowed: true, method, url: p + url.search };
}
