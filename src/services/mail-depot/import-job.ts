// Bulk import into the archive (mbox, .eml folder, Maildir), as jobs of the mail-depot that run
// in the background and report progress. Resumable: the job's cursor is checkpointed in the
// settings (every CHECKPOINT_EVERY mails and at the end); after a crash or a stop, resume()
// reads on from the last checkpoint, and the mails between it and the crash are recognised by
// their item id (an arrival with that id is already in the chain) and not archived twice.
// A malformed mail (no header, a parse error, cut at the size limit) is archived as it is and
// counted, never dropped. Start and end of a job are in the compliance log.
import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { SettingsStore } from '../../store/store.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import type { Logger } from '../log-manager/logger.ts';
import { ControlError } from '../system-manager/control.ts';
import { archiveMail, type ArchiveDeps } from './archive-writer.ts';
import { detectFormat, readSource, sourceSize, type ImportCursor, type ImportFormat } from './import-sources.ts';

export interface ImportJob {
  id: string;
  path: string;
  format: ImportFormat;
  state: 'running' | 'done' | 'failed' | 'interrupted';
  cursor: ImportCursor;
  /** Mails read from the source so far. */
  read: number;
  /** New content archived. */
  archived: number;
  /** Content already in the archive (linked as one more arrival). */
  duplicates: number;
  /** Archived as they are, but no header could be read (or cut at the size limit). */
  malformed: number;
  /** Read again after a resume and already archived by the interrupted run. */
  skipped: number;
  bytesDone: number;
  bytesTotal: number;
  startedAt: number;
  updatedAt: number;
  error: string | null;
}

const CHECKPOINT_EVERY = 100;
const INDEX_KEY = 'archive:imports';
const jobKey = (id: string) => `archive:import:${id}`;

export class ArchiveImports {
  private readonly running = new Map<string, { job: ImportJob; abort: AbortController; done: Promise<void> }>();

  constructor(
    private readonly d: {
      settings: SettingsStore;
      /** Throws when the archive cannot be written (mail-depot not running). */
      archive: () => ArchiveDeps;
      compliance: ComplianceRecorder;
      log: Logger;
    },
  ) {}

  async start(path: string, format: ImportFormat | undefined, actor: string): Promise<ImportJob> {
    const deps = this.deps();
    if (!isAbsolute(path)) throw new ControlError('IMPORT_SOURCE_INVALID', `the path must be absolute (a path on the appliance): ${path}`);
    try {
      await stat(path);
    } catch {
      throw new ControlError('IMPORT_SOURCE_INVALID', `cannot read ${path} on the appliance`);
    }
    const fmt = format ?? (await detectFormat(path));
    const now = Date.now();
    const job: ImportJob = {
      id: `imp-${randomBytes(6).toString('hex')}`,
      path,
      format: fmt,
      state: 'running',
      cursor: { offset: 0, index: 0 },
      read: 0,
      archived: 0,
      duplicates: 0,
      malformed: 0,
      skipped: 0,
      bytesDone: 0,
      bytesTotal: await sourceSize(path, fmt).catch(() => 0),
      startedAt: now,
      updatedAt: now,
      error: null,
    };
    const ids = (await this.d.settings.get<string[]>(INDEX_KEY)) ?? [];
    await this.d.settings.set(INDEX_KEY, [...ids, job.id]);
    await this.save(job);
    await this.d.compliance.record({ category: 'archive', action: 'archive.import', actor, subject: path, detail: { job: job.id, format: fmt } });
    this.run(job, deps, actor);
    return { ...job };
  }

  async resume(id: string, actor: string): Promise<ImportJob> {
    const deps = this.deps();
    if (this.running.has(id)) throw new ControlError('IMPORT_RUNNING', `import ${id} is running`);
    const job = await this.get(id);
    if (job.state === 'done') throw new ControlError('IMPORT_RUNNING', `import ${id} is done; nothing to resume`);
    job.state = 'running';
    job.error = null;
    await this.save(job);
    await this.d.compliance.record({ category: 'archive', action: 'archive.import.resume', actor, subject: job.path, detail: { job: id, read: job.read } });
    this.run(job, deps, actor);
    return { ...job };
  }

  async get(id: string): Promise<ImportJob> {
    const live = this.running.get(id);
    if (live) return { ...live.job };
    const job = await this.d.settings.get<ImportJob>(jobKey(id));
    if (!job) throw new ControlError('IMPORT_NOT_FOUND', `no import job "${id}"`);
    return job;
  }

  async list(): Promise<ImportJob[]> {
    const ids = (await this.d.settings.get<string[]>(INDEX_KEY)) ?? [];
    return Promise.all(ids.map((id) => this.get(id)));
  }

  /** At start: jobs a previous process left running were interrupted. */
  async markInterrupted(): Promise<void> {
    for (const job of await this.list()) {
      if (job.state === 'running' && !this.running.has(job.id)) {
        job.state = 'interrupted';
        await this.save(job);
      }
    }
  }

  /** Stops every running job at its next mail (it can be resumed). */
  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    for (const r of all) r.abort.abort(new Error('mail-depot stopping'));
    await Promise.allSettled(all.map((r) => r.done));
  }

  private deps(): ArchiveDeps {
    try {
      return this.d.archive();
    } catch (err) {
      throw new ControlError('SERVICE_NOT_RUNNING', `imports need mail-depot running: ${(err as Error).message}`);
    }
  }

  private save(job: ImportJob): Promise<void> {
    job.updatedAt = Date.now();
    return this.d.settings.set(jobKey(job.id), job);
  }

  private run(job: ImportJob, deps: ArchiveDeps, actor: string): void {
    const abort = new AbortController();
    const done = this.loop(job, deps, abort.signal).then(
      async () => {
        job.state = abort.signal.aborted ? 'interrupted' : 'done';
        await this.save(job);
        if (job.state === 'done') {
          const { read, archived, duplicates, malformed, skipped } = job;
          await this.d.compliance
            .record({ category: 'archive', action: 'archive.import.done', actor, subject: job.path, detail: { job: job.id, read, archived, duplicates, malformed, skipped } })
            .catch((err: Error) => this.d.log.error(`could not record the end of import ${job.id}: ${err.message}`));
          this.d.log.info(`import ${job.id} of ${job.path} done: ${archived} archived, ${duplicates} already archived, ${malformed} malformed`);
        }
      },
      async (err: Error) => {
        job.state = 'failed';
        job.error = err.message;
        this.d.log.error(`import ${job.id} of ${job.path} failed at ${job.read} mail(s); it can be resumed`, { err });
        await this.save(job).catch(() => undefined);
      },
    );
    this.running.set(job.id, { job, abort, done: done.finally(() => this.running.delete(job.id)) });
  }

  private async loop(job: ImportJob, deps: ArchiveDeps, signal: AbortSignal): Promise<void> {
    let sinceCheckpoint = 0;
    for await (const item of readSource(job.path, job.format, job.cursor)) {
      if (signal.aborted) break;
      const itemId = `import:${job.id}:${createHash('sha256').update(item.key).digest('hex').slice(0, 24)}`;
      if (await deps.store.hasArrival(itemId)) {
        job.skipped++;
      } else {
        const r = await archiveMail(
          { mailId: itemId, receivedAt: Date.now(), envelope: { sender: '', recipients: [], direction: 'inbound', source: 'import' }, size: item.body.length, body: item.body },
          deps,
        );
        if (r.deduplicated) job.duplicates++;
        else job.archived++;
        if (r.malformed || item.truncated) job.malformed++;
      }
      job.read++;
      job.bytesDone += item.bytes;
      job.cursor = item.next;
      job.updatedAt = Date.now();
      if (++sinceCheckpoint >= CHECKPOINT_EVERY) {
        sinceCheckpoint = 0;
        await this.save(job);
      }
    }
  }
}
