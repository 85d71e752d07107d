// The `depot` stage: archives the mail the policies select (all, by default), then advances it
// unchanged. Mail to the journal address is archived and not delivered: its journal recipients
// are done ("archived (journal)"); a mail with no other recipient finishes as delivered. A
// failure to archive defers the mail (with backoff): no mail passes the depot unarchived.
import type { Envelope, StageResult } from '../../core/mail.ts';
import type { Stage, StageContext } from '../../flow/stage.ts';
import type { ClaimedMail } from '../../store/store.ts';
import type { ArchivePolicies } from './policies.ts';
import { readSubject } from './policies.ts';
import { archiveMail, type ArchiveDeps } from './archive-writer.ts';

/** Mails up to this size are read whole and archived in memory (see sealSync). */
const IN_MEMORY = 1024 * 1024;
/**
 * Larger mails stream, at most this many at once: each holds a compressor window and what
 * the index parser keeps of its text parts (up to archive.index.maxParseBytes). Measured with
 * 50 parallel 10 MiB mails: without the bound, 1.3 GB peak RSS; mail waits its turn instead.
 */
const LARGE_AT_ONCE = 4;

/** A counting semaphore: at most `n` holders. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async take(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
const JOURNAL_REASON = 'archived (journal)';

export interface DepotStageDeps {
  policies: ArchivePolicies;
  journalAddress?: string;
  /** The archive as it is now (key loaded at service start). */
  archive: () => ArchiveDeps;
}

function backoff(attempts: number): number {
  return Math.min(60_000 * 2 ** attempts, 15 * 60_000);
}

export function depotStage(d: DepotStageDeps): Stage {
  const large = new Slots(LARGE_AT_ONCE);
  return {
    name: 'depot',
    async process(mail: ClaimedMail, ctx: StageContext): Promise<StageResult> {
      const env = mail.envelope;
      const journal = d.journalAddress ? env.recipients.filter((r) => r.address.toLowerCase() === d.journalAddress && r.status === 'pending') : [];
      const onlyJournal = journal.length > 0 && journal.length === env.recipients.length;
      let retentionDays: number | undefined;
      if (!journal.length) {
        const decision = await d.policies.decide(mail, () => readSubject(ctx.openBody()));
        if (!decision.archive) return { outcome: { kind: 'advance', note: `not archived (${decision.policy})` } };
        retentionDays = decision.retentionDays;
      }
      let archived;
      const release = mail.size > IN_MEMORY ? await large.take() : () => undefined;
      try {
        const body = mail.size <= IN_MEMORY ? await ctx.readBody() : ctx.openBody();
        archived = await archiveMail(
          { mailId: mail.id, receivedAt: mail.receivedAt, envelope: env, size: mail.size, body, source: onlyJournal ? 'journal' : undefined, retentionDays },
          d.archive(),
          ctx.signal,
        );
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        ctx.log.error('could not archive a mail; it waits in the depot and is tried again', { mailId: mail.id, err: err as Error });
        return { outcome: { kind: 'defer', until: Date.now() + backoff(mail.attempts), reason: `archive failed: ${(err as Error).message}` } };
      } finally {
        release();
      }
      const how = `archived as ${archived.archiveId}${archived.deduplicated ? ' (content already archived: linked)' : ''}`;
      ctx.log.debug(how, { mailId: mail.id, archiveId: archived.archiveId, seq: archived.entry.seq, partialIndex: archived.partial ?? undefined });
      if (!journal.length) return { outcome: { kind: 'advance', note: how } };
      const envelope: Envelope = {
        ...env,
        recipients: env.recipients.map((r) => (journal.includes(r) ? { ...r, status: 'delivered' as const, response: `250 2.0.0 ${JOURNAL_REASON}` } : r)),
      };
      if (onlyJournal) return { outcome: { kind: 'finish', state: 'delivered', reason: `${JOURNAL_REASON} as ${archived.archiveId}` }, envelope };
      return { outcome: { kind: 'advance', note: `${how}; journal copy not delivered` }, envelope };
    },
  };
}
