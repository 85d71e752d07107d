// What the admin plane may do with the archive: search, view, read the raw mail, export,
// redeliver, verify, legal holds and expiry, audit grants. Every one of them is written to the
// compliance log before its result is handed out; when the record cannot be written, the result
// is not handed out either. Reads run within the caller's scope (archive-scope.ts).
import { Readable } from 'node:stream';
import type { ArchivedMessage, ArchiveEntry, ArchiveHold, ArchiveStore } from '../../store/store.ts';
import { ControlError } from '../system-manager/control.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import { IndexExtractor, type ExtractLimits } from './index-extractor.ts';
import { parseQuery, ArchiveQueryError } from './query.ts';
import { asIntegrityError } from './sealed-blob.ts';
import { openArchivedMail } from './archived-mail.ts';
import { verifyArchive, type ArchiveVerifyReport, type RecordedDeletions } from './archive-verify.ts';
import type { ArchiveRetention, ExpiryReport, NewHold } from './retention.ts';
import { redeliver, type RedeliverDeps, type Redelivery } from './redeliver.ts';
import { mboxStream } from './mbox-export.ts';
import { zipStream } from './zip-export.ts';
import { narrow, scopeDetail, type ArchiveScope } from './archive-scope.ts';
import type { AuditGrant, AuditGrants, NewAuditGrant } from './audit-grants.ts';
import type { ArchiveImports, ImportJob } from './import-job.ts';
import type { ImportFormat } from './import-sources.ts';

export type ArchiveExportFormat = 'mbox' | 'zip';

export const ARCHIVE_PAGE_SIZE = 50;
const EXPORT_PAGE = 1000;
/** Raw mails up to this size are returned from the verifying read; larger ones are read twice. */
const RAW_IN_MEMORY = 8 * 1024 * 1024;

export interface ArchiveSearchResult {
  query: string;
  page: number;
  pageSize: number;
  total: number;
  messages: ArchivedMessage[];
}

export interface ArchiveMessageView extends ArchivedMessage {
  headers: [string, string][];
  text: string;
  attachmentParts: { name: string; contentType: string; size: number }[];
  /** Why the text shown is not complete (limits), or null. */
  partial: string | null;
  /** Every arrival of this content, oldest first. */
  deliveries: ArchiveEntry[];
}

export interface ArchiveRaw {
  size: number;
  body: Buffer | Readable;
}

export interface ArchiveExport {
  /** Messages the export holds. */
  total: number;
  format: ArchiveExportFormat;
  body: Readable;
}

export interface ArchiveControl {
  /** `scope` (user, auditor): only what it lets through; none: the whole archive (admin). */
  search(query: string, page: number, actor: string, scope?: ArchiveScope): Promise<ArchiveSearchResult>;
  /** Every message the query finds, oldest first, as one mbox or a zip of .eml files (streams). */
  export(query: string, format: ArchiveExportFormat, actor: string, scope?: ArchiveScope): Promise<ArchiveExport>;
  /** A message out of `scope` is "not found" (ARCHIVE_NOT_FOUND), as if it were not there. */
  get(id: string, actor: string, scope?: ArchiveScope): Promise<ArchiveMessageView>;
  raw(id: string, actor: string, scope?: ArchiveScope): Promise<ArchiveRaw>;
  /** Audit grants (audit sessions): an admin grants an auditor a scope for a limited time. */
  audit: {
    grant(g: NewAuditGrant, actor: string): Promise<AuditGrant>;
    list(o: { auditor?: string; withEnded?: boolean }): Promise<AuditGrant[]>;
    revoke(id: string, actor: string): Promise<AuditGrant>;
    /** The scope an auditor's request runs under (the grant named, or the only one in force). */
    scopeFor(auditor: string, grantId?: string): Promise<ArchiveScope>;
  };
  verify(actor: string): Promise<ArchiveVerifyReport>;
  /** Puts the mail back into the flow (deliver stage), to its original recipients or to `to`. */
  redeliver(id: string, to: string[] | undefined, actor: string): Promise<Redelivery>;
  /** Deletes the expired messages no legal hold covers, now (the job also runs periodically). */
  expire(actor: string): Promise<ExpiryReport>;
  /** Legal holds: by message or by query; every change is in the compliance log. */
  holds: {
    add(h: NewHold, actor: string): Promise<ArchiveHold>;
    list(withRemoved: boolean): Promise<ArchiveHold[]>;
    remove(id: string, actor: string): Promise<ArchiveHold>;
  };
  /** Bulk imports (mbox, .eml folder, Maildir) running as jobs. */
  imports: {
    start(path: string, format: ImportFormat | undefined, actor: string): Promise<ImportJob>;
    resume(id: string, actor: string): Promise<ImportJob>;
    get(id: string): Promise<ImportJob>;
    list(): Promise<ImportJob[]>;
  };
}

export interface ArchiveAccessDeps {
  store: ArchiveStore;
  compliance: ComplianceRecorder;
  /** Key by key id; loads the key file when the depot has not. */
  keys: () => (id: string) => Buffer | undefined;
  limits: ExtractLimits;
  enabled: boolean;
  imports: ArchiveImports;
  retention: ArchiveRetention;
  grants: AuditGrants;
  /** Where redelivered mail goes (the queue); redelivery is refused when absent. */
  flow?: Pick<RedeliverDeps, 'bodies' | 'submit' | 'journalAddress'>;
  /** The deletions the compliance log records, for verify (not checked when absent). */
  recordedDeletions?: RecordedDeletions;
}

export function createArchiveAccess(d: ArchiveAccessDeps): ArchiveControl {
  const enabled = () => {
    if (!d.enabled) throw new ControlError('ARCHIVE_DISABLED', 'the archive is switched off (archive.enabled: false)');
  };
  const mustGet = async (id: string) => {
    const m = await d.store.get(id);
    if (!m) throw new ControlError('ARCHIVE_NOT_FOUND', `no archived message with id "${id}"`);
    return m;
  };
  /** The message, when the scope lets the caller see it; otherwise "not found" (recorded), as if it were not there. */
  const mustSee = async (id: string, scope: ArchiveScope | undefined, action: string, actor: string) => {
    const m = await mustGet(id);
    if (!scope) return m;
    const scoped = narrow({ terms: [] }, scope);
    if (scoped && (await d.store.search({ ...scoped, ids: [id], offset: 0, limit: 1 })).total === 1) return m;
    await d.compliance.record({ category: 'archive', action, actor, subject: id, detail: { ok: false, denied: 'out of scope', ...scopeDetail(scope) } });
    throw new ControlError('ARCHIVE_NOT_FOUND', `no archived message with id "${id}"`);
  };
  const integrity = (m: ArchivedMessage, err: unknown) =>
    new ControlError('ARCHIVE_INTEGRITY_FAILED', `archived message ${m.id} fails its integrity check: ${asIntegrityError(err).message}`);
  const open = async (m: ArchivedMessage) => openArchivedMail(d.store, m, d.keys());
  const parse = (query: string) => {
    try {
      return parseQuery(query);
    } catch (err) {
      if (err instanceof ArchiveQueryError) throw new ControlError('ARCHIVE_QUERY_INVALID', err.message);
      throw err;
    }
  };
  /** Reads a mail through its checks; small ones come back from that read, large ones are read again. */
  const verified = async (m: ArchivedMessage): Promise<Buffer | Readable> => {
    const held: Buffer[] = [];
    for await (const chunk of await open(m)) if (m.size <= RAW_IN_MEMORY) held.push(chunk as Buffer);
    // A large mail was checked whole above; the second read checks again and breaks off on a change.
    return m.size <= RAW_IN_MEMORY ? Buffer.concat(held) : await open(m);
  };

  return {
    async search(query, page, actor, scope) {
      enabled();
      const scoped = narrow(parse(query), scope);
      const r = scoped ? await d.store.search({ ...scoped, offset: (page - 1) * ARCHIVE_PAGE_SIZE, limit: ARCHIVE_PAGE_SIZE }) : { total: 0, messages: [] };
      await d.compliance.record({
        category: 'archive',
        action: 'archive.search',
        actor,
        subject: query,
        detail: { page, total: r.total, shown: r.messages.length, ...scopeDetail(scope) },
      });
      return { query, page, pageSize: ARCHIVE_PAGE_SIZE, total: r.total, messages: r.messages };
    },

    async get(id, actor, scope) {
      enabled();
      const m = await mustSee(id, scope, 'archive.view', actor);
      const x = new IndexExtractor(d.limits);
      try {
        for await (const chunk of await open(m)) await x.write(chunk as Buffer);
      } catch (err) {
        await x.finish();
        await d.compliance.record({ category: 'archive', action: 'archive.view', actor, subject: id, detail: { ok: false, ...scopeDetail(scope) } });
        throw integrity(m, err);
      }
      const e = await x.finish();
      await d.compliance.record({ category: 'archive', action: 'archive.view', actor, subject: id, detail: scopeDetail(scope) });
      return {
        ...m,
        headers: e.headers,
        text: e.text,
        attachmentParts: e.attachments,
        partial: e.partial,
        deliveries: await d.store.entriesOf(id),
      };
    },

    async raw(id, actor, scope) {
      enabled();
      const m = await mustSee(id, scope, 'archive.raw', actor);
      let body;
      try {
        body = await verified(m);
      } catch (err) {
        await d.compliance.record({ category: 'archive', action: 'archive.raw', actor, subject: id, detail: { ok: false, ...scopeDetail(scope) } });
        throw integrity(m, err);
      }
      await d.compliance.record({ category: 'archive', action: 'archive.raw', actor, subject: id, detail: scopeDetail(scope) });
      return { size: m.size, body };
    },

    async export(query, format, actor, scope) {
      enabled();
      const parsed = narrow(parse(query), scope);
      // The ids first (newest first, then reversed): mail archived while the export runs does
      // not shift the pages under it.
      const ids: string[] = [];
      for (let offset = 0; parsed; offset += EXPORT_PAGE) {
        const r = await d.store.search({ ...parsed, offset, limit: EXPORT_PAGE });
        ids.push(...r.messages.map((m) => m.id));
        if (r.messages.length < EXPORT_PAGE) break;
      }
      ids.reverse();
      await d.compliance.record({ category: 'export', action: 'archive.export', actor, subject: query, detail: { format, messages: ids.length, ...scopeDetail(scope) } });
      const source = {
        page: async (n: number) => {
          const slice = ids.slice((n - 1) * EXPORT_PAGE, n * EXPORT_PAGE);
          return (await Promise.all(slice.map((id) => d.store.get(id)))).filter((m): m is ArchivedMessage => m !== null);
        },
        firstArrival: async (id: string) => (await d.store.entriesOf(id))[0],
        verified: async (m: ArchivedMessage) => {
          try {
            return await verified(m);
          } catch (err) {
            throw integrity(m, err);
          }
        },
      };
      const body = format === 'zip' ? zipStream(source) : mboxStream(source);
      return { total: ids.length, format, body };
    },

    imports: {
      start: (path, format, actor) => (enabled(), d.imports.start(path, format, actor)),
      resume: (id, actor) => (enabled(), d.imports.resume(id, actor)),
      get: (id) => d.imports.get(id),
      list: () => d.imports.list(),
    },

    async verify(actor) {
      enabled();
      const report = await verifyArchive(d.store, d.keys(), d.recordedDeletions);
      await d.compliance.record({
        category: 'archive',
        action: 'archive.verify',
        actor,
        detail: {
          ok: report.ok,
          messages: report.messages,
          deleted: report.deleted,
          entries: report.chain.count,
          problems: report.problems.length + report.chain.problems.length + report.deletions.problems.length,
        },
      });
      return report;
    },

    async redeliver(id, to, actor) {
      enabled();
      const m = await mustGet(id);
      if (!d.flow) throw new ControlError('SERVICE_NOT_FOUND', 'redelivery needs the mail flow, which this archive is not connected to');
      return redeliver(
        {
          ...d.flow,
          store: d.store,
          compliance: d.compliance,
          verifiedStream: async (msg) => {
            const src = await open(msg);
            return Readable.from(
              (async function* () {
                try {
                  for await (const chunk of src) yield chunk as Buffer;
                } catch (err) {
                  throw integrity(msg, err);
                }
              })(),
            );
          },
        },
        m,
        to,
        actor,
      );
    },

    expire: (actor) => (enabled(), d.retention.expire(actor)),

    audit: {
      grant: (g, actor) => (enabled(), d.grants.grant(g, actor)),
      list: (o) => d.grants.list(o),
      revoke: (id, actor) => d.grants.revoke(id, actor),
      async scopeFor(auditor, grantId) {
        const grant = await d.grants.inForceFor(auditor, grantId);
        return { kind: 'audit', auditor, grant, grantQuery: grant ? parseQuery(grant.query) : null };
      },
    },

    holds: {
      add: (h, actor) => (enabled(), d.retention.addHold(h, actor)),
      list: (withRemoved) => (enabled(), d.retention.holds(withRemoved)),
      remove: (id, actor) => (enabled(), d.retention.removeHold(id, actor)),
    },
  };
}
