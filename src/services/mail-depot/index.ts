// mail-depot: stage `depot`, the archive. Every mail the archive policies select (all, by
// default) is stored compressed and encrypted (AES-256-GCM, key in <dataDir>/keys/), checked on
// every read, deduplicated by content and linked into a hash chain of arrivals; a full-text
// index makes it searchable (see archive-access.ts for what the admin plane may do with it).
// `archive.enabled: false` makes the service report "not configured": mail passes unarchived.
import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import type { Stage } from '../../flow/stage.ts';
import type { ArchiveStore, SettingsStore } from '../../store/store.ts';
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

export interface MailDepotDeps {
  config: Config;
  store: ArchiveStore;
  settings: SettingsStore;
  recorder: ComplianceRecorder;
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
    this.access = createArchiveAccess({
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
    const k = await loadOrCreateArchiveKey(this.d.config.dataDir);
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
  }

  async stop(): Promise<void> {
    await this.imports.stopAll();
    this.key = null;
  }

  private archiveDeps(): ArchiveDeps {
    if (!this.key) throw new Error('the archive key is not loaded (mail-depot is not running)');
    const a = this.d.config.archive;
    return { store: this.d.store, key: this.key, compression: a.compression, limits: this.limits };
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
