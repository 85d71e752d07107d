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
  /** Forgets mails that reached a final state before `olderThan`, with their tracking events. */
  purgeFinal(olderThan: number): Promise<number>;
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

/**
 * One record of the compliance log as stored. The chain fields (seq, prevHash, hash) are made by
 * the compliance-log service; the store keeps records exactly as given and never updates them.
 */
export interface ComplianceRecord {
  seq: number;
  at: number;
  category: string;
  action: string;
  actor: string;
  subject: string | null;
  /** Canonical JSON of the detail object, hashed as stored (null when there is none). */
  detail: string | null;
  prevHash: string;
  hash: string;
}

export interface ComplianceFilter {
  category?: string;
  since?: number;
  until?: number;
  /** Only records with a lower seq (paging backwards). */
  beforeSeq?: number;
  limit?: number;
}

/** A chain link as verification reads it: `pos` is the storage position (append order). */
export interface StoredLink<T> {
  pos: number;
  record: T;
}

export interface ComplianceStore {
  /**
   * Appends one record. `build` gets the last record of the chain (null for the first) and
   * returns the new one; it runs inside the write transaction, so two appends never chain to the
   * same predecessor. Resolves once the record is durable.
   */
  append(build: (last: { seq: number; hash: string } | null) => ComplianceRecord): Promise<ComplianceRecord>;
  /** Newest first. */
  list(f: ComplianceFilter): Promise<ComplianceRecord[]>;
  /** Up to `limit` records after storage position `after` (0: from the start), in storage order. */
  scan(after: number, limit: number): Promise<StoredLink<ComplianceRecord>[]>;
}

/** Where an archive blob (compressed, encrypted mail) lives once committed. */
export type ArchiveBlobRef = { inline: Buffer } | { file: string };

export interface ArchiveBlobWriter {
  write(chunk: Buffer): Promise<void>;
  /** Makes the blob durable: a file is fsync'd and renamed; a small blob waits for archive(). */
  commit(): Promise<ArchiveBlobRef>;
  abort(): Promise<void>;
}

/** What the search finds and shows of an archived message without decrypting it. */
export interface ArchivedMessage {
  /** Public archive id. */
  id: string;
  /** SHA-256 (hex) of the message as archived. */
  contentHash: string;
  size: number;
  storedSize: number;
  compression: string;
  keyId: string;
  archivedAt: number;
  /** The Date header (or the arrival time when there is none): what before:/after: and the order use. */
  date: number;
  from: string;
  to: string;
  cc: string;
  subject: string;
  messageId: string;
  attachments: string[];
}

/** The full-text document of one message (FTS columns). */
export interface ArchiveIndexDocument {
  sender: string;
  recipients: string;
  subject: string;
  body: string;
  attachments: string;
  messageId: string;
}

export interface NewArchivedMessage extends Omit<ArchivedMessage, 'archivedAt'> {
  blob: ArchiveBlobRef;
  index: ArchiveIndexDocument;
}

/** One arrival of a mail in the archive: a link of the archive's hash chain. */
export interface ArchiveEntry {
  seq: number;
  at: number;
  archiveId: string;
  contentHash: string;
  mailId: string | null;
  receivedAt: number;
  direction: string;
  source: string;
  sender: string;
  recipients: string[];
  clientIp: string | null;
  /** The gateway's own Received: header of this arrival (kept out of the archived content). */
  trace: string | null;
  prevHash: string;
  hash: string;
}

export type ArchiveField = 'any' | 'from' | 'to' | 'subject' | 'body' | 'attachment';

export interface ArchiveSearch {
  /** Every term must match (a negated one must not). */
  terms: { field: ArchiveField; text: string; negate?: boolean }[];
  /** Message date bounds, ms: date < before, date >= after. */
  before?: number;
  after?: number;
  hasAttachment?: boolean;
  offset: number;
  limit: number;
}

export interface ArchiveStore {
  createBlob(): Promise<ArchiveBlobWriter>;
  /** The stored (encrypted) blob of a message. */
  openBlob(archiveId: string): Promise<Readable>;
  /**
   * Archives one arrival in one durable transaction: stores `message` unless a message with the
   * same content hash exists (then the new blob is dropped and the arrival is linked to the one
   * already stored), and appends the chain entry `entry` builds from the last entry.
   */
  archive(a: {
    message: NewArchivedMessage;
    entry: (last: { seq: number; hash: string } | null, archiveId: string) => ArchiveEntry;
  }): Promise<{ entry: ArchiveEntry; deduplicated: boolean }>;
  search(q: ArchiveSearch): Promise<{ total: number; messages: ArchivedMessage[] }>;
  get(archiveId: string): Promise<ArchivedMessage | null>;
  entriesOf(archiveId: string): Promise<ArchiveEntry[]>;
  /** Whether an arrival with this mail id (queue id, or an import's item id) is in the chain. */
  hasArrival(mailId: string): Promise<boolean>;
  /** Chain entries in storage order after position `after`. */
  scanEntries(after: number, limit: number): Promise<StoredLink<ArchiveEntry>[]>;
  /** Messages in storage order after position `after`, with whether each has its index row. */
  scanMessages(after: number, limit: number): Promise<StoredLink<ArchivedMessage & { indexed: boolean }>[]>;
  /** Index rows that belong to no message (their storage positions). */
  orphanIndexRows(): Promise<number[]>;
  /** Key ids the stored messages are encrypted with. */
  keyIds(): Promise<string[]>;
  /** Start-up: drops unfinished blob files and blob files no message refers to; returns how many. */
  sweep(): Promise<number>;
}

/** Token and message counts of the Bayes classifier, per class. */
export interface BayesCounts {
  spam: number;
  ham: number;
}

/** One mail to learn: a digest that identifies it (learning it twice is a no-op) and its token hashes. */
export interface BayesLesson {
  digest: string;
  /** Unique 53-bit token hashes of the mail. */
  tokens: number[];
  class: 'spam' | 'ham';
}

/** Company-wide (owner "") filter list names: allow lists AWL/DWL/NWL/SWL, block lists ABL/DBL/NBL/SBL. */
export type FilterListName = 'awl' | 'dwl' | 'nwl' | 'swl' | 'abl' | 'dbl' | 'nbl' | 'sbl';

export interface FilterListEntry {
  id: number;
  list: FilterListName;
  /** Address, domain, network (CIDR) or subject pattern, lower-cased. */
  value: string;
  /** "" = company-wide; later a user's address for per-user lists. */
  owner: string;
  comment: string | null;
  createdAt: number;
  createdBy: string;
}

/** The spamfinder's state: Bayes tokens (bounded, see bayesPrune) and the filter lists. */
export interface SpamStore {
  /** How many mails of each class were learned. */
  bayesTotals(): Promise<BayesCounts>;
  /** Counts of the given tokens; tokens never seen are absent from the map. */
  bayesTokens(tokens: number[]): Promise<Map<number, BayesCounts>>;
  /**
   * Learns mails in one write. A mail already learned as the same class is skipped; one learned
   * as the other class is moved (its counts subtracted first). Returns how many changed the model.
   */
  bayesLearn(lessons: BayesLesson[]): Promise<number>;
  /** Drops the least recently learned tokens beyond `maxTokens`; returns how many went. */
  bayesPrune(maxTokens: number): Promise<number>;
  bayesSize(): Promise<{ tokens: number; messages: number }>;
  listEntries(owner?: string): Promise<FilterListEntry[]>;
  /** Adds an entry (an existing equal one is returned unchanged). */
  addListEntry(e: { list: FilterListName; value: string; owner?: string; comment?: string | null; createdBy: string }): Promise<FilterListEntry>;
  removeListEntry(id: number): Promise<boolean>;
  /** Adds a fuzzy fingerprint (sketch hashes) of a confirmed spam; false when the digest is known. */
  fuzzyAdd(print: { digest: string; hashes: number[] }): Promise<boolean>;
  /** The stored print sharing most hashes with `hashes` (and how many), or null; counts a hit. */
  fuzzyMatch(hashes: number[]): Promise<{ digest: string; shared: number; size: number } | null>;
  /** Drops the oldest prints beyond `max`; returns how many went. */
  fuzzyPrune(max: number): Promise<number>;
  fuzzyCount(): Promise<number>;
  /** CISS: is `sender` known to `recipient` (wrote to it before the expiry, or on its own allow list)? */
  cissKnown(recipient: string, sender: string, now: number): Promise<boolean>;
  /** CISS: remember that `recipient` (local) wrote to `sender`, until `until`. */
  cissRemember(pairs: { recipient: string; sender: string }[], until: number): Promise<void>;
  /** CISS: records a challenge to `sender` at `now` unless one was sent after `since`; true when this one may go. */
  cissChallenge(sender: string, since: number, now: number): Promise<boolean>;
}

/** What a mail-sealer key is: an X.509 certificate (S/MIME) or an OpenPGP key. */
export type SealerKeyKind = 'x509' | 'pgp';
/** Where a key came from: imported by an admin, issued by the built-in CA, harvested from mail, or the CA itself. */
export type SealerKeySource = 'import' | 'issued' | 'harvested' | 'ca';

/** A certificate or OpenPGP key of the mail-sealer, with its private key sealed (opaque to the store). */
export interface SealerKey {
  /** SHA-256 of the certificate (hex) or the OpenPGP fingerprint (hex), lower case. */
  id: string;
  kind: SealerKeyKind;
  source: SealerKeySource;
  /** Lower-cased mail addresses it is for; "@domain" for a domain (gateway) key. */
  addresses: string[];
  subject: string;
  issuer: string | null;
  serial: string | null;
  notBefore: number | null;
  notAfter: number | null;
  /** PEM certificate or armored OpenPGP public key. */
  publicData: string;
  /** The private key as the mail-sealer sealed it; null when only the public part is held. */
  sealedPrivate: Buffer | null;
  createdAt: number;
  updatedAt: number;
}

export interface SealerKeyFilter {
  /** Keys for this address (exact, lower case). */
  address?: string;
  kind?: SealerKeyKind;
  source?: SealerKeySource;
}

/** The mail-sealer's certificates and keys. Every write is durable before it resolves. */
export interface KeyStore {
  /**
   * Adds a key, or updates the one with the same id: a private key once held is kept when the
   * new record has none, and a harvested record never replaces the source of a known key.
   */
  put(k: Omit<SealerKey, 'createdAt' | 'updatedAt'>): Promise<{ key: SealerKey; created: boolean }>;
  get(id: string): Promise<SealerKey | null>;
  /** Newest first. */
  list(f?: SealerKeyFilter): Promise<SealerKey[]>;
  remove(id: string): Promise<boolean>;
}

export type UserRole = 'admin' | 'auditor' | 'helpdesk' | 'user';

/** A local console user; `passwordHash` is an scrypt hash from src/core/password.ts. */
export interface StoredUser {
  name: string;
  role: UserRole;
  email: string | null;
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

/** Local users. Every write is durable before it resolves. */
export interface UserStore {
  /** By name, oldest first. */
  list(): Promise<StoredUser[]>;
  get(name: string): Promise<StoredUser | null>;
  /** Adds a user; resolves false (and changes nothing) when the name is taken. */
  add(u: Omit<StoredUser, 'createdAt' | 'updatedAt'>): Promise<boolean>;
  setPassword(name: string, passwordHash: string): Promise<boolean>;
  remove(name: string): Promise<boolean>;
}

export interface Store {
  queue: QueueStore;
  bodies: BodyStore;
  logs: LogStore;
  settings: SettingsStore;
  compliance: ComplianceStore;
  archive: ArchiveStore;
  pop3: Pop3UidlStore;
  spam: SpamStore;
  keys: KeyStore;
  /** Console users; absent in stores that do not keep them. */
  users?: UserStore;
  close(): Promise<void>;
}
