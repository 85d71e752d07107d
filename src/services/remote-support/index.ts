// remote-support: a support session an admin starts for a set time. The gateway opens an
// outgoing TLS WebSocket to remoteSupport.endpoint (tunnel.ts); the remote side proves it has
// the one-time session code and may then call the admin API in-process (admin-relay.ts) as
// the `support` user with the rights the admin chose (request-policy.ts). Every request, every
// code attempt, the start and the end go to the compliance log. Stopping cuts the tunnel at
// once; at the deadline the service ends the session itself and is deactivated again.
import type { Config } from '../../config/schema.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Service } from '../service.ts';
import { ControlError } from '../system-manager/control.ts';
import { problem, PROBLEM_CONTENT_TYPE, type ApiErrorCode } from '../../admin/api/errors.ts';
import { tlsTrust } from '../pop3-proxy/tls-trust.ts';
import type { AdminRelay } from './admin-relay.ts';
import type { RemoteSupportControl, SupportSession, SupportStartRequest, SupportStatus } from './control.ts';
import { decide } from './request-policy.ts';
import { codeMatches, newSessionCode, newSessionId } from './session-code.ts';
import { SupportTunnel, type TunnelRequest } from './tunnel.ts';

export const DEFAULT_DURATION_MS = 60 * 60_000;
/** Wrong codes a session tolerates before it ends itself. */
const MAX_AUTH_FAILURES = 3;
/** Who the compliance log names for what comes through the tunnel. */
export const SUPPORT_ACTOR = 'support';

export interface RemoteSupportDeps {
  config: Pick<Config, 'hostname' | 'remoteSupport'>;
  recorder: ComplianceRecorder;
  log: Logger;
  /** The admin API the support user reaches (createAdminRelay over the appliance's control). */
  relay(): AdminRelay;
  /** The supervisor's part: activate + start this service, or deactivate it (which stops it). */
  lifecycle(): { activate(): Promise<void>; deactivate(): Promise<void> };
}

interface Running {
  /** What the status shows; the tunnel's callbacks update it. */
  info: SupportSession;
  tunnel: SupportTunnel;
  relay: AdminRelay;
  deadline: NodeJS.Timeout;
  authFailures: number;
}

export class RemoteSupport implements Service {
  readonly name = 'remote-support' as const;
  readonly kind = 'auxiliary' as const;
  readonly description = 'Outgoing support tunnel; deactivated until an admin starts it, ends by itself';
  readonly essential = false;
  readonly deactivatable = true;
  readonly deactivatedByDefault = true;
  readonly mailHandling = false;
  onFailure?: (err: Error) => void;

  private session: Running | null = null;
  private pending: (SupportStartRequest & { actor: string }) | null = null;
  private endReason: { reason: string; actor: string } | null = null;
  private lastEnded: SupportStatus['lastEnded'] = null;

  constructor(private readonly d: RemoteSupportDeps) {}

  configured(): boolean {
    return !!this.d.config.remoteSupport.endpoint;
  }

  /** A new session: the admin's request (control.start) or the defaults (a plain service start). */
  async start(): Promise<void> {
    const cfg = this.d.config.remoteSupport;
    if (!cfg.endpoint) throw new Error('remoteSupport.endpoint is not configured');
    const req = this.pending ?? { actor: 'admin-api' };
    this.pending = null;
    const now = Date.now();
    const duration = Math.min(req.durationMs ?? DEFAULT_DURATION_MS, cfg.maxDuration);
    const s: SupportSession = {
      id: newSessionId(),
      code: newSessionCode(),
      rights: req.rights ?? 'read-only',
      startedAt: now,
      expiresAt: now + duration,
      startedBy: req.actor,
      connected: false,
      authenticated: false,
      requests: 0,
      lastError: null,
    };
    await this.d.recorder.record({
      category: 'remote-support',
      action: 'remote-support.start',
      actor: req.actor,
      subject: s.id,
      detail: { rights: s.rights, expiresAt: s.expiresAt, endpoint: cfg.endpoint },
    });
    const relay = this.d.relay();
    const tunnel = new SupportTunnel(cfg.endpoint, tlsTrust(new URL(cfg.endpoint).hostname, { ca: cfg.ca, trustCertificate: cfg.trustCertificate }), {
      hello: () => ({ session: s.id, gateway: this.d.config.hostname, rights: s.rights, expiresAt: s.expiresAt }),
      authenticate: (code) => this.authenticate(code),
      request: (r, authenticated) => this.request(r, authenticated),
      changed: (st) => {
        s.connected = st.connected;
        s.authenticated = st.authenticated;
        if (st.error) s.lastError = st.error;
      },
    }, this.d.log);
    const deadline = setTimeout(() => void this.end('expired: the session time is over', 'remote-support'), duration);
    this.session = { info: s, tunnel, relay, deadline, authFailures: 0 };
    tunnel.open();
    this.d.log.warn(`remote support session ${s.id} started by ${req.actor} (${s.rights}) until ${new Date(s.expiresAt).toISOString()}`);
  }

  async stop(): Promise<void> {
    const why = this.endReason ?? { reason: 'service stopped', actor: 'system-manager' };
    this.endReason = null;
    await this.teardown(why.reason, why.actor);
  }

  // --- RemoteSupportControl ---

  status(): SupportStatus {
    return {
      active: !!this.session,
      configured: this.configured(),
      endpoint: this.d.config.remoteSupport.endpoint ?? null,
      session: this.session ? { ...this.session.info } : null,
      lastEnded: this.lastEnded,
    };
  }

  /** ApplianceControl.remoteSupport (a separate object: Service.start() takes no request). */
  readonly control: RemoteSupportControl = {
    status: () => this.status(),
    start: (req, actor) => this.startSession(req, actor),
    stop: (actor) => this.stopSession(actor),
  };

  private async startSession(req: SupportStartRequest, actor: string): Promise<SupportStatus> {
    if (!this.configured()) throw new ControlError('SUPPORT_NOT_CONFIGURED', 'remoteSupport.endpoint is not set in the config');
    const cur = this.session?.info;
    if (cur) throw new ControlError('SUPPORT_SESSION_ACTIVE', `support session ${cur.id} runs until ${new Date(cur.expiresAt).toISOString()}`);
    this.pending = { ...req, actor };
    try {
      await this.d.lifecycle().activate();
    } finally {
      this.pending = null;
    }
    if (!this.session) {
      // A failed start must not be retried by the supervisor with a session nobody asked for.
      await this.d.lifecycle().deactivate();
      throw new Error('remote support did not start; see the service status and the gateway log');
    }
    return this.status();
  }

  private async stopSession(actor: string): Promise<SupportStatus> {
    await this.end(`stopped by ${actor}`, actor);
    return this.status();
  }

  /** Cuts the tunnel now, then lets the supervisor stop and deactivate the service. */
  private async end(reason: string, actor: string): Promise<void> {
    this.session?.tunnel.close(reason);
    this.endReason = { reason, actor };
    await this.d.lifecycle().deactivate();
    this.endReason = null;
  }

  private async teardown(reason: string, actor: string): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.session = null;
    clearTimeout(s.deadline);
    s.tunnel.close(reason);
    await s.relay.close().catch(() => undefined);
    this.lastEnded = { id: s.info.id, endedAt: Date.now(), reason };
    this.d.log.warn(`remote support session ${s.info.id} ended: ${reason}`);
    await this.d.recorder
      .record({ category: 'remote-support', action: 'remote-support.end', actor, subject: s.info.id, detail: { reason, requests: s.info.requests } })
      .catch((err: Error) => this.d.log.error(`remote support: the compliance log did not take the session end: ${err.message}`));
  }

  private async authenticate(code: unknown): Promise<boolean> {
    const s = this.session;
    if (!s) return false;
    const ok = codeMatches(code, s.info.code);
    if (!ok) s.authFailures++;
    await this.d.recorder.record({ category: 'remote-support', action: 'remote-support.auth', actor: SUPPORT_ACTOR, subject: s.info.id, detail: { ok } }).catch(() => undefined);
    // After the answer to this attempt has gone out.
    if (!ok && s.authFailures >= MAX_AUTH_FAILURES) setImmediate(() => void this.end(`${MAX_AUTH_FAILURES} wrong session codes`, 'remote-support'));
    return ok;
  }

  private async request(r: TunnelRequest, authenticated: boolean): Promise<{ status: number; contentType: string | null; body: string }> {
    const s = this.session?.info;
    const relay = this.session?.relay;
    if (!s || !relay) return refusal('UNAUTHORIZED', 'the session has ended');
    s.requests++;
    const d = decide(r, s.rights, authenticated);
    const subject = `${String(r.method ?? '?').toUpperCase()} ${String(r.path ?? '?').slice(0, 500)}`;
    try {
      await this.d.recorder.record({
        category: 'remote-support',
        action: 'remote-support.request',
        actor: SUPPORT_ACTOR,
        subject,
        detail: d.allowed ? { session: s.id, allowed: true, rights: s.rights } : { session: s.id, allowed: false, rights: s.rights, reason: d.reason },
      });
    } catch (err) {
      this.d.log.error(`remote support: request refused, the compliance log did not take it: ${(err as Error).message}`);
      return refusal('INTERNAL', 'the compliance log cannot record the request, so it was not relayed');
    }
    if (!d.allowed) return refusal(d.code, d.reason);
    this.d.log.info(`remote support: ${subject}`, { session: s.id });
    try {
      return await relay.call({ method: d.method, url: d.url, body: r.body });
    } catch (err) {
      return refusal('INTERNAL', (err as Error).message);
    }
  }
}

function refusal(code: ApiErrorCode, detail: string): { status: number; contentType: string; body: string } {
  const p = problem(code, detail);
  return { status: p.status, contentType: PROBLEM_CONTENT_TYPE, body: JSON.stringify(p) };
}
