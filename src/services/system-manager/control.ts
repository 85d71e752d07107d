// What the admin plane (HTTP API, CLI through the API, console) may do to the appliance.
// The API talks only to this; the appliance implements it over the supervisor and the store.
import type { MailRecord, QueueName } from '../../core/mail.ts';
import type { LogQuery, LogRecord, MailFilter, TrackingEvent } from '../../store/store.ts';
import type { ServiceStatus } from '../service.ts';

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
  | 'MAIL_NOT_FOUND'
  | 'MAIL_BUSY'
  | 'MAIL_WRONG_QUEUE'
  | 'QUEUE_NOT_FOUND'
  | 'MAINTENANCE_MODE';

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
}

export function isQueueName(q: string, all: readonly QueueName[]): q is QueueName {
  return (all as readonly string[]).includes(q);
}
