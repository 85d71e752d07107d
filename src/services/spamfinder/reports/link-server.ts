// The HTTP endpoint behind the signed links Gatehouse mails out: quarantine release links (to
// local users) and CISS confirmation links (to unknown senders). No admin token: the signed,
// expiring link is the credential. GET shows the mail and a button; only the POST acts, so link
// scanners that fetch every URL in a mail cannot release spam or confirm a sender by themselves.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseHostPort } from '../../../admin/listen-address.ts';
import type { Logger } from '../../log-manager/logger.ts';
import type { LinkClaim, LinkSigner } from './link-signer.ts';

export interface LinkRoute {
  /** The mail the claim points at, if the action can still be taken. */
  find(claim: LinkClaim): Promise<{ sender: string; subject: string } | null>;
  act(claim: LinkClaim): Promise<void>;
  question: string;
  button: string;
  done: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`;

export class LinkServer {
  private server: Server | null = null;

  constructor(private readonly d: { listen: string; signer: LinkSigner; routes: Record<string, LinkRoute>; log: Logger }) {}

  async start(): Promise<number> {
    const server = createServer((req, res) =>
      void this.handle(req, res).catch((err: Error) => {
        this.d.log.error('link request failed', { err });
        this.send(res, 500, 'Something went wrong', '<p>Please try again later.</p>');
      }),
    );
    const { host, port } = parseHostPort(this.d.listen);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => (server.off('error', reject), resolve()));
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => (s.close(() => resolve()), s.closeAllConnections()));
  }

  private send(res: ServerResponse, status: number, title: string, body: string): void {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' });
    res.end(page(title, body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://links.invalid');
    const route = Object.hasOwn(this.d.routes, url.pathname) ? this.d.routes[url.pathname] : undefined;
    if (!route) return this.send(res, 404, 'Not found', '');
    let token = url.searchParams.get('t') ?? '';
    if (req.method === 'POST') {
      let body = '';
      for await (const c of req) {
        body += c;
        if (body.length > 8192) return this.send(res, 413, 'Request too large', '');
      }
      token = new URLSearchParams(body).get('t') ?? token;
    } else if (req.method !== 'GET') return this.send(res, 405, 'Method not allowed', '');
    const claim = this.d.signer.verify(token);
    if (!claim) return this.send(res, 410, 'This link is not valid', '<p>It may have expired.</p>');
    const mail = await route.find(claim);
    if (!mail) return this.send(res, 410, 'Nothing left to do', '<p>The mail was delivered, deleted or expired already.</p>');
    if (req.method === 'GET') {
      return this.send(
        res,
        200,
        route.question,
        `<p>From: ${esc(mail.sender || '<>')}<br>Subject: ${esc(mail.subject)}</p><form method="post" action="${esc(url.pathname)}"><input type="hidden" name="t" value="${esc(token)}"><button type="submit">${esc(route.button)}</button></form>`,
      );
    }
    await route.act(claim);
    this.send(res, 200, route.done, '');
  }
}
