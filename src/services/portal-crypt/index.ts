// portal-crypt: the encryption portal for recipients without keys. seal-out hands it a mail for
// such a recipient (deposit): the mail is sealed at rest (portal-vault.ts) and a notification
// with a signed, expiring link goes to the recipient instead. The portal's HTTP listener
// (portal-server.ts) lets the recipient set or enter a password, read the mail, download its
// attachments and reply; a reply enters the mail flow at seal-in, addressed to the original sender.
// Expired messages are deleted. Stopped, seal-out keeps portal mail waiting; deactivated (or
// without a portal store), portal policies have no portal and bounce as their policy says.
// The listener opens only while there is something to show: at start when mails wait in the
// portal, else at the first deposit, so an appliance that never uses the portal opens no port.
import { hkdfSync } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';
import { newMailId } from '../../core/ids.ts';
import { loadOrCreateKeyFile } from '../../core/key-file.ts';
import type { BodyStore, NewMail, PortalMessage, PortalStore, SettingsStore } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import { addressIn, headerValue, parseEntity } from '../mail-sealer/mime/entity.ts';
import type { PortalDepositRequest, PortalDepositResult } from '../mail-sealer/portal-handoff.ts';
import type { Service } from '../service.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import { createPortalControl, type PortalControl } from './control.ts';
import { createLinkSigner, type LinkSigner } from '../spamfinder/reports/link-signer.ts';
import { notificationMail } from './notification.ts';
import { PORTAL_OPEN_PATH, PortalServer } from './portal-server.ts';
import { PortalVault } from './portal-vault.ts';
import { replyMail, type ReplyFile } from './reply.ts';
import { prepareSpool, UploadRefused } from './reply-upload.ts';

export interface PortalCryptDeps {
  config: Config;
  /** Absent: this store keeps no portal; the service then reports not configured and does nothing. */
  store: PortalStore | undefined;
  bodies: BodyStore;
  /** Where the appliance records which portal key its nodes must share. */
  settings?: SettingsStore;
  submit(mails: NewMail[]): Promise<void>;
  log: Logger;
  recorder?: ComplianceRecorder;
  now?: () => number;
}

export function portalKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'portal.key');
}

/** Where files attached to portal replies wait (owner only) until the reply is in the body store. */
export function replySpoolDir(dataDir: string): string {
  return join(dataDir, 'tmp', 'portal-replies');
}

interface Running {
  vault: PortalVault;
  signer: LinkSigner;
  server: PortalServer;
  /** Set once listening (the port may have been 0). */
  baseUrl: string | null;
  listening: Promise<string> | null;
  timer: NodeJS.Timeout;
}

export class PortalCrypt implements Service {
  readonly name = 'portal-crypt' as const;
  readonly kind = 'auxiliary' as const;
  readonly description = 'Encryption portal for recipients without keys: notification with a link, password-protected reading and replying';
  readonly essential = false;
  readonly deactivatable = true;
  readonly mailHandling = false;
  private running: Running | null = null;
  private readonly now: () => number;
  /** The admin plane's view; works while the service is stopped (the store is always there). */
  readonly control: PortalControl | undefined;

  constructor(private readonly d: PortalCryptDeps) {
    this.now = d.now ?? Date.now;
    this.control = d.store ? createPortalControl(d.store, d.recorder) : undefined;
  }

  configured(): boolean {
    return this.d.store !== undefined;
  }

  get passwordHeader(): string {
    return this.d.config.portal.senderPasswordHeader;
  }

  /** Base URL of the portal as recipients reach it (once listening). */
  get url(): string | null {
    return this.running?.baseUrl ?? null;
  }

  /** Opens the listener once; resolves with the base URL. A failure is retried at the next call. */
  private listen(run: Running): Promise<string> {
    run.listening ??= run.server.start().then(
      (port) => {
        const cfg = this.d.config.portal;
        run.baseUrl = (cfg.url ?? `http://${this.d.config.hostname}:${port}`).replace(/\/$/, '');
        this.d.log.info('portal listening', { url: run.baseUrl, listen: cfg.listen });
        return run.baseUrl;
      },
      (err: Error) => {
        run.listening = null;
        throw new Error(`the encryption portal cannot listen on ${this.d.config.portal.listen}: ${err.message}`, { cause: err });
      },
    );
    return run.listening;
  }

  async start(): Promise<void> {
    const store = this.d.store;
    if (!store) {
      // Not configured: seal-out sees no portal and portal policies fail with a DSN.
      this.d.log.warn('this storage backend keeps no encryption portal; portal-crypt does nothing');
      return;
    }
    const cfg = this.d.config.portal;
    const { key, created } = await loadOrCreateKeyFile(portalKeyPath(this.d.config.dataDir), (m) => new Error(m), this.d.settings && { settings: this.d.settings, name: 'portal' });
    if (created) this.d.log.info('portal key file created', { file: 'keys/portal.key' });
    // One file, two keys: what signs links never wraps content keys.
    const sub = (info: string) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 32));
    const signer = createLinkSigner(sub('gatehouse portal links v1'));
    const vault = new PortalVault(store, sub('gatehouse portal wrap v1'), cfg.minPasswordLength, this.now);
    await prepareSpool(replySpoolDir(this.d.config.dataDir));
    const server = new PortalServer({
      listen: cfg.listen,
      secureCookie: (cfg.url ?? '').startsWith('https:'),
      signer,
      vault,
      minPassword: cfg.minPasswordLength,
      maxAttempts: cfg.maxAttempts,
      lockoutMs: cfg.lockout,
      sessionTtlMs: cfg.sessionTtl,
      uploads: cfg.replyUploads,
      spoolDir: replySpoolDir(this.d.config.dataDir),
      reply: (m, r, inReplyTo) => this.reply(store, m, r, inReplyTo),
      log: this.d.log,
      now: this.now,
    });
    const purge = () =>
      void store
        .purge(this.now())
        .then((n) => n && this.d.log.info(`portal: ${n} expired message(s) deleted`))
        .catch((err: Error) => this.d.log.warn('portal: purge of expired messages failed', { err }));
    const timer = setInterval(purge, Math.max(60_000, Math.min(3_600_000, cfg.linkTtl / 4)));
    timer.unref();
    purge();
    const run: Running = { vault, signer, server, baseUrl: null, listening: null, timer };
    this.running = run;
    if ((await store.list({ limit: 1 })).length) await this.listen(run);
    this.d.log.info('portal-crypt ready', { listening: run.baseUrl !== null });
  }

  async stop(): Promise<void> {
    const r = this.running;
    this.running = null;
    if (!r) return;
    clearInterval(r.timer);
    await r.server.stop();
  }

  /** seal-out's hand-off: stores the mail for one recipient and gives back the notification to send. */
  async deposit(r: PortalDepositRequest): Promise<PortalDepositResult> {
    const run = this.running;
    if (!run) throw new Error('portal-crypt is not running');
    const cfg = this.d.config.portal;
    if (r.senderPassword !== null && r.senderPassword.length < cfg.minPasswordLength) {
      return { failure: `the portal password given in ${cfg.senderPasswordHeader} is shorter than ${cfg.minPasswordLength} characters; the mail was not sent` };
    }
    const msg = parseEntity(r.raw);
    const from = headerValue(msg.headers, 'from') ?? r.sender;
    const expiresAt = this.now() + cfg.linkTtl;
    const id = await run.vault.deposit({ mailId: r.mailId, recipient: r.recipient, sender: r.sender || addressIn(from) || '', from, subject: headerValue(msg.headers, 'subject') ?? '', raw: r.raw, senderPassword: r.senderPassword, expiresAt });
    const baseUrl = await this.listen(run);
    const link = `${baseUrl}${PORTAL_OPEN_PATH}?t=${run.signer.sign({ mailId: id, recipient: r.recipient.toLowerCase(), exp: expiresAt })}`;
    const notification = notificationMail({ hostname: this.d.config.hostname, portalId: id, mailId: r.mailId, from, sender: r.sender, recipient: r.recipient, link, expiresAt, senderPassword: r.senderPassword !== null, hasPassword: await run.vault.hasPassword(r.recipient), now: this.now() });
    this.d.log.info('portal: mail stored for a recipient without a key', { mailId: r.mailId, portalId: id, recipient: r.recipient });
    return { id, notification };
  }

  /** A reply from the portal: a new mail into the flow, from the portal recipient to the original sender. */
  private async reply(store: PortalStore, m: PortalMessage, r: { text: string; files: ReplyFile[] }, inReplyTo: string | null): Promise<void> {
    if (!m.sender) throw new Error('the original mail has no sender to reply to');
    const { envelope, message } = replyMail({ hostname: this.d.config.hostname, portalId: m.id, recipient: m.recipient, sender: m.sender, subject: m.subject, inReplyTo, text: r.text, files: r.files, now: this.now() });
    const id = newMailId();
    const w = await this.d.bodies.create(id);
    let size = 0;
    const max = this.d.config.smtp.maxMessageSize;
    try {
      for await (const chunk of message as AsyncIterable<Buffer>) {
        size += chunk.length;
        // Files grow by a third when encoded for mail: the reply must still fit through this gateway.
        if (size > max) throw new UploadRefused(413, 'The reply is too large', `With its files encoded for mail the reply has more than ${+(max / 1048576).toFixed(1)} MiB, the most a mail through this gateway may have. Nothing was sent; go back and attach less.`);
        await w.write(chunk);
      }
      await w.commit();
    } catch (err) {
      message.destroy();
      await w.abort().catch(() => undefined);
      throw err;
    }
    await this.d.submit([
      {
        id,
        queue: 'seal-in',
        envelope,
        bodyKey: id,
        size,
        receivedAt: this.now(),
        event: { event: 'received', actor: 'portal-crypt', detail: { from: envelope.sender, to: [m.sender], size, direction: envelope.direction, portalReplyTo: m.id, attachments: r.files.length } },
      },
    ]);
    await store.addReply(m.id);
    this.d.log.info('portal: reply sent into the mail flow', { portalId: m.id, mailId: id, to: m.sender, attachments: r.files.length });
  }
}
