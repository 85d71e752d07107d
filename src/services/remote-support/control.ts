// What the admin plane may do with remote support (API `/api/v1/remote-support`, CLI
// `gatehouse support`). ApplianceControl.remoteSupport is this; the remote-support service
// implements it. The session code is only ever shown here, to the admin.

export type SupportRights = 'read-only' | 'full';

export interface SupportStartRequest {
  /** Session length; default 60 minutes, at most remoteSupport.maxDuration. */
  durationMs?: number;
  /** What the support user may do through the tunnel; default read-only (GET only). */
  rights?: SupportRights;
}

export interface SupportSession {
  id: string;
  /** The one-time code the admin gives the support engineer; valid for this session only. */
  code: string;
  rights: SupportRights;
  startedAt: number;
  expiresAt: number;
  startedBy: string;
  /** The tunnel to the endpoint is open. */
  connected: boolean;
  /** The remote side has proved it knows the code. */
  authenticated: boolean;
  /** Requests that came through the tunnel (allowed or refused). */
  requests: number;
  lastError: string | null;
}

export interface SupportStatus {
  /** A session is running. */
  active: boolean;
  configured: boolean;
  endpoint: string | null;
  session: SupportSession | null;
  /** How the previous session ended, for the admin's record. */
  lastEnded: { id: string; endedAt: number; reason: string } | null;
}

export interface RemoteSupportControl {
  status(): SupportStatus;
  /** Activates and starts the service with a new session; throws SUPPORT_NOT_CONFIGURED / SUPPORT_SESSION_ACTIVE. */
  start(req: SupportStartRequest, actor: string): Promise<SupportStatus>;
  /** Ends the session now (the tunnel is cut) and deactivates the service again. */
  stop(actor: string): Promise<SupportStatus>;
}
