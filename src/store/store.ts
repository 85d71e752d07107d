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
  /**
   * Optional, for stores shared by several processes (PostgreSQL cluster): calls `listener` with
   * a queue's name after another process committed a change that made mail ready there (insert,
   * completion, admin move, flush, release). The process's own changes are not reported (its flow
   * engine wakes its runners itself). Best effort: while the store cannot listen nothing is
   * called, and once it listens again every stage queue is reported once, so nothing waits for a
   * poll timer. Returns a function that removes the listener; close() ends all of them. A store
   * used by one process only (SQLite) leaves it out.
   */
  watch?(listener: (queue: QueueName) => void): () => void;
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

/** Small persistent settings: service states, maintenance mode, secrets; node heartbeats and commands. */
export interface SettingsStore {
  get<T>(key: string): Promise<T | undefined>;
  /** Creates or replaces a setting; resolves once it is durable. */
  set(key: string, value: unknown): Promise<void>;
  /**
   * Every setting whose key starts with `prefix` (a plain prefix, no wildcards: `%` and `_` are
   * ordinary characters), in key order. Used for per-node entries (`node:<id>`, commands).
   */
  list<T>(prefix: string): Promise<{ key: string; value: T }[]>;
  /**
   * Removes a setting; resolves true when this call removed it and false when it was not there,
   * so of two callers deleting the same key at once exactly one sees true (a command is taken once).
   */
  delete(key: string): Promise<boolean>;
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
  /** Retention: the message may be deleted from this time on (ms), never earlier. */
  retainUntil: number;
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

/**
 * The body part of a mail stored apart from its header block, once per distinct body (many
 * copies of one newsletter or journal mail differ only in their headers). The message's own
 * blob is then its header block (up to and including the empty line); the mail is the two
 * plaintexts one after the other, and its contentHash/size still cover the whole mail.
 */
export interface NewArchivedBody {
  /** SHA-256 (hex) of the body part's plaintext: the dedup key. */
  hash: string;
  size: number;
  storedSize: number;
  compression: string;
  keyId: string;
  /**
   * The sealed body, or null when the writer found it stored already (hasBody). archive() then
   * fails with ArchiveBodyGoneError if it was deleted in between (the writer retries sealed);
   * a body given with its blob that is stored already fails it too (ARCHIVE_BODY_STORED).
   */
  blob: { inline: Buffer } | null;
  /**
   * Sealed preset dictionary stored with a new body (the first copy's header block): later copies'
   * header blocks are compressed against it ('deflate-dict'). Ignored when the body is stored.
   */
  dict?: Buffer;
}

/**
 * archive() was given a body by reference (blob null) that is no longer stored (code
 * ARCHIVE_BODY_GONE), or a new body (with blob and dictionary) that another arrival stored
 * meanwhile (ARCHIVE_BODY_STORED: the header block was compressed against its own dictionary,
 * not the stored one). Nothing is stored; the writer archives the mail again.
 */
export class ArchiveBodyGoneError extends StorageError {
  constructor(
    hash: string,
    readonly code: 'ARCHIVE_BODY_GONE' | 'ARCHIVE_BODY_STORED' = 'ARCHIVE_BODY_GONE',
  ) {
    super(code === 'ARCHIVE_BODY_GONE' ? `the archived body ${hash} is no longer stored` : `the body ${hash} was archived meanwhile`);
    this.name = 'ArchiveBodyGoneError';
  }
}

/** The stored body part of a message (see NewArchivedBody): the sealed blob and what it must give. */
export interface ArchiveBodyPart {
  hash: string;
  size: number;
  compression: string;
  keyId: string;
  blob: Readable;
  /** The sealed dictionary stored with the body (needed by a 'deflate-dict' header block), or null. */
  dict: Buffer | null;
}

export interface NewArchivedMessage extends Omit<ArchivedMessage, 'archivedAt'> {
  blob: ArchiveBlobRef;
  /** Absent: `blob` is the whole mail (every mail archived before body dedup, large mails). */
  body?: NewArchivedBody;
  index: ArchiveIndexDocument;
  /**
   * The addresses in its From, To and Cc headers, lower case. With every arrival's envelope
   * sender and recipients (lower-cased by the store) they are what `participants` matches.
   */
  addresses: string[];
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
  /** Only these messages (archive ids): which of them a query finds (legal holds by query). */
  ids?: string[];
  /**
   * Only messages one of these addresses (lower case) is a participant of: in a From, To or Cc
   * header, or an envelope sender or recipient of any arrival. Exact, whole addresses.
   */
  participants?: string[];
  offset: number;
  limit: number;
}

/** A legal hold: blocks the deletion of one message, or of every message a query finds. */
export interface ArchiveHold {
  id: string;
  /** Exactly one of archiveId and query is set. */
  archiveId: string | null;
  /** Archive query language (mail-depot/query.ts); also covers mail archived later. */
  query: string | null;
  reason: string;
  createdBy: string;
  createdAt: number;
  removedBy: string | null;
  removedAt: number | null;
}

/** A deletion by the expiry job (a tombstone): a link of the deletions' own hash chain. */
export interface ArchiveDeletion {
  seq: number;
  at: number;
  archiveId: string;
  contentHash: string;
  archivedAt: number;
  retainUntil: number;
  reason: string;
  actor: string;
  prevHash: string;
  hash: string;
}

export interface ArchiveStore {
  createBlob(): Promise<ArchiveBlobWriter>;
  /** The stored (encrypted) blob of a message: the whole mail, or its header block when openBody() gives a body part. */
  openBlob(archiveId: string): Promise<Readable>;
  /** The body part stored apart (deduplicated) that follows the message's own blob, or null when there is none. */
  openBody(archiveId: string): Promise<ArchiveBodyPart | null>;
  /** The body part with this SHA-256 when stored (the writer then need not seal it again): its sealed dictionary. */
  findBody(hash: string): Promise<{ dict: Buffer | null } | null>;
  /**
   * Archives one arrival in one durable transaction: stores `message` unless a message with the
   * same content hash exists (then the new blob is dropped and the arrival is linked to the one
   * already stored; its retainUntil becomes the later of both); a `message.body` is stored once
   * per body hash and shared (a body no message uses any more is deleted with its last message),
   * and appends the chain entry
   * `entry` builds from the last entry.
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
  /**
   * Messages whose retention ended at or before `now`, in storage order after position `after`,
   * held or not (the caller applies the holds; remove() refuses a message held by message).
   */
  scanExpired(now: number, after: number, limit: number): Promise<StoredLink<ArchivedMessage>[]>;
  /**
   * Deletes one message (blob, index row, message row) and appends the deletion `deletion`
   * builds from the last one, in one durable transaction; chain entries of its arrivals stay.
   * Deletes nothing and resolves null when the message is gone, its retention has not ended at
   * `now`, a legal hold by message is on it, or — when `holdsPlaced` is given — the number of
   * holds ever placed (active and removed) is no longer `holdsPlaced`: a hold (by query, too)
   * placed after the caller applied the holds, on any node, stops the deletion. Checked in the
   * deletion's own transaction, serialised with addHold().
   */
  remove(
    archiveId: string,
    now: number,
    deletion: (last: { seq: number; hash: string } | null, m: ArchivedMessage) => ArchiveDeletion,
    holdsPlaced?: number,
  ): Promise<ArchiveDeletion | null>;
  /** The deletion of a message, or null. */
  deletionOf(archiveId: string): Promise<ArchiveDeletion | null>;
  /** Deletions in storage order after position `after`. */
  scanDeletions(after: number, limit: number): Promise<StoredLink<ArchiveDeletion>[]>;
  /** Places a hold (durable before it resolves). */
  addHold(h: Omit<ArchiveHold, 'removedBy' | 'removedAt'>): Promise<ArchiveHold>;
  /** Holds, oldest first; removed ones too when `withRemoved`. */
  holds(withRemoved?: boolean): Promise<ArchiveHold[]>;
  /** Removes an active hold (kept, marked removed); null when there is no active hold `id`. */
  removeHold(id: string, by: string, at: number): Promise<ArchiveHold | null>;
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
  /** Given: the mail is also kept in the calibration sample (bayesSamples) with these facts. */
  sample?: { source: string; rules: string[] };
}

/** A learned mail kept for calibrating the content filter to the site (rules/calibrate.ts). */
export interface BayesSample {
  digest: string;
  class: 'spam' | 'ham';
  /** Where it came from: its list, else its sender's site (so a sender can be left out). */
  source: string;
  rules: string[];
  tokens: number[];
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
  /** The calibration sample: learned mails given with `sample`, newest first per class. */
  bayesSamples(): Promise<BayesSample[]>;
  /** Keeps the newest `maxPerClass` samples of each class; returns how many went. */
  bayesPruneSamples(maxPerClass: number): Promise<number>;
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

/** A console session as stored: the session id (the cookie) is kept only as its SHA-256 (hex). */
export interface StoredSession {
  idHash: string;
  user: string;
  role: UserRole;
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
  expiresAt: number;
}

/** Console sessions, kept so that a restart does not log everyone out. */
export interface SessionStore {
  /** Saves a new session (an existing id hash is replaced); durable before it resolves. */
  put(s: StoredSession): Promise<void>;
  /** The session with this id hash, expired or not (the caller checks expiresAt), or null. */
  get(idHash: string): Promise<StoredSession | null>;
  /** Records a request: new lastSeen and expiresAt. Need not be durable (a lost touch only shortens a session). */
  touch(idHash: string, lastSeen: number, expiresAt: number): Promise<void>;
  /** Ends one session (durable); unknown ids are ignored. */
  remove(idHash: string): Promise<void>;
  /** Ends every session of a user (durable); returns how many there were. */
  removeUser(user: string): Promise<number>;
  /** Drops sessions whose expiresAt is at or before `now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
}

/** A named API token for scripts; the token itself is kept only as its SHA-256 (hex). */
export interface StoredApiToken {
  name: string;
  role: UserRole;
  tokenHash: string;
  createdAt: number;
  createdBy: string;
  /** Last request made with it (ms), null when never used; updated at most about once a minute. */
  lastUsedAt: number | null;
}

/** Named API tokens. Every write but markUsed is durable before it resolves. */
export interface ApiTokenStore {
  /** Adds a token; resolves false (and changes nothing) when the name is taken. */
  add(t: Omit<StoredApiToken, 'lastUsedAt'>): Promise<boolean>;
  /** By name. */
  list(): Promise<StoredApiToken[]>;
  byHash(tokenHash: string): Promise<StoredApiToken | null>;
  markUsed(name: string, at: number): Promise<void>;
  /** Revokes (deletes) a token; false when there is none by that name. */
  remove(name: string): Promise<boolean>;
}

/**
 * How a portal message's content key is held: under the appliance's portal key until the
 * recipient's first visit ("appliance"), then under a key derived from the recipient's portal
 * password ("recipient"), or from the start under one the sender gave ("sender").
 */
export type PortalKeyWrap = 'appliance' | 'recipient' | 'sender';

/** A mail waiting in the encryption portal for one recipient (its content is sealed, see PortalStore). */
export interface PortalMessage {
  /** Unguessable only together with the signed link; stable per (mail, recipient). */
  id: string;
  /** The queue mail it came from. */
  mailId: string;
  /** Lower-cased address of the recipient it waits for. */
  recipient: string;
  /** Envelope sender of the original: portal replies go there. */
  sender: string;
  /** The original From header (display only). */
  from: string;
  subject: string;
  wrap: PortalKeyWrap;
  /** The content key, sealed by portal-crypt; opaque to the store. */
  wrappedKey: Buffer;
  /** scrypt salt of a sender's password ("sender" wrap); null otherwise. */
  salt: Buffer | null;
  /** Size of the original mail, bytes. */
  size: number;
  createdAt: number;
  expiresAt: number;
  /** First time the recipient opened it; null until then. */
  openedAt: number | null;
  /** Replies sent through the portal from this message. */
  replies: number;
}

/** A portal recipient's password, kept only as an scrypt salt and an HKDF verifier. */
export interface PortalAccount {
  address: string;
  salt: Buffer;
  /** KDF and its parameters, e.g. "scrypt:N=32768,r=8,p=1". */
  kdf: string;
  verifier: Buffer;
  createdAt: number;
}

/** The encryption portal's messages and recipient accounts. Every write is durable before it resolves. */
export interface PortalStore {
  /**
   * Stores a message with its sealed content. A message with the same id is left as it is (a
   * stage that runs again after a crash deposits the same message): resolves false then.
   */
  deposit(m: Omit<PortalMessage, 'createdAt' | 'openedAt' | 'replies'>, content: Buffer, now: number): Promise<boolean>;
  get(id: string): Promise<PortalMessage | null>;
  /** The sealed content of a message; null when it is gone. */
  content(id: string): Promise<Buffer | null>;
  /**
   * Replaces the key wrap only while it is still `from` (compare and set: two first visits at
   * once cannot both win), and sets openedAt when unset. False when it changed or is gone.
   */
  rewrap(id: string, from: PortalKeyWrap, to: { wrap: PortalKeyWrap; wrappedKey: Buffer; salt: Buffer | null }, now: number): Promise<boolean>;
  /** Sets openedAt if unset (a visit that needed no re-wrap). */
  markOpened(id: string, now: number): Promise<void>;
  /** Counts one reply sent from a message. */
  addReply(id: string): Promise<void>;
  /** Newest first, without content. */
  list(f?: { recipient?: string; limit?: number; offset?: number }): Promise<PortalMessage[]>;
  remove(id: string): Promise<boolean>;
  /** Removes every message whose expiresAt is before `now`; returns how many went. */
  purge(now: number): Promise<number>;
  account(address: string): Promise<PortalAccount | null>;
  /** Adds an account; resolves false (and changes nothing) when the address has one already. */
  addAccount(a: PortalAccount): Promise<boolean>;
  /** Forgets an account (the recipient sets a new password on the next visit to a new message). */
  removeAccount(address: string): Promise<boolean>;
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
  /** Console sessions; absent in stores that do not keep them (sessions then end with the process). */
  sessions?: SessionStore;
  /** Named API tokens; absent in stores that do not keep them. */
  apiTokens?: ApiTokenStore;
  /** Encryption portal (portal-crypt); absent in stores that do not keep it: then there is no portal. */
  portal?: PortalStore;
  close(): Promise<void>;
}
