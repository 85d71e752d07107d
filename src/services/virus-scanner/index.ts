// virus-scanner: the appliance's ClamAV client as a service. It is configured when
// spamfinder.virus.clamd names a clamd; the spamfinder stage asks it to scan each mail. Stopped
// (or clamd unreachable) means mail waits (deferred); deactivated means the spamfinder skips the
// scan and the flow goes on, as the admin chose.
import type { Readable } from 'node:stream';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Service } from '../service.ts';
import { clamdPing, clamdScan, ClamdError, type ScanResult } from './clamd-client.ts';

export type ScannerState = 'ready' | 'not-configured' | 'deactivated' | 'stopped';

export class VirusScanner implements Service {
  readonly name = 'virus-scanner' as const;
  readonly kind = 'auxiliary' as const;
  readonly description = 'ClamAV (clamd) client; the spamfinder skips it when deactivated';
  readonly essential = false;
  readonly deactivatable = true;
  readonly mailHandling = false;
  onFailure?: (err: Error) => void;
  private running = false;
  /** Set by the appliance: is the service enabled (not deactivated by the admin)? */
  enabled: () => boolean = () => true;

  constructor(private readonly d: { config: Config; log: Logger }) {}

  get address(): string | undefined {
    return this.d.config.spamfinder.virus.clamd;
  }

  configured(): boolean {
    return !!this.address;
  }

  async start(): Promise<void> {
    this.running = true;
    const a = this.address;
    if (a && !(await clamdPing(a, this.d.config.spamfinder.virus.timeout))) {
      // Not a start failure: clamd may come later; until then mail to scan is deferred.
      this.d.log.warn(`clamd at ${a} does not answer PING; mail waits until it does`);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  state(): ScannerState {
    if (!this.configured()) return 'not-configured';
    if (!this.enabled()) return 'deactivated';
    return this.running ? 'ready' : 'stopped';
  }

  /** Scans a mail; throws ClamdError when it could not be scanned (the caller defers). */
  async scan(body: Readable, signal?: AbortSignal): Promise<ScanResult> {
    if (this.state() !== 'ready') throw new ClamdError(`virus-scanner is ${this.state()}`);
    return clamdScan(this.address!, body, this.d.config.spamfinder.virus.timeout, signal);
  }
}
