// The lifecycle every service of the appliance shares. The supervisor (system-manager) owns
// the state machine; a service only knows how to start and stop itself.
import type { Stage } from '../flow/stage.ts';

export type ServiceState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';
export type ServiceKind = 'infrastructure' | 'ingress' | 'pipeline' | 'egress' | 'auxiliary';

export const SERVICE_NAMES = [
  'log-manager',
  'compliance-log',
  'system-manager',
  'smtp-receiver',
  'pop3-proxy',
  'mail-sealer',
  'portal-crypt',
  'spamfinder',
  'fuzzy-filter',
  'virus-scanner',
  'mail-depot',
  'smtp-sender',
  'remote-support',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface Service {
  readonly name: ServiceName;
  readonly kind: ServiceKind;
  readonly description: string;
  /** Started again whenever the appliance starts. */
  readonly essential: boolean;
  /** May be deactivated without interrupting the mail flow. */
  readonly deactivatable: boolean;
  /** Deactivated until an admin activates it (remote-support). */
  readonly deactivatedByDefault?: boolean;
  /** Handles mail: stopped by maintenance mode. */
  readonly mailHandling: boolean;
  /** Pipeline stages this service serves; the engine runs them while the service runs. */
  readonly stages?: Stage[];
  /** Has the admin configured it? An unconfigured pipeline service passes mail on unchanged. */
  configured(): boolean;
  start(): Promise<void>;
  /** Stops; must finish (or give work back) before the deadline signal fires. */
  stop(deadline: AbortSignal): Promise<void>;
  /** Set by the supervisor: a running service reports a fatal error here. */
  onFailure?: (err: Error) => void;
}

export interface ServiceStatus {
  name: ServiceName;
  kind: ServiceKind;
  description: string;
  state: ServiceState;
  since: number;
  lastError: string | null;
  enabled: boolean;
  configured: boolean;
  essential: boolean;
  deactivatable: boolean;
  stages: string[];
}
