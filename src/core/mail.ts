// The words of the mail flow: queues, stages, envelopes, directions and stage outcomes.
// Plain types, no I/O: every other module speaks in these terms.

/** Pipeline stages in flow order. Each is served by one service. */
export const STAGES = ['seal-in', 'spamfinder', 'depot', 'seal-out', 'deliver'] as const;
export type StageName = (typeof STAGES)[number];

/** Holding queues: mail rests there until an admin (or a later issue's logic) moves it. */
export const HOLDING_QUEUES = ['hold', 'corrupt', 'quarantine:spam', 'quarantine:virus', 'quarantine:ciss'] as const;
export type HoldingQueue = (typeof HOLDING_QUEUES)[number];

/** Final states: the mail's story is over (kept for tracking until purged). */
export const FINAL_STATES = ['delivered', 'bounced', 'deleted'] as const;
export type FinalState = (typeof FINAL_STATES)[number];

export type QueueName = StageName | HoldingQueue | FinalState;
export const ALL_QUEUES: readonly QueueName[] = [...STAGES, ...HOLDING_QUEUES, ...FINAL_STATES];

export function isStage(q: string): q is StageName {
  return (STAGES as readonly string[]).includes(q);
}
export function isFinal(q: string): q is FinalState {
  return (FINAL_STATES as readonly string[]).includes(q);
}
export function nextStage(s: StageName): StageName | null {
  const i = STAGES.indexOf(s);
  return i >= 0 && i < STAGES.length - 1 ? STAGES[i + 1] : null;
}

export type Direction = 'inbound' | 'outbound' | 'internal';

export type RecipientStatus = 'pending' | 'delivered' | 'failed' | 'deferred';

export interface Recipient {
  address: string;
  /** Delivery state of this recipient; only smtp-sender moves it past `pending`. */
  status: RecipientStatus;
  /** Last remote (or local) response, e.g. "550 5.1.1 user unknown". */
  response?: string;
  /** DSN NOTIFY / ORCPT parameters given at RCPT TO, kept for the bounce. */
  notify?: string[];
  orcpt?: string;
}

/** Everything known about a mail except its body. */
export interface Envelope {
  /** Return path; "" is the null sender (bounces). */
  sender: string;
  recipients: Recipient[];
  direction: Direction;
  /** Where the mail came from: 'smtp', 'pop3', 'bounce', 'import'. */
  source: string;
  clientIp?: string;
  helo?: string;
  authUser?: string;
  /** DSN RET and ENVID from MAIL FROM. */
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /** Free-form facts stages leave for later stages (verdicts, auth results...). */
  meta?: Record<string, unknown>;
}

/** A mail row as the queue sees it. */
export interface MailRecord {
  id: string;
  queue: QueueName;
  envelope: Envelope;
  size: number;
  receivedAt: number;
  /** When the mail entered its current queue. */
  queuedAt: number;
  /** Not to be processed before this time (deferred mail). */
  notBefore: number;
  /** Attempts made by the current stage (delivery retries). */
  attempts: number;
  /** Queue the mail was in before it was put on hold. */
  heldFrom?: QueueName | null;
  /** Last reason given by a stage (defer / hold / finish). */
  lastReason?: string | null;
  /** Delay notice already sent to the sender. */
  delayNotified: boolean;
}

/** What a stage decides for a claimed mail. The flow engine carries it out atomically. */
export type Outcome =
  | { kind: 'advance'; note?: string }
  | { kind: 'hold'; queue: HoldingQueue; reason: string }
  | { kind: 'defer'; until: number; reason: string }
  | { kind: 'finish'; state: FinalState; reason: string };

/** A mail the flow engine creates alongside an outcome (a DSN, a delay notice). */
export interface GeneratedMail {
  envelope: Envelope;
  body: Buffer;
  /** Queue the generated mail starts in (default: 'deliver'). */
  queue?: StageName;
}

/** Full result of processing one claimed mail. */
export interface StageResult {
  outcome: Outcome;
  /** Replacement envelope (e.g. updated per-recipient delivery status). */
  envelope?: Envelope;
  /** Replacement body, already written to the body store under this new key. */
  bodyKey?: string;
  /** Mails to create in the same atomic step (bounces, delay notices). */
  generated?: GeneratedMail[];
  /** Mark that a delay notice was sent. */
  delayNotified?: boolean;
}
