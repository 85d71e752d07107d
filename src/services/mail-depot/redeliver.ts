// Redelivery: an archived mail goes back into the mail flow, into the `deliver` stage (it is
// not archived, scanned or sealed again), to its original recipients (every arrival's, less the
// journal address) or to the addresses given. The mail is read through its integrity checks
// into a new queue body (streaming) with one header naming the archive id; the redelivery is in
// the compliance log before the mail enters the queue. The envelope sender is null (<>): a
// failure comes back to the admin's tracking view, not as a bounce to the original sender.
import type { Readable } from 'node:stream';
import type { Envelope } from '../../core/mail.ts';
import { newMailId } from '../../core/ids.ts';
import type { ArchivedMessage, ArchiveStore, BodyStore, NewMail } from '../../store/store.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import { ControlError } from '../system-manager/control.ts';

export interface RedeliverDeps {
  store: ArchiveStore;
  bodies: BodyStore;
  submit(mails: NewMail[]): Promise<void>;
  compliance: ComplianceRecorder;
  journalAddress?: string;
  /** The mail read through its integrity checks (throws ARCHIVE_INTEGRITY_FAILED when it fails). */
  verifiedStream(m: ArchivedMessage): Promise<Readable>;
  now?: () => number;
}

export interface Redelivery {
  archiveId: string;
  /** Queue id of the new mail (track it with GET /api/v1/mails/{id}). */
  mailId: string;
  recipients: string[];
}

const ADDRESS = /^[^@\s<>]+@[^@\s<>]+$/;

export async function redeliver(d: RedeliverDeps, m: ArchivedMessage, to: string[] | undefined, actor: string): Promise<Redelivery> {
  const now = (d.now ?? Date.now)();
  const arrivals = await d.store.entriesOf(m.id);
  let recipients: string[];
  if (to?.length) {
    const bad = to.find((a) => !ADDRESS.test(a));
    if (bad) throw new ControlError('REDELIVER_NO_RECIPIENT', `not a mail address: ${JSON.stringify(bad)}`);
    recipients = [...new Set(to.map((a) => a.toLowerCase()))];
  } else {
    const all = arrivals.flatMap((e) => e.recipients.map((r) => r.toLowerCase()));
    recipients = [...new Set(all)].filter((r) => r !== d.journalAddress);
    if (!recipients.length) throw new ControlError('REDELIVER_NO_RECIPIENT', `archived message ${m.id} has no recipient to go back to (imported mail); name one`);
  }
  const mailId = newMailId(now);
  const header = Buffer.from(`X-Gatehouse-Redelivered: archive ${m.id}; by ${actor.replace(/[\r\n;]/g, ' ')}; ${new Date(now).toUTCString()}\r\n`);
  const w = await d.bodies.create(mailId);
  let size = header.length;
  try {
    await w.write(header);
    for await (const chunk of await d.verifiedStream(m)) {
      size += (chunk as Buffer).length;
      await w.write(chunk as Buffer);
    }
    await w.commit();
  } catch (err) {
    await w.abort().catch(() => undefined);
    throw err;
  }
  try {
    await d.compliance.record({ category: 'archive', action: 'archive.redeliver', actor, subject: m.id, detail: { mailId, recipients } });
    const envelope: Envelope = {
      sender: '',
      recipients: recipients.map((address) => ({ address, status: 'pending' as const })),
      direction: (arrivals[0]?.direction as Envelope['direction'] | undefined) ?? 'inbound',
      source: 'archive',
    };
    await d.submit([
      { id: mailId, queue: 'deliver', envelope, bodyKey: mailId, size, receivedAt: now, event: { event: 'received', actor: 'mail-depot', detail: { redelivered: m.id, by: actor } } },
    ]);
  } catch (err) {
    await d.bodies.remove(mailId).catch(() => undefined);
    throw err;
  }
  return { archiveId: m.id, mailId, recipients };
}
