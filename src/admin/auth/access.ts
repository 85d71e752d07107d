// Who may call what in the admin API, by role. Promises: admin may do everything; auditor may
// only read logs, the compliance log and the archive; helpdesk may read everything but users,
// the compliance log and the archive, and act on mail (hold, release, delete, retry, flush);
// user may use nothing of the admin API but its own session.
import type { UserRole } from '../../store/store.ts';

const SESSION = '/api/v1/session';
const READS = new Set(['GET', 'HEAD']);
const AUDITOR_READS = ['/api/v1/logs', '/api/v1/compliance', '/api/v1/archive'];
const HELPDESK_HIDDEN = ['/api/v1/users', '/api/v1/compliance', '/api/v1/archive', '/api/v1/keys', '/api/v1/support'];
const HELPDESK_ACTIONS = [/^\/api\/v1\/mails\/[^/]+\/(hold|release|delete|retry)$/, /^\/api\/v1\/queues\/[^/]+\/flush$/];

const under = (path: string, prefixes: string[]) => prefixes.some((p) => path === p || path.startsWith(p + '/'));

/** `path` without the query string. */
export function roleMayCall(role: UserRole, method: string, path: string): boolean {
  if (path === SESSION) return true;
  switch (role) {
    case 'admin':
      return true;
    case 'auditor':
      return READS.has(method) && under(path, AUDITOR_READS);
    case 'helpdesk':
      if (READS.has(method)) return !under(path, HELPDESK_HIDDEN);
      return method === 'POST' && HELPDESK_ACTIONS.some((r) => r.test(path));
    default:
      return false;
  }
}
