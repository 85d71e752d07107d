// What every part of the appliance uses to write the compliance log: one call per
// compliance-relevant event (mail flow, archive access, exports, deletions, legal holds,
// policy and key changes, service starts and stops, logins, remote-support requests).
// The compliance-log service implements it as an append-only, hash-chained record.

export type ComplianceCategory =
  | 'mail'
  | 'archive'
  | 'export'
  | 'deletion'
  | 'legal-hold'
  | 'policy'
  | 'keys'
  | 'service'
  | 'login'
  | 'admin'
  | 'remote-support';

export interface ComplianceEvent {
  category: ComplianceCategory;
  /** What happened, e.g. "archive.view", "service.stop", "remote-support.request". */
  action: string;
  /** Who did it: a user name, "admin-api", "support", or a service name. */
  actor: string;
  /** What it was done to: a mail id, a service name, a query... */
  subject?: string;
  detail?: Record<string, unknown>;
}

export interface ComplianceRecorder {
  /** Appends the event; resolves once it is durable in the chain. */
  record(e: ComplianceEvent): Promise<void>;
}
