// The portal's own HTTP listener (beside the CISS/quarantine link server, not the admin API):
// the signed, expiring link from the notification opens a password page; the right password
// gives a session cookie; the recipient reads the message, downloads attachments and replies (with
// files), and, signed in with their own portal password, lists and opens their other messages.
// Wrong passwords are refused and limited per message and per client address.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseHostPort } from '../../admin/listen-address.ts';
import { LoginLimiter } from '../../admin/auth/login-limiter.ts';
import type { PortalMessage } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { LinkSigner } from '../spamfinder/reports/link-signer.ts';
import { messageListPage, messagePage, passwordPage, readPage } from './portal-pages.ts';
import { PortalSessions, type PortalSession } from './portal-sessions.ts';
import type { PortalVault } from './portal-vault.ts';
import { readMail } from './read-mail.ts';
import type { ReplyFile } from './reply.ts';
import { drain, readReplyUpload, UploadRefused } from './reply-upload.ts';

export const PORTAL_OPEN_PATH = '/portal/open';
const COOKIE = 'gh_portal';
const FORM_LIMIT = 8 * 1024;
const REPLY_LIMIT = 256 * 1024;

export interface PortalServerDeps {
  listen: string;
  secureCookie: boolean;
  signer: LinkSigner;
  vault: PortalVault;
  minPassword: number;
  maxAttempts: number;
  lockoutMs: number;
  sessionTtlMs: number;
  /** Limits for files attached to a reply. */
  uploads: { maxFileSize: number; maxTotalSize: number; maxFiles: number };
  /** Private directory where those files wait while the reply is built. */
  spoolDir: string;
  /** Sends a reply written in the portal (with the attached files, if any) into the mail flow. */
  reply(m: PortalMessage, r: { text: string; files: ReplyFile[] }, inReplyTo: string | null): Promise<void>;
  log: Logger;
  now?: () => number;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly text: string,
  ) {
    super(text);
  }
}

export class PortalServer {
  private server: Server | null = null;
  private readonly sessions: PortalSessions;
  private readonly limiter: LoginLimiter;
  private readonly now: () => number;

  constructor(private readonly d: PortalServerDeps) {
    this.now = d.now ?? Date.now;
    this.sessions = new PortalSessions(d.sessionTtlMs, this.now);
    this.limiter = new LoginLimiter({ perUser: d.maxAttempts, perIp: d.maxAttempts * 4, windowMs: d.lockoutMs }, this.now);
  }

  async start(): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    const { host, port } = parseHostPort(this.d.listen);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => (server.off('error', reject), resolve()));
    });
    // Slow clients must not hold the portal open forever; a reply with files (25 MiB by default)
    // over a slow line still needs minutes.
    server.requestTimeout = 300_000;
    server.headersTimeout = 15_000;
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.sessions.clear();
    if (s) await new Promise<void>((resolve) => (s.close(() => resolve()), s.closeAllConnections()));
  }

  private send(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      // The link's token is in the URL: it must not travel on in a Referer.
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
      ...headers,
    });
    res.end(html);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://portal.invalid');
      const path = url.pathname;
      if (path === PORTAL_OPEN_PATH && req.method === 'GET') return await this.showOpen(res, url.searchParams.get('t') ?? '');
      if (path === PORTAL_OPEN_PATH && req.method === 'POST') return await this.postOpen(req, res);
      if (path === '/portal/read' && req.method === 'GET') return await this.read(req, res, url.searchParams.get('m'));
      if (path === '/portal/messages' && req.method === 'GET') return await this.messages(req, res);
      if (path.startsWith('/portal/attachment/') && req.method === 'GET') return await this.attachment(req, res, path.slice('/portal/attachment/'.length), url.searchParams.get('m'));
      if (path === '/portal/reply' && req.method === 'POST') return await this.postReply(req, res);
      throw new HttpProblem(404, 'Not found', 'There is no such page in the encryption portal.');
    } catch (err) {
      if (err instanceof HttpProblem) return this.send(res, err.status, messagePage(err.title, err.text));
      this.d.log.error('portal request failed', { err, url: req.url });
      if (!res.headersSent) this.send(res, 500, messagePage('Something went wrong', 'Please try again later.'));
      else res.destroy();
    }
  }

  /** The message a link points at: the link must be genuine and unexpired, the message still there. */
  private async messageOf(token: string): Promise<PortalMessage> {
    const claim = this.d.signer.verify(token, 0);
    if (!claim) throw new HttpProblem(400, 'This link is not valid', 'Please use the link exactly as it came in the notification mail.');
    if (claim.exp < this.now()) throw new HttpProblem(410, 'This link has expired', `The link worked until ${new Date(claim.exp).toUTCString()}. The message has been deleted; ask the sender to send it again.`);
    const m = await this.d.vault.get(claim.mailId);
    if (!m || m.recipient !== claim.recipient) throw new HttpProblem(410, 'This message is no longer available', 'It was deleted from the encryption portal; ask the sender to send it again.');
    return m;
  }

  private async showOpen(res: ServerResponse, token: string): Promise<void> {
    const m = await this.messageOf(token);
    this.send(res, 200, passwordPage({ step: await this.d.vault.step(m), token, from: m.from || m.sender, minLength: this.d.minPassword }));
  }

  private async postOpen(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req, FORM_LIMIT);
    const token = form.get('t') ?? '';
    const m = await this.messageOf(token);
    const ip = req.socket.remoteAddress ?? '';
    const wait = this.limiter.blockedFor(ip, m.id);
    if (wait > 0) {
      this.d.log.warn('portal: password attempts blocked', { portalId: m.id, ip });
      throw new HttpProblem(429, 'Too many wrong passwords', `For your protection, this message cannot be opened for about ${Math.ceil(wait / 60_000)} minute(s). Try again later.`);
    }
    const step = await this.d.vault.step(m);
    const r = await this.d.vault.unlock(m.id, form.get('password') ?? '', form.get('confirm') ?? undefined);
    if (!r.ok) {
      if (r.reason === 'gone') throw new HttpProblem(410, 'This message is no longer available', 'It was deleted from the encryption portal.');
      if (r.reason === 'wrong-password') {
        this.limiter.failed(ip, m.id);
        this.d.log.warn('portal: wrong password', { portalId: m.id, ip });
      }
      const error = { 'wrong-password': 'The password is not correct.', 'sender-password': 'The password is not correct.', 'too-short': `The password must have at least ${this.d.minPassword} characters.`, mismatch: 'The two passwords differ.' }[r.reason];
      return this.send(res, r.reason === 'wrong-password' ? 401 : 400, passwordPage({ step, token, from: m.from || m.sender, minLength: this.d.minPassword, error }));
    }
    this.limiter.succeeded(m.id);
    const session = this.sessions.create({ messageId: m.id, recipient: m.recipient, key: r.key, secret: r.secret });
    this.d.log.info('portal: message opened', { portalId: m.id, mailId: m.mailId, first: m.openedAt === null });
    const cookie = `${COOKIE}=${session}; Path=/portal; HttpOnly; SameSite=Strict${this.d.secureCookie ? '; Secure' : ''}`;
    res.writeHead(303, { location: '/portal/read', 'set-cookie': cookie, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    res.end();
  }

  private session(req: IncomingMessage): PortalSession {
    const s = this.sessions.get(readCookie(req.headers.cookie, COOKIE));
    if (!s) throw new HttpProblem(401, 'Please open the message again', 'Your visit has ended. Open the link in the notification mail and enter your password.');
    return s;
  }

  /**
   * A message of the signed-in recipient with its content: the link's message by default, another
   * one (`m`) when this session opened it already or holds the recipient's portal password secret.
   */
  private async opened(s: PortalSession, wanted?: string | null) {
    const id = wanted || s.messageId;
    const gone = () => new HttpProblem(410, 'This message is no longer available', 'It was deleted from the encryption portal.');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new HttpProblem(404, 'Not found', 'There is no such message in the encryption portal.');
    let key = s.keys.get(id);
    if (!key) {
      const r = s.secret ? await this.d.vault.openWithSecret(id, s.recipient, s.secret) : null;
      if (!r?.ok) {
        if (r?.reason === 'gone') throw gone();
        throw new HttpProblem(403, 'Please open this message with its link', 'This message needs its own password: open the link in its notification mail.');
      }
      key = r.key;
      s.keys.set(id, key);
      this.d.log.info('portal: message opened', { portalId: id, mailId: r.message.mailId, first: r.message.openedAt === null, from: 'message list' });
    }
    const m = await this.d.vault.get(id);
    const raw = m && m.recipient === s.recipient ? await this.d.vault.read(id, key) : null;
    if (!m || !raw) throw gone();
    return { m, mail: await readMail(raw) };
  }

  private async read(req: IncomingMessage, res: ServerResponse, wanted: string | null): Promise<void> {
    const s = this.session(req);
    const { m, mail } = await this.opened(s, wanted);
    const others = s.secret ? (await this.d.vault.list(s.recipient)).length - 1 : 0;
    this.send(res, 200, readPage(mail, { id: m.id, csrf: s.csrf, expiresAt: m.expiresAt, uploads: this.d.uploads, messageList: s.secret !== null, others }));
  }

  /** The signed-in recipient's messages (only with their own portal password: a sender's opens one mail). */
  private async messages(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const s = this.session(req);
    if (!s.secret) throw new HttpProblem(403, 'Not available with this password', 'The password the sender gave you opens this one message only.');
    const list = await this.d.vault.list(s.recipient);
    this.send(
      res,
      200,
      messageListPage(
        s.recipient,
        list.map((m) => ({
          from: m.from || m.sender,
          subject: m.subject,
          receivedAt: m.createdAt,
          expiresAt: m.expiresAt,
          opened: m.openedAt !== null,
          replies: m.replies,
          // A mail under a sender's password opens through its own (freshly signed) link.
          href: m.wrap === 'sender' ? `${PORTAL_OPEN_PATH}?t=${this.d.signer.sign({ mailId: m.id, recipient: m.recipient, exp: m.expiresAt })}` : `/portal/read?m=${m.id}`,
          ownPassword: m.wrap === 'sender',
        })),
      ),
    );
  }

  private async attachment(req: IncomingMessage, res: ServerResponse, index: string, wanted: string | null): Promise<void> {
    const s = this.session(req);
    const { mail } = await this.opened(s, wanted);
    const a = /^\d{1,4}$/.test(index) ? mail.attachments[Number(index)] : undefined;
    if (!a) throw new HttpProblem(404, 'Not found', 'The message has no such attachment.');
    // Always a download (Content-Disposition: attachment), never rendered in the portal's origin:
    // the type is the one the mail declares when it is well formed, with nosniff and a sandboxing
    // CSP, so an HTML or SVG attachment that a browser opens anyway cannot run here.
    res.writeHead(200, {
      'content-type': attachmentType(a.contentType),
      'content-disposition': contentDisposition(a.filename),
      'content-length': String(a.content.length),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    res.end(a.content);
  }

  private async postReply(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const s = this.session(req);
    const stale = () => new HttpProblem(403, 'Please send the reply again', 'The form was out of date. Go back, reload the message and send your reply again.');
    let fields: { get(name: string): string | null | undefined };
    let files: (ReplyFile & { size: number })[] = [];
    let discard = async () => {};
    if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
      try {
        const upload = await readReplyUpload(req, { limits: { ...this.d.uploads, maxText: REPLY_LIMIT }, spoolDir: this.d.spoolDir, csrfOk: (t) => PortalSessions.csrfMatches(s, t) });
        ({ fields, files, discard } = upload);
      } catch (err) {
        if (err instanceof UploadRefused) {
          this.d.log.warn('portal: reply upload refused', { portalId: s.messageId, status: err.status, reason: err.text });
          throw new HttpProblem(err.status, err.title, err.text);
        }
        throw err;
      }
    } else {
      const form = await readForm(req, REPLY_LIMIT);
      if (!PortalSessions.csrfMatches(s, form.get('csrf'))) throw stale();
      fields = form;
    }
    try {
      const text = (fields.get('text') ?? '').trim();
      if (!text && !files.length) throw new HttpProblem(400, 'The reply is empty', 'Go back and write your reply.');
      const { m, mail } = await this.opened(s, fields.get('m'));
      try {
        await this.d.reply(m, { text, files }, mail.messageId);
      } catch (err) {
        if (err instanceof UploadRefused) throw new HttpProblem(err.status, err.title, err.text);
        throw err;
      }
      const with_ = files.length ? ` with ${files.length} file(s)` : '';
      this.send(res, 200, messagePage('Your reply has been sent', `Your reply${with_} to ${m.sender} is on its way.`));
    } finally {
      await discard();
    }
  }
}

const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The declared type of an attachment when it is a plain type/subtype; application/octet-stream otherwise. */
export function attachmentType(declared: string): string {
  const t = declared.trim().toLowerCase();
  return MIME_TYPE.test(t) ? t : 'application/octet-stream';
}

/** `attachment` with an ASCII fallback name and the exact name in RFC 8187 form (filename*). */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/** A urlencoded form up to `limit` bytes; past it, 413 (the rest of the request is read and dropped, so the client sees the page). */
function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams> {
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    drain(req);
    return Promise.reject(formTooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= limit) return void chunks.push(c);
      req.off('data', onData).off('end', onEnd);
      drain(req);
      reject(formTooLarge(limit));
    };
    const onEnd = () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

const formTooLarge = (limit: number) => new HttpProblem(413, 'Too large', `What you sent is larger than ${Math.ceil(limit / 1024)} KiB. Nothing was sent; go back and send less.`);

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
