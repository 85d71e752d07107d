// mail-depot: stage `depot`, the archive. Every mail the archive policies select (all, by
// default) is stored compressed and encrypted (AES-256-GCM, key in <dataDir>/keys/), checked on
// every read, deduplicated by content and linked into a hash chain of arrivals; a full-text
// index makes it searchable (see archive-access.ts for what the admin plane may do with it).
// Each mail is kept for its policy's retention; the expiry job (every retention.expireEvery)
// deletes expired mail no legal hold covers, each deletion proven by a tombstone (retention.ts).
// `archive.enabled: false` makes the service report "not configured": mail passes unarchived.
import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import type { Stage } from '../../flow/stage.ts';
import type { ArchiveStore, BodyStore, ComplianceFilter, NewMail, SettingsStore } from '../../store/store.ts';
import { ArchiveImports } from './import-job.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Service } from '../service.ts';
import { archiveKeyId, archiveKeyPath, loadOrCreateArchiveKey, type ArchiveKey } from './archive-key.ts';
import { createArchiveAccess, type ArchiveControl } from './archive-access.ts';
import type { ArchiveDeps } from './archive-writer.ts';
import { depotStage } from './depot-stage.ts';
import type { ExtractLimits } from './index-extractor.ts';
import { ArchivePolicies } from './policies.ts';
import { ArchiveRetention } from './retention.ts';
import { AuditGrants } from './audit-grants.ts';

/** Reads the compliance log (newest first): verify checks each deletion is recorded there. */
export interface ComplianceReader {
  list(f: ComplianceFilter): Promise<{ seq: number; action: string; subject: string | null; detail: Record<string, unknown> | null }[]>;
}

export interface MailDepotDeps {
  config: Config;
  store: ArchiveStore;
  settings: SettingsStore;
  recorder: ComplianceRecorder;
  /** The queue: where `redeliver` puts archived mail back (deliver stage). */
  flow?: { bodies: BodyStore; submit(mails: NewMail[]): Promise<void> };
  /** When given, `archive verify` checks every deletion against the compliance log. */
  complianceReader?: ComplianceReader;
  log: Logger;
}

export class MailDepot implements Service {
  readonly name = 'mail-depot' as const;
  readonly kind = 'pipeline' as const;
  readonly description = 'Archives every mail: compressed, encrypted, tamper-evident and searchable';
  readonly essential = true;
  readonly deactivatable = false;
  readonly mailHandling = true;
  readonly stages: Stage[];
  readonly access: ArchiveControl;
  readonly imports: ArchiveImports;
  readonly retention: ArchiveRetention;
  private expiryTimer: NodeJS.Timeout | null = null;
  private expiring: Promise<unknown> | null = null;
  private key: ArchiveKey | null = null;
  private readonly limits: ExtractLimits;

  constructor(private readonly d: MailDepotDeps) {
    const a = d.config.archive;
    this.limits = { maxParseBytes: a.index.maxParseBytes, maxTextBytes: a.index.maxTextBytes, deadlineMs: 30_000 };
    this.stages = [
      depotStage({
        policies: new ArchivePolicies(a.policies),
        journalAddress: a.journalAddress,
        archive: () => this.archiveDeps(),
      }),
    ];
    this.imports = new ArchiveImports({ settings: d.settings, archive: () => this.archiveDeps(), compliance: d.recorder, log: d.log });
    this.retention = new ArchiveRetention({ store: d.store, compliance: d.recorder });
    const reader = d.complianceReader;
    this.access = createArchiveAccess({
      retention: this.retention,
      grants: new AuditGrants(d.settings, d.recorder),
      flow: d.flow ? { ...d.flow, journalAddress: a.journalAddress } : undefined,
      recordedDeletions: reader ? () => recordedDeletions(reader) : undefined,
      store: d.store,
      compliance: d.recorder,
      keys: () => this.keys(),
      limits: this.limits,
      enabled: a.enabled,
      imports: this.imports,
    });
  }

  configured(): boolean {
    return this.d.config.archive.enabled;
  }

  async start(): Promise<void> {
    if (!this.configured()) return;
    const a = this.d.config.archive;
    const k = await loadOrCreateArchiveKey(this.d.config.dataDir, { settings: this.d.settings, name: 'archive' });
    if (k.created) {
      this.d.log.warn(`made a new archive key ${k.id} in ${archiveKeyPath(this.d.config.dataDir)}; back it up: without it the archive cannot be read`);
      await this.d.recorder
        .record({ category: 'keys', action: 'keys.create', actor: 'mail-depot', subject: 'archive', detail: { keyId: k.id } })
        .catch((err: Error) => this.d.log.error(`could not record the new archive key in the compliance log: ${err.message}`));
    }
    const foreign = (await this.d.store.keyIds()).filter((id) => id !== k.id);
    if (foreign.length) {
      throw new Error(`archived mail is encrypted with key ${foreign.join(', ')}, but ${archiveKeyPath(this.d.config.dataDir)} holds key ${k.id}: restore the key file`);
    }
    this.key = k;
    const swept = await this.d.store.sweep();
    if (swept) this.d.log.warn(`removed ${swept} unfinished archive file(s) left by an unclean stop`);
    await this.imports.markInterrupted();
    this.expiryTimer = setInterval(() => this.expireNow(), a.retention.expireEvery);
    this.expiryTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.expiryTimer = null;
    await this.expiring;
    await this.imports.stopAll();
    this.key = null;
  }

  /** The periodic run of the expiry job (one at a time; a failure is logged and tried next time). */
  private expireNow(): void {
    if (this.expiring) return;
    this.expiring = this.retention
      .expire('mail-depot')
      .then((r) => r.deleted && this.d.log.info(`expiry: deleted ${r.deleted} message(s) whose retention ended; ${r.held} kept by legal holds`))
      .catch((err: Error) => this.d.log.error(`expiry job failed: ${err.message}`))
      .finally(() => (this.expiring = null));
  }

  private archiveDeps(): ArchiveDeps {
    if (!this.key) throw new Error('the archive key is not loaded (mail-depot is not running)');
    const a = this.d.config.archive;
    return { store: this.d.store, key: this.key, compression: a.compression, limits: this.limits, retentionDays: a.retention.defaultDays };
  }

  /** Key lookup for reading: the loaded key, or the key file when the depot has not started. */
  private keys(): (id: string) => Buffer | undefined {
    let k = this.key;
    if (!k) {
      const file = archiveKeyPath(this.d.config.dataDir);
      if (existsSync(file)) {
        const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
        k = { key, id: archiveKeyId(key) };
      }
    }
    return (id) => (k && k.id === id ? k.key : undefined);
  }
}

export type { ArchiveControl };

/** archive id → content hash of every "archive.delete" in the compliance log. */
async function recordedDeletions(reader: ComplianceReader): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let before: number | undefined; ; ) {
    const page = await reader.list({ category: 'deletion', beforeSeq: before, limit: 1000 });
    for (const r of page) {
      if (r.action === 'archive.delete' && r.subject && typeof r.detail?.contentHash === 'string') out.set(r.subject, r.detail.contentHash);
    }
    if (page.length < 1000) break;
    before = page[page.length - 1].seq;
  }
  return out;
}
