// What the admin plane may do with the archive: search, view, read the raw mail, verify. Every
// one of them is written to the compliance log before its result is handed out; when the
// record cannot be written, the result is not handed out either.
import type { Readable } from 'node:stream';
import type { ArchivedMessage, ArchiveEntry, ArchiveStore } from '../../store/store.ts';
import { ControlError } from '../system-manager/control.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import { IndexExtractor, type ExtractLimits } from './index-extractor.ts';
import { parseQuery, ArchiveQueryError } from './query.ts';
import { asIntegrityError, unseal } from './sealed-blob.ts';
import { verifyArchive, type ArchiveVerifyReport } from './archive-verify.ts';
import { mboxStream } from './mbox-export.ts';
import type { ArchiveImports, ImportJob } from './import-job.ts';
import type { ImportFormat } from './import-sources.ts';

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
  format: 'mbox';
  body: Readable;
}

export interface ArchiveControl {
  search(query: string, page: number, actor: string): Promise<ArchiveSearchResult>;
  /** Every message the query finds, oldest first, as one mbox stream. */
  export(query: string, format: 'mbox', actor: string): Promise<ArchiveExport>;
  get(id: string, actor: string): Promise<ArchiveMessageView>;
  raw(id: string, actor: string): Promise<ArchiveRaw>;
  verify(actor: string): Promise<ArchiveVerifyReport>;
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
  const integrity = (m: ArchivedMessage, err: unknown) =>
    new ControlError('ARCHIVE_INTEGRITY_FAILED', `archived message ${m.id} fails its integrity check: ${asIntegrityError(err).message}`);
  const open = async (m: ArchivedMessage) => unseal(await d.store.openBlob(m.id), d.keys(), m);
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
    async search(query, page, actor) {
      enabled();
      const parsed = parse(query);
      const r = await d.store.search({ ...parsed, offset: (page - 1) * ARCHIVE_PAGE_SIZE, limit: ARCHIVE_PAGE_SIZE });
      await d.compliance.record({ category: 'archive', action: 'archive.search', actor, subject: query, detail: { page, total: r.total, shown: r.messages.length } });
      return { query, page, pageSize: ARCHIVE_PAGE_SIZE, total: r.total, messages: r.messages };
    },

    async get(id, actor) {
      enabled();
      const m = await mustGet(id);
      const x = new IndexExtractor(d.limits);
      try {
        for await (const chunk of await open(m)) await x.write(chunk as Buffer);
      } catch (err) {
        await x.finish();
        await d.compliance.record({ category: 'archive', action: 'archive.view', actor, subject: id, detail: { ok: false } });
        throw integrity(m, err);
      }
      const e = await x.finish();
      await d.compliance.record({ category: 'archive', action: 'archive.view', actor, subject: id });
      return {
        ...m,
        headers: e.headers,
        text: e.text,
        attachmentParts: e.attachments,
        partial: e.partial,
        deliveries: await d.store.entriesOf(id),
      };
    },

    async raw(id, actor) {
      enabled();
      const m = await mustGet(id);
      let body;
      try {
        body = await verified(m);
      } catch (err) {
        await d.compliance.record({ category: 'archive', action: 'archive.raw', actor, subject: id, detail: { ok: false } });
        throw integrity(m, err);
      }
      await d.compliance.record({ category: 'archive', action: 'archive.raw', actor, subject: id });
      return { size: m.size, body };
    },

    async export(query, format, actor) {
      enabled();
      const parsed = parse(query);
      // The ids first (newest first, then reversed): mail archived while the export runs does
      // not shift the pages under it.
      const ids: string[] = [];
      for (let offset = 0; ; offset += EXPORT_PAGE) {
        const r = await d.store.search({ ...parsed, offset, limit: EXPORT_PAGE });
        ids.push(...r.messages.map((m) => m.id));
        if (r.messages.length < EXPORT_PAGE) break;
      }
      ids.reverse();
      await d.compliance.record({ category: 'export', action: 'archive.export', actor, subject: query, detail: { format, messages: ids.length } });
      const body = mboxStream({
        page: async (n) => {
          const slice = ids.slice((n - 1) * EXPORT_PAGE, n * EXPORT_PAGE);
          return (await Promise.all(slice.map((id) => d.store.get(id)))).filter((m): m is ArchivedMessage => m !== null);
        },
        firstArrival: async (id) => (await d.store.entriesOf(id))[0],
        verified: async (m) => {
          try {
            return await verified(m);
          } catch (err) {
            throw integrity(m, err);
          }
        },
      });
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
      const report = await verifyArchive(d.store, d.keys());
      await d.compliance.record({
        category: 'archive',
        action: 'archive.verify',
        actor,
        detail: { ok: report.ok, messages: report.messages, entries: report.chain.count, problems: report.problems.length + report.chain.problems.length },
      });
      return report;
    },
  };
}
