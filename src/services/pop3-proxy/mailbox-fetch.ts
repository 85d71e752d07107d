// One fetch of one POP3 mailbox: log in, list UIDLs, bring every message not yet fetched into
// the flow as a new mail, and (keep: false) delete on the server what is durable here.
//
// Exactly once: a message's UIDL is recorded by the same transaction that inserts its mail
// (NewMail.fetched, see store.ts), and that transaction is synced before DELE is sent. After a
// crash at any point either both the mail and its UIDL exist (the message is skipped, and
// deleted on the server next time when keep is false) or neither does (it is fetched again;
// a half-written body is dropped by recovery). DELE only takes effect at QUIT, so a connection
// lost before QUIT deletes nothing; the UIDL makes the next fetch delete it without a copy.
import { readFile } from 'node:fs/promises';
import type { Envelope } from '../../core/mail.ts';
import { newMailId } from '../../core/ids.ts';
import { QueueConflict, type BodyStore, type NewMail, type Pop3UidlStore } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import { mailboxPort, type Pop3Mailbox } from './config.ts';
import { HeaderScan } from './header-scan.ts';
import { Pop3Client } from './pop3-client.ts';
import { Pop3Error } from './pop3-error.ts';
import { pop3ReceivedHeader } from './received-header.ts';
import { tlsTrust } from './tls-trust.ts';

/** Body writes are gathered to this size. */
const WRITE_SIZE = 128 * 1024;
const CRLF = Buffer.from('\r\n');

export interface FetchDeps {
  /** The flow's intake (FlowEngine.submit): resolves once the mail and its UIDL are durable. */
  submit(mails: NewMail[]): Promise<void>;
  bodies: BodyStore;
  uidls: Pop3UidlStore;
  log: Logger;
  hostname: string;
  maxMessageSize: number;
  /** Called after each mail is durable, before it is deleted on the server (tests hook crashes here). */
  onFetched?: (mailId: string, uidl: string) => void;
}

export interface FetchResult {
  /** Messages the server listed. */
  onServer: number;
  /** New mails brought into the flow, in server order. */
  mailIds: string[];
  /** Messages deleted on the server (this fetch's and earlier durable ones). */
  deleted: number;
  /** Messages left alone because they are larger than smtp.maxMessageSize. */
  skipped: number;
}

/**
 * `signal` aborts all I/O at once; `stop` asks the fetch to end between two messages (with QUIT,
 * so deletions of what is durable take effect).
 */
export async function fetchMailbox(m: Pop3Mailbox, d: FetchDeps, signal: AbortSignal, stop?: AbortSignal): Promise<FetchResult> {
  const password = m.password ?? (await readPasswordFile(m.passwordFile!));
  let trust;
  try {
    trust = tlsTrust(m.host, { ca: m.ca, trustCertificate: m.trustCertificate });
  } catch (err) {
    throw new Pop3Error('POP3_CONFIG', `cannot read the mailbox's ca or trustCertificate: ${(err as Error).message}`);
  }
  const client = await Pop3Client.connect({ host: m.host, port: mailboxPort(m), tls: m.tls, trust, timeoutMs: m.timeout, signal });
  const result: FetchResult = { onServer: 0, mailIds: [], deleted: 0, skipped: 0 };
  try {
    await client.login(m.user, password);
    const uidls = await client.uidl();
    const sizes = await client.list();
    result.onServer = uidls.size;
    const known = await d.uidls.fetched(m.name);
    for (const [n, uidl] of [...uidls].sort((a, b) => a[0] - b[0])) {
      if (stop?.aborted) break; // stopping: end with QUIT below, the rest waits for next time
      if (!known.has(uidl)) {
        const size = sizes.get(n) ?? 0;
        if (size > d.maxMessageSize) {
          result.skipped++;
          d.log.warn(`mailbox ${m.name}: message ${uidl} is ${size} bytes, over smtp.maxMessageSize; left on the server`, { mailbox: m.name });
          continue;
        }
        const id = await fetchMessage(client, n, uidl, m, d, client.secure);
        if (!id) continue;
        result.mailIds.push(id);
        d.onFetched?.(id, uidl);
      }
      if (!m.keep) {
        await client.dele(n);
        result.deleted++;
      }
    }
    const listed = new Set(uidls.values());
    const gone = [...known.keys()].filter((u) => !listed.has(u));
    if (gone.length) await d.uidls.forget(m.name, gone);
    await client.quit();
    return result;
  } catch (err) {
    // No QUIT: the server forgets this session's DELEs; the durable ones are redone next time.
    client.destroy();
    throw err;
  }
}

/** RETR one message into a new body and submit it; null when another fetch got it first. */
async function fetchMessage(client: Pop3Client, n: number, uidl: string, m: Pop3Mailbox, d: FetchDeps, secure: boolean): Promise<string | null> {
  const id = newMailId();
  const writer = await d.bodies.create(id);
  const scan = new HeaderScan();
  let size = 0;
  try {
    const head = Buffer.from(pop3ReceivedHeader({ host: m.host, hostname: d.hostname, id, recipient: m.deliverTo, secure }), 'latin1');
    let pending: Buffer[] = [head];
    let pendingLen = head.length;
    for await (const lines of client.retr(n)) {
      for (const raw of lines) {
        scan.push(raw);
        const line = raw.includes(13) ? normaliseCr(raw) : raw;
        pending.push(line, CRLF);
        pendingLen += line.length + 2;
      }
      if (pendingLen >= WRITE_SIZE) {
        await writer.write(Buffer.concat(pending, pendingLen));
        size += pendingLen;
        pending = [];
        pendingLen = 0;
      }
    }
    if (pendingLen) await writer.write(Buffer.concat(pending, pendingLen));
    size += pendingLen;
    await writer.commit();
  } catch (err) {
    await writer.abort().catch(() => undefined);
    throw err;
  }
  scan.end();
  const envelope: Envelope = {
    sender: scan.sender(),
    recipients: [{ address: m.deliverTo, status: 'pending' }],
    direction: 'inbound',
    source: 'pop3',
    meta: { pop3: { mailbox: m.name, uidl, server: `${m.host}:${mailboxPort(m)}` } },
  };
  try {
    await d.submit([
      {
        id,
        queue: 'seal-in',
        envelope,
        bodyKey: id,
        size,
        receivedAt: Date.now(),
        event: {
          event: 'received',
          actor: 'pop3-proxy',
          detail: { mailbox: m.name, uidl, from: envelope.sender, to: [m.deliverTo], size, direction: 'inbound' },
        },
        fetched: { mailbox: m.name, uidl },
      },
    ]);
  } catch (err) {
    await d.bodies.remove(id).catch(() => undefined);
    if (err instanceof QueueConflict) {
      d.log.info(`mailbox ${m.name}: message ${uidl} was fetched already; not taken twice`, { mailbox: m.name });
      return null;
    }
    throw err;
  }
  d.log.info(`fetched from mailbox ${m.name}`, { mailId: id, mailbox: m.name, uidl, size });
  return id;
}

/** A lone CR inside a line becomes a line break: every line ending in the stored mail is CRLF. */
function normaliseCr(line: Buffer): Buffer {
  return Buffer.from(line.toString('latin1').replace(/\r/g, '\r\n'), 'latin1');
}

async function readPasswordFile(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new Pop3Error('POP3_CONFIG', `cannot read passwordFile ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
