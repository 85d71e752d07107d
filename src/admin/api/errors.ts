// The one registry of the admin API's stable error codes. Every error response is an RFC 9457
// problem document built from an entry here; clients (the CLI, the console) branch on `code`.
// A code, once published, keeps its meaning: add new codes, never repurpose old ones.
import type { ControlErrorCode } from '../../services/system-manager/control.ts';

export interface ApiErrorSpec {
  status: number;
  title: string;
  /** When a client sees it and what to do about it; published in the OpenAPI document. */
  description: string;
}

/** Codes the control raises. `Record<ControlErrorCode, …>` makes a new control code a compile error here. */
const CONTROL_ERRORS: Record<ControlErrorCode, ApiErrorSpec> = {
  SERVICE_NOT_FOUND: {
    status: 404,
    title: 'Service not found',
    description: 'No service of the appliance has that name; `GET /api/v1/services` lists them.',
  },
  SERVICE_NOT_STOPPABLE: {
    status: 409,
    title: 'Service cannot be stopped',
    description: 'The service is essential to the appliance (e.g. system-manager, log-manager) and may not be stopped or restarted from the admin plane.',
  },
  SERVICE_DEACTIVATED: {
    status: 409,
    title: 'Service is deactivated',
    description: 'A deactivated service stays stopped; activate it before starting it.',
  },
  SERVICE_NOT_DEACTIVATABLE: {
    status: 409,
    title: 'Service cannot be deactivated',
    description: 'The mail flow depends on this service, so it cannot be deactivated.',
  },
  MAIL_NOT_FOUND: {
    status: 404,
    title: 'Mail not found',
    description: 'No mail with that id is in any queue (it may have been purged after reaching a final state).',
  },
  MAIL_BUSY: {
    status: 409,
    title: 'Mail is being processed',
    description: 'A stage holds a lease on the mail right now; retry the action in a moment.',
  },
  MAIL_WRONG_QUEUE: {
    status: 409,
    title: 'Mail is not in a queue that allows this action',
    description: 'For example, only held mail can be released and only deferred or held mail can be retried; the detail names the queue the mail is in.',
  },
  QUEUE_NOT_FOUND: {
    status: 404,
    title: 'Queue not found',
    description: 'No queue has that name; the queue names are the flow stages, the holding queues and the final states.',
  },
  NODE_NOT_FOUND: {
    status: 404,
    title: 'Node not found',
    description: 'No gateway node of this appliance has that id (`node` names a node, or `all`); `GET /api/v1/services` lists the nodes with their last heartbeat.',
  },
  NODE_TIMEOUT: {
    status: 504,
    title: 'Node did not answer',
    description: 'The command for another node was not applied in time: the node is down, cut off from the database, or the action is still running there. Check the node (its heartbeat in `GET /api/v1/services`) and try again.',
  },
  MAINTENANCE_MODE: {
    status: 409,
    title: 'Appliance is in maintenance mode',
    description: 'Mail-handling services stay stopped while maintenance mode is on; switch it off first.',
  },
  SERVICE_NOT_RUNNING: {
    status: 409,
    title: 'Service is not running',
    description: 'The action needs the service running (e.g. fetching a POP3 mailbox needs pop3-proxy); start it first.',
  },
  MAILBOX_NOT_FOUND: {
    status: 404,
    title: 'POP3 mailbox not found',
    description: 'No POP3 mailbox has that name; `GET /api/v1/pop3/mailboxes` lists them.',
  },
  MAILBOX_INVALID: {
    status: 400,
    title: 'Invalid POP3 mailbox',
    description: 'The mailbox definition breaks a rule of the `pop3.mailboxes` config schema; the detail names the field.',
  },
  MAILBOX_IN_CONFIG: {
    status: 409,
    title: 'Mailbox is defined in the config file',
    description: 'Mailboxes from the config file can only be changed or removed there; the API manages the mailboxes it added.',
  },
  SUPPORT_NOT_CONFIGURED: {
    status: 409,
    title: 'Remote support is not configured',
    description: 'The config has no `remoteSupport.endpoint`; set the support endpoint (a wss:// URL) and restart the gateway.',
  },
  LIST_ENTRY_NOT_FOUND: {
    status: 404,
    title: 'Filter list entry not found',
    description: 'No allow- or block-list entry has that id; `GET /api/v1/spamfinder/lists` lists them.',
  },
  REPORTS_NOT_CONFIGURED: {
    status: 409,
    title: 'Quarantine reports are off',
    description: 'The config has `spamfinder.reports.enabled: false`; enable the reports (times, listen, url) and restart the gateway.',
  },
  LIST_ENTRY_INVALID: {
    status: 400,
    title: 'Invalid filter list entry',
    description: 'The list name is not one of awl, dwl, nwl, swl, abl, dbl, nbl, sbl, or the value does not fit the list (an address, a domain, a network in CIDR form, a subject text).',
  },
  SUPPORT_SESSION_ACTIVE: {
    status: 409,
    title: 'A remote support session is already running',
    description: 'Only one support session runs at a time; stop it (`POST /api/v1/remote-support/stop`) before starting another.',
  },
  ARCHIVE_DISABLED: {
    status: 409,
    title: 'The archive is switched off',
    description: 'The config has `archive.enabled: false`, so nothing is archived and there is nothing to search; switch it on and restart the gateway.',
  },
  ARCHIVE_NOT_FOUND: {
    status: 404,
    title: 'Archived message not found',
    description: 'No archived message has that id; `GET /api/v1/archive/search` finds ids.',
  },
  ARCHIVE_QUERY_INVALID: {
    status: 400,
    title: 'Invalid archive query',
    description: 'The search query breaks a rule of the query language (e.g. a date that is not YYYY-MM-DD, `has:` other than attachment, exclusions only); the detail names the term.',
  },
  IMPORT_SOURCE_INVALID: {
    status: 400,
    title: 'Import source cannot be read',
    description: 'The path of an archive import must be an absolute path on the appliance to an mbox file, a folder of .eml files or a Maildir that the gateway can read.',
  },
  IMPORT_NOT_FOUND: {
    status: 404,
    title: 'Import job not found',
    description: 'No archive import job has that id; `GET /api/v1/archive/imports` lists them.',
  },
  IMPORT_RUNNING: {
    status: 409,
    title: 'Import job cannot be resumed',
    description: 'The import job is running or already done; only an interrupted or failed job can be resumed.',
  },
  REDELIVER_NO_RECIPIENT: {
    status: 400,
    title: 'No recipient to redeliver to',
    description: 'The archived mail has no recipient of its own (imported mail) or an address given is not a mail address; name the recipients with `to`.',
  },
  HOLD_INVALID: {
    status: 400,
    title: 'Invalid legal hold',
    description: 'A legal hold names exactly one of an archived message id (that exists) or a search query (valid in the query language), and a reason.',
  },
  HOLD_NOT_FOUND: {
    status: 404,
    title: 'Legal hold not found',
    description: 'No active legal hold has that id; `GET /api/v1/archive/holds` lists them.',
  },
  AUDIT_GRANT_INVALID: {
    status: 400,
    title: 'Invalid audit grant',
    description: 'An audit grant names an existing user with the auditor role, a valid archive query, a time window (from before until) and an expiry in the future.',
  },
  AUDIT_GRANT_NOT_FOUND: {
    status: 404,
    title: 'Audit grant not found',
    description: 'No active audit grant has that id; `GET /api/v1/audit/grants` lists them.',
  },
  ARCHIVE_INTEGRITY_FAILED: {
    status: 500,
    title: 'Archived message fails its integrity check',
    description: 'The stored mail was changed or damaged (its authentication tag, SHA-256 or size does not match what was archived), so it is not handed out. Run `gatehouse archive verify` and restore the archive from a backup.',
  },
  PORTAL_NOT_FOUND: {
    status: 404,
    title: 'Not in the encryption portal',
    description: 'No mail waits in the encryption portal under that id, or the address has no portal password; `GET /api/v1/portal/messages` lists the mails.',
  },
  KEY_NOT_FOUND: {
    status: 404,
    title: 'Key not found',
    description: 'No certificate or OpenPGP key of the mail-sealer has that id; `GET /api/v1/keys` lists them.',
  },
  KEY_INVALID: {
    status: 400,
    title: 'Not a key the sealer can read',
    description: 'The import is not a PEM or DER certificate, a PEM private key, a PKCS#12 bundle or an OpenPGP key, uses an algorithm the sealer does not support, or holds a private key that belongs to no certificate; the detail says which.',
  },
  KEY_PASSWORD: {
    status: 400,
    title: 'Password missing or wrong',
    description: 'The PKCS#12 bundle, encrypted private key or OpenPGP secret key needs a password and none was given, or the one given does not open it; a PKCS#12 export also needs one.',
  },
  KEY_UNUSABLE: {
    status: 409,
    title: 'Key cannot be used for this',
    description: 'The key exists but cannot do what was asked: no private key to export, the built-in CA cannot be deleted, or the sealed key does not open with <dataDir>/keys/sealer.key.',
  },
  POLICY_INVALID: {
    status: 400,
    title: 'Invalid encryption policy',
    description: 'A policy breaks a rule of the `sealer.policies` config schema (name, direction, senders, recipients, sign, encrypt, method); the detail names the field.',
  },
};

/** Codes of the HTTP layer itself. */
const HTTP_ERRORS = {
  UNAUTHORIZED: {
    status: 401,
    title: 'Authentication required',
    description: 'The request has no `Authorization: Bearer <token>` header or the token is wrong. The token is in `<dataDir>/admin.token` on the appliance.',
  },
  FORBIDDEN: {
    status: 403,
    title: 'Not allowed',
    description: 'The caller is logged in but its role (admin, auditor, helpdesk, user) may not do this.',
  },
  NOT_FOUND: {
    status: 404,
    title: 'No such route',
    description: 'No API route matches this method and path; `GET /api/v1/openapi.json` lists the routes.',
  },
  VALIDATION: {
    status: 400,
    title: 'Invalid request',
    description: 'A path parameter, query parameter or body field is missing, unknown or of the wrong type; the detail names the field.',
  },
  BAD_REQUEST: {
    status: 400,
    title: 'Malformed request',
    description: 'The request could not be read at all, e.g. a body that is not valid JSON.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    title: 'Request body too large',
    description: 'Admin API request bodies are small JSON documents; this one exceeds the limit.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported media type',
    description: 'Request bodies must be `application/json`.',
  },
  CSRF_FAILED: {
    status: 403,
    title: 'CSRF token missing or wrong',
    description: 'A request that changes something and is made with the console session cookie must send the session\'s CSRF token (from `POST /api/v1/session`) in the `X-CSRF-Token` header.',
  },
  LOGIN_FAILED: {
    status: 401,
    title: 'Login failed',
    description: 'The user name or the password is wrong.',
  },
  LOGIN_RATE_LIMITED: {
    status: 429,
    title: 'Too many failed logins',
    description: 'Too many failed logins from this address or for this user name; wait (the `retry-after` header says how many seconds) and try again.',
  },
  USER_EXISTS: {
    status: 409,
    title: 'User exists',
    description: 'A user with that name exists already; user names are unique.',
  },
  USER_NOT_FOUND: {
    status: 404,
    title: 'User not found',
    description: 'No console user has that name; `GET /api/v1/users` lists them.',
  },
  USER_LAST_ADMIN: {
    status: 409,
    title: 'Last admin',
    description: 'The appliance must keep at least one user with the admin role.',
  },
  USER_INVALID: {
    status: 400,
    title: 'Invalid user',
    description: 'The user name, role or password does not meet the rules; the detail says which.',
  },
  LDAP_UNAVAILABLE: {
    status: 503,
    title: 'LDAP directory unavailable',
    description: 'The login needed the LDAP directory (admin.ldap), which did not answer in time or failed; local users can still log in. Try again later; the gateway log has the details.',
  },
  TOKEN_EXISTS: {
    status: 409,
    title: 'API token exists',
    description: 'An API token with that name exists already; revoke it first or choose another name.',
  },
  TOKEN_NOT_FOUND: {
    status: 404,
    title: 'API token not found',
    description: 'No API token has that name; `GET /api/v1/tokens` lists them.',
  },
  NO_MAIL_ADDRESS: {
    status: 409,
    title: 'No mail address',
    description: 'The calling user has no e-mail address, so it has no own quarantine, lists or archive; an admin sets one (`gatehouse users add … --email`).',
  },
  MAIL_NOT_YOURS: {
    status: 404,
    title: 'Mail not found',
    description: 'No mail with that id is addressed to the calling user alone; another user\'s mail (or one shared with other recipients) is handled by an admin or the helpdesk.',
  },
  INTERNAL: {
    status: 500,
    title: 'Internal error',
    description: 'The appliance failed to carry out the request; the gateway log has the details. Nothing more is told to the client.',
  },
} satisfies Record<string, ApiErrorSpec>;

export const API_ERRORS = { ...HTTP_ERRORS, ...CONTROL_ERRORS } as const satisfies Record<string, ApiErrorSpec>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export const API_ERROR_CODES = Object.keys(API_ERRORS) as ApiErrorCode[];

export function isApiErrorCode(code: string): code is ApiErrorCode {
  return Object.hasOwn(API_ERRORS, code);
}

/** RFC 9457 problem document, served as `application/problem+json`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ApiErrorCode;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * `type` is a URN, not a URL: the appliance runs offline, so there is no page to point at. The
 * OpenAPI document (`components.schemas.Problem`) carries each code's description instead.
 */
export function problemType(code: ApiErrorCode): string {
  return `urn:gatehouse:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

export function problem(code: ApiErrorCode, detail?: string): Problem {
  const spec = API_ERRORS[code];
  return { type: problemType(code), title: spec.title, status: spec.status, detail: detail ?? spec.title, code };
}

/** An error a route raises on purpose; the error handler turns it into its problem response. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/** JSON schema of a problem document (for the OpenAPI document and response serialisation). */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: `An RFC 9457 problem document. The codes:\n\n${API_ERROR_CODES.map((c) => `- \`${c}\` (${API_ERRORS[c].status}): ${API_ERRORS[c].description}`).join('\n')}`,
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: API_ERROR_CODES },
  },
} as const;
