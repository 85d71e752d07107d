// What the admin plane (HTTP API, CLI through the API, console) may do to the appliance.
// The API talks only to this; the appliance implements it over the supervisor and the store.
import type { MailRecord, QueueName } from '../../core/mail.ts';
import type { LogQuery, LogRecord, MailFilter, TrackingEvent } from '../../store/store.ts';
import type { ServiceStatus } from '../service.ts';
import type { Pop3Control } from '../pop3-proxy/control.ts';
import type { RemoteSupportControl } from '../remote-support/control.ts';
import type { SpamfinderControl } from '../spamfinder/control.ts';
import type { ComplianceControl } from '../compliance-log/control.ts';
import type { ArchiveControl } from '../mail-depot/archive-access.ts';
import type { SealerControl } from '../mail-sealer/control.ts';
import type { PortalControl } from '../portal-crypt/control.ts';
import type { UserControl } from '../../admin/auth/users.ts';
import type { NodeActionResult, NodeServices, NodeVerb } from './cluster-node.ts';

/** Errors the control raises carry a stable code the API maps to a problem response. */
export class ControlError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export type ControlErrorCode =
  | 'SERVICE_NOT_FOUND'
  | 'SERVICE_NOT_STOPPABLE'
  | 'SERVICE_DEACTIVATED'
  | 'SERVICE_NOT_DEACTIVATABLE'
  | 'NODE_NOT_FOUND'
  | 'NODE_TIMEOUT'
  | 'MAIL_NOT_FOUND'
  | 'MAIL_BUSY'
  | 'MAIL_WRONG_QUEUE'
  | 'QUEUE_NOT_FOUND'
  | 'MAINTENANCE_MODE'
  | 'SERVICE_NOT_RUNNING'
  | 'MAILBOX_NOT_FOUND'
  | 'MAILBOX_INVALID'
  | 'MAILBOX_IN_CONFIG'
  | 'SUPPORT_NOT_CONFIGURED'
  | 'SUPPORT_SESSION_ACTIVE'
  | 'LIST_ENTRY_NOT_FOUND'
  | 'LIST_ENTRY_INVALID'
  | 'REPORTS_NOT_CONFIGURED'
  | 'ARCHIVE_DISABLED'
  | 'ARCHIVE_NOT_FOUND'
  | 'ARCHIVE_QUERY_INVALID'
  | 'ARCHIVE_INTEGRITY_FAILED'
  | 'IMPORT_SOURCE_INVALID'
  | 'IMPORT_NOT_FOUND'
  | 'IMPORT_RUNNING'
  | 'HOLD_INVALID'
  | 'REDELIVER_NO_RECIPIENT'
  | 'HOLD_NOT_FOUND'
  | 'AUDIT_GRANT_INVALID'
  | 'AUDIT_GRANT_NOT_FOUND'
  | 'KEY_NOT_FOUND'
  | 'KEY_INVALID'
  | 'KEY_PASSWORD'
  | 'KEY_UNUSABLE'
  | 'POLICY_INVALID'
  | 'PORTAL_NOT_FOUND';

export interface MailDetail extends MailRecord {
  events: TrackingEvent[];
}

export interface ApplianceControl {
  health(): { ok: boolean; version: string; hostname: string; uptime: number; maintenance: boolean };
  services: {
    list(): ServiceStatus[];
    get(name: string): ServiceStatus;
    start(name: string): Promise<ServiceStatus>;
    stop(name: string): Promise<ServiceStatus>;
    restart(name: string): Promise<ServiceStatus>;
    /** Deactivated services stay stopped and are skipped by the flow. */
    setEnabled(name: string, enabled: boolean): Promise<ServiceStatus>;
    /** This node's id (cluster); absent where the control knows of one node only. */
    node?: string;
    /** Every node's services (this node's first); absent where the control knows of one node only. */
    nodes?(): Promise<NodeServices[]>;
    /**
     * A service command on the node named `node` or on `all` live nodes (cluster-node.ts): one
     * node throws its ControlError (NODE_NOT_FOUND, NODE_TIMEOUT, …); `all` answers per node.
     */
    onNode?(node: string, verb: NodeVerb, name: string): Promise<NodeActionResult[]>;
  };
  maintenance: {
    get(): boolean;
    set(on: boolean): Promise<void>;
  };
  queue: {
    counts(): Promise<Record<string, { total: number; deferred: number }>>;
    list(f: MailFilter): Promise<MailRecord[]>;
    get(id: string): Promise<MailDetail>;
    hold(id: string, actor: string): Promise<MailRecord>;
    release(id: string, actor: string): Promise<MailRecord>;
    delete(id: string, actor: string): Promise<MailRecord>;
    retry(id: string, actor: string): Promise<MailRecord>;
    flush(domain: string | undefined, actor: string): Promise<number>;
  };
  logs: {
    query(q: LogQuery): Promise<(LogRecord & { id: number })[]>;
  };
  /** Prometheus text exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** POP3 mailboxes (pop3-proxy); absent where the appliance has no pop3-proxy. */
  pop3?: Pop3Control;
  /** Remote support sessions (remote-support); absent where the appliance has none. */
  remoteSupport?: RemoteSupportControl;
  /** Quarantines, filter lists and Bayes (spamfinder); absent where the appliance has none. */
  spamfinder?: SpamfinderControl;
  /** The compliance log (compliance-log); absent where the appliance has none. */
  compliance?: ComplianceControl;
  /** The archive (mail-depot): search, view, raw mail, verify; absent where the appliance has none. */
  archive?: ArchiveControl;
  /** Keys and encryption policies (mail-sealer); absent where the appliance has none. */
  sealer?: SealerControl;
  /** The encryption portal (portal-crypt): waiting mails, recipients' passwords; absent where there is none. */
  portal?: PortalControl;
  /** Console users (login, roles); absent where the store keeps none. */
  users?: UserControl;
}

export function isQueueName(q: string, all: readonly QueueName[]): q is QueueName {
  return (all as readonly string[]).includes(q);
}
