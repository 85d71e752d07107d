// Shapes of the API's answers as the console uses them (see /api/v1/openapi.json).
export interface ServiceStatus {
  name: string;
  kind: string;
  description: string;
  state: string;
  since: number;
  lastError: string | null;
  enabled: boolean;
  configured: boolean;
  essential: boolean;
}

export interface QueueCount {
  total: number;
  deferred: number;
}

export interface MailRecord {
  id: string;
  queue: string;
  envelope: { sender: string; recipients: { address: string; status: string; response?: string }[]; direction: string; source: string };
  size: number;
  receivedAt: number;
  queuedAt: number;
  notBefore: number;
  attempts: number;
  heldFrom?: string | null;
  lastReason?: string | null;
}

export interface TrackingEvent {
  at: number;
  event: string;
  actor: string;
  queue: string;
  detail?: Record<string, unknown>;
}

export interface LogRecord {
  id: number;
  at: number;
  level: string;
  service: string;
  msg: string;
  mailId: string | null;
}

export const STAGES = ['seal-in', 'spamfinder', 'depot', 'seal-out', 'deliver'];
export const HOLDING = ['hold', 'corrupt', 'quarantine:spam', 'quarantine:virus', 'quarantine:ciss'];
export const FINAL = ['delivered', 'bounced', 'deleted'];
