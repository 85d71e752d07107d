// What a pipeline service gives the flow engine: a function from a claimed mail to a result.
// A stage never touches queue tables; the engine claims, leases, advances and records events.
import type { Readable } from 'node:stream';
import type { StageName, StageResult } from '../core/mail.ts';
import type { ClaimedMail, BodyStore } from '../store/store.ts';
import type { Logger } from '../services/log-manager/logger.ts';

export interface StageContext {
  /** Streams the claimed mail's body. */
  openBody(): Readable;
  readBody(): Promise<Buffer>;
  bodies: BodyStore;
  log: Logger;
  /** Set when the engine is stopping: finish quickly or give the mail back (throw). */
  signal: AbortSignal;
}

export interface Stage {
  name: StageName;
  /** How many mails the stage may process at once (default: flow.concurrency). */
  concurrency?: number;
  process(mail: ClaimedMail, ctx: StageContext): Promise<StageResult>;
}
