// The storage contract. Only src/store/ knows SQL or a driver; everything else speaks these
// interfaces. The embedded default is SQLite + body files; PostgreSQL implements the same
// contract and must pass the same conformance suite (conformance.ts).
import type { Readable } from 'node:stream';
import type { Envelope, MailRecord, QueueName, StageName } from '../core/mail.ts';

/** A new mail entering the flow. Its body is already durable in the BodyStore under `bodyKey`. */
export interface NewMail {
  id: string;
  queue: QueueName;
  envelope: Envelope;
  bodyKey: string;
  size: number;
  receivedAt: number;
  /** The tracking event written with the insert (e.g. "received"), at `eventQueue` (default: `queue`). */
  event: TrackingEventInput;
  eventQueue?: QueueName;
  /** Stages passed straight through after the event (unconfigured services), each with its event. */
  trail?: TrailEvent[];
  /**
   * POP3 ingress: the message this mail was fetched as. It is recorded as fetched in the same
   * transaction as the insert; when it is recorded already, the insert fails with QueueConflict.
   */
  fetched?: FetchedMessage;
}

/** A message of a POP3 mailbox, named by its UIDL. */
export interface FetchedMessage {
  mailbox: string;
  uidl: string;
}

/** A tracking event at a queue the mail only passed through. */
export interface TrailEvent {
  queue: QueueName;
  event: TrackingEventInput;
}

export interface TrackingEventInput {
  /** What happened: received, advanced, deferred, held, released, delivered, bounced, deleted, ... */
  event: string;
  /** Service or actor that did it (smtp-receiver, spamfinder, admin, ...). */
  actor: string;
  detail?: Record<string, unknown>;
}

export interface TrackingEvent extends TrackingEventInput {
  mailId: string;
  at: number;
  /** Queue the mail was in after the event. */
  queue: QueueName;
}

/** A mail leased to one worker, with everything needed to process it. */
export interface ClaimedMail extends MailRecord {
  bodyKey: string;
  leaseOwner: string;
  leaseUntil: number;
}

/** The engine's atomic step for a claimed mail. */
export interface Completion {
  id: string;
  leaseOwner: string;
  /** Queue to move to (may be the same queue with a later notBefore: a deferral). */
  queue: QueueName;
  notBefore?: number;
  /** New attempt count (kept when the queue stays the same; reset to 0 on a move). */
  attempts?: number;
  envelope?: Envelope;
  bodyKey?: string;
  reason?: string | null;
  delayNotified?: boolean;
  event: TrackingEventInput;
  /** Queue the event is recorded at when the mail then passed further (default: `queue`). */
  eventQueue?: QueueName;
  trail?: TrailEvent[];
  /** New mails created in the same transaction (bounces, delay notices). */
  generated?: NewMail[];
}

export interface MailFilter {
  queue?: QueueName;
  /** Only deferred mail (notBefore in the future) or only ready mail. */
  deferred?: boolean;
  /** Recipient domain (for flush). */
  domain?: string;
  limit?: number;
  offset?: number;
}

export interface QueueStore {
  /** Inserts new mails; resolves only when they are durable (committed and synced). */
  insert(mails: NewMail[]): Promise<void>;
  /** Leases up to `limit` ready mails of a stage to `owner`, oldest first. */
  claim(stage: StageName, owner: string, limit: number, leaseMs: number): Promise<ClaimedMail[]>;
  /** Applies a completion if the lease is still held by its owner; false when it was lost. */
  complete(c: Completion): Promise<boolean>;
  /** Gives a lease back without any change (worker stopping). */
  release(id: string, owner: string): Promise<void>;
  /**
   * Admin move of an unleased mail (hold, release, delete, retry). `from` guards the move: it
   * happens only when the mail is in one of those queues. Returns the mail after the move, or
   * null when it does not exist; throws QueueConflict when it is leased or in another queue.
   */
  move(id: string, to: QueueName, opts: { from?: QueueName[]; notBefore?: number; heldFrom?: QueueName | null; event: TrackingEventInput }): Promise<MailRecord | null>;
  /** Makes deferred mail in `deliver` ready now; returns how many. */
  flush(domain?: string): Promise<number>;
  get(id: string): Promise<(MailRecord & { bodyKey: string }) | null>;
  list(f: MailFilter): Promise<MailRecord[]>;
  counts(): Promise<Record<string, { total: number; deferred: number }>>;
  events(id: string): Promise<TrackingEvent[]>;
  /** Earliest notBefore of unleased mail in a stage that is later than now, or lease expiry; for timers. */
  nextDue(stage: StageName): Promise<number | null>;
  /** Body keys of every mail not in a final state (for body garbage collection). */
  liveBodyKeys(): Promise<Set<string>>;
}

export class QueueConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueConflict';
  }
}

/** Raised by a store when the write could not be made durable. */
export class StorageError extends Error {
  readonly noSpace: boolean;
  constructor(message: string, opts?: { cause?: unknown; noSpace?: boolean }) {
    super(message, { cause: opts?.cause });
    this.name = 'StorageError';
    this.noSpace = opts?.noSpace ?? false;
  }
}

/** An open body being written. Nothing is visible until commit() resolves. */
export interface BodyWriter {
  readonly key: string;
  write(chunk: Buffer): Promise<void>;
  /** Flushes and syncs the body; after this the body survives a crash. */
  commit(): Promise<void>;
  /** Drops a body that will not be used. */
  abort(): Promise<void>;
}

export interface BodyStore {
  create(id: string): Promise<BodyWriter>;
  open(key: string): Readable;
  read(key: string): Promise<Buffer>;
  remove(key: string): Promise<void>;
  /** Keys of every stored body. */
  keys(): Promise<string[]>;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogRecord {
  at: number;
  level: LogLevel;
  service: string;
  msg: string;
  mailId?: string | null;
  data?: Record<string, unknown> | null;
}

export interface LogQuery {
  service?: string;
  level?: LogLevel;
  mailId?: string;
  since?: number;
  until?: number;
  text?: string;
  limit?: number;
}

export interface LogStore {
  append(records: LogRecord[]): Promise<void>;
  query(q: LogQuery): Promise<(LogRecord & { id: number })[]>;
  purge(olderThan: number): Promise<number>;
}

/**
 * POP3 messages fetched per mailbox (pop3-proxy). Rows are only ever added by QueueStore.insert
 * (NewMail.fetched), in the transaction that makes the mail durable: exactly once by design.
 */
export interface Pop3UidlStore {
  /** UIDLs of the mailbox recorded as fetched, with the id of the mail each became. */
  fetched(mailbox: string): Promise<Map<string, string>>;
  /** Forgets UIDLs the server no longer lists (they were deleted there); returns how many. */
  forget(mailbox: string, uidls: string[]): Promise<number>;
}

/** Small persistent settings: service states, maintenance mode, secrets. */
export interface SettingsStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

export interface Store {
  queue: QueueStore;
  bodies: BodyStore;
  logs: LogStore;
  settings: SettingsStore;
  pop3: Pop3UidlStore;
  close(): Promise<void>;
}
