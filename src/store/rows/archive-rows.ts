// The archive row shapes both backends share (sqlite/archive-store.ts, postgres/archive-store.ts)
// and their contract records; integers pass through Number() (a no-op on SQLite's numbers).
import type { ArchiveDeletion, ArchivedMessage, ArchiveEntry, ArchiveHold } from '../store.ts';

export interface MessageRow {
  pos: number;
  id: string;
  content_hash: string;
  size: number;
  stored_size: number;
  compression: string;
  key_id: string;
  archived_at: number;
  date: number;
  from_addr: string;
  to_addr: string;
  cc_addr: string;
  subject: string;
  message_id: string;
  attachments: string;
  has_attachment: number;
  blob_file: string | null;
  retain_until: number;
  /** archive_bodies.pos of the body part stored apart, or null (the blob is the whole mail). */
  body_pos?: number | null;
}

export interface BodyRow {
  pos: number;
  body_hash: string;
  size: number;
  stored_size: number;
  compression: string;
  key_id: string;
  data: Buffer;
  dict: Buffer | null;
}

export interface EntryRow {
  pos: number;
  seq: number;
  at: number;
  archive_id: string;
  content_hash: string;
  mail_id: string | null;
  received_at: number;
  direction: string;
  source: string;
  sender: string;
  recipients: string;
  client_ip: string | null;
  trace: string | null;
  prev_hash: string;
  hash: string;
}

export interface HoldRow {
  id: string;
  archive_id: string | null;
  query: string | null;
  reason: string;
  created_by: string;
  created_at: number;
  removed_by: string | null;
  removed_at: number | null;
}

export interface DeletionRow {
  pos: number;
  seq: number;
  at: number;
  archive_id: string;
  content_hash: string;
  archived_at: number;
  retain_until: number;
  reason: string;
  actor: string;
  prev_hash: string;
  hash: string;
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

export const toMessage = (r: MessageRow): ArchivedMessage => ({
  id: r.id,
  contentHash: r.content_hash,
  size: Number(r.size),
  storedSize: Number(r.stored_size),
  compression: r.compression,
  keyId: r.key_id,
  archivedAt: Number(r.archived_at),
  date: Number(r.date),
  from: r.from_addr,
  to: r.to_addr,
  cc: r.cc_addr,
  subject: r.subject,
  messageId: r.message_id,
  attachments: JSON.parse(r.attachments) as string[],
  retainUntil: Number(r.retain_until),
});

export const toEntry = (r: EntryRow): ArchiveEntry => ({
  seq: Number(r.seq),
  at: Number(r.at),
  archiveId: r.archive_id,
  contentHash: r.content_hash,
  mailId: r.mail_id,
  receivedAt: Number(r.received_at),
  direction: r.direction,
  source: r.source,
  sender: r.sender,
  recipients: JSON.parse(r.recipients) as string[],
  clientIp: r.client_ip,
  trace: r.trace,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export const toHold = (r: HoldRow): ArchiveHold => ({
  id: r.id,
  archiveId: r.archive_id,
  query: r.query,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
  removedBy: r.removed_by,
  removedAt: num(r.removed_at),
});

export const toDeletion = (r: DeletionRow): ArchiveDeletion => ({
  seq: Number(r.seq),
  at: Number(r.at),
  archiveId: r.archive_id,
  contentHash: r.content_hash,
  archivedAt: Number(r.archived_at),
  retainUntil: Number(r.retain_until),
  reason: r.reason,
  actor: r.actor,
  prevHash: r.prev_hash,
  hash: r.hash,
});
