// Who may call what in the admin API, by role. Promises: admin may do everything; auditor may
// only read logs, the compliance log and the archive (and verify both); helpdesk may read everything but users,
// the compliance log and the archive, and act on mail (hold, release, delete, retry, flush, and
// deliver or delete from a quarantine);
// user may use nothing of the admin API but its own session and its own mail (/api/v1/me/…,
// which every role may call: the routes there only ever touch the caller's own mail), and read
// the archive (search, show, export), which shows a user only their own mail.
import type { UserRole } from '../../store/store.ts';

const SESSION = '/api/v1/session';
const OWN = '/api/v1/me';
const READS = new Set(['GET', 'HEAD']);
// The archive routes narrow an auditor's reads to the audit grant in force (nothing without one)
// and a user's to mail of their own address; /api/v1/audit/grants shows an auditor their grants.
const AUDITOR_READS = ['/api/v1/logs', '/api/v1/compliance', '/api/v1/archive', '/api/v1/audit'];
const USER_ARCHIVE_READS = /^\/api\/v1\/archive\/(search|export|(?!holds$|imports$|verify$|expire$)[^/]+(\/raw)?)$/;
const AUDITOR_CHECKS = ['/api/v1/compliance/verify', '/api/v1/archive/verify'];
const HELPDESK_HIDDEN = ['/api/v1/users', '/api/v1/compliance', '/api/v1/archive', '/api/v1/keys', '/api/v1/support', '/api/v1/tokens'];
const HELPDESK_ACTIONS = [/^\/api\/v1\/mails\/[^/]+\/(hold|release|delete|retry)$/, /^\/api\/v1\/queues\/[^/]+\/flush$/, /^\/api\/v1\/quarantine\/[^/]+\/(deliver|delete)$/];

const under = (path: string, prefixes: string[]) => prefixes.some((p) => path === p || path.startsWith(p + '/'));

/** `path` without the query string. */
export function roleMayCall(role: UserRole, method: string, path: string): boolean {
  if (path === SESSION || under(path, [OWN])) return true;
  switch (role) {
    case 'admin':
      return true;
    case 'auditor':
      // Verifying the compliance log or the archive changes nothing: it is an auditor's check.
      if (method === 'POST' && AUDITOR_CHECKS.includes(path)) return true;
      return READS.has(method) && under(path, AUDITOR_READS);
    case 'helpdesk':
      if (READS.has(method)) return !under(path, HELPDESK_HIDDEN);
      return method === 'POST' && HELPDESK_ACTIONS.some((r) => r.test(path));
    case 'user':
      return READS.has(method) && USER_ARCHIVE_READS.test(path);
    default:
      return false;
  }
}
