// smtp-receiver: the ESMTP server at the front of the appliance. smtp-server speaks the protocol;
// this service supplies the policy (relay, recipients, auth, size, smuggling) and hands each
// accepted mail durably to the flow before answering 250.
import { SMTPServer, type SMTPServerSession, type SMTPServerAddress, type SMTPServerAuthentication } from 'smtp-server';
import type { Config } from '../../config/schema.ts';
import type { Envelope } from '../../core/mail.ts';
import { NetworkList } from '../../core/networks.ts';
import { verifyPassword } from '../../core/password.ts';
import { SmtpError, toSmtpError } from '../../core/smtp-error.ts';
import type { FlowEngine } from '../../flow/flow-engine.ts';
import type { BodyStore } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Service } from '../service.ts';
import { receiveData } from './data-handler.ts';
import { receivedHeader } from './received-header.ts';
import { RecipientPolicy } from './recipient-policy.ts';
import { patchSmtpServer } from './smtp-server-patch.ts';
import { loadOrCreateCertificate } from './tls-cert.ts';
import { Phase1Filters } from './phase1/index.ts';
import type { BatvTags } from '../spamfinder/batv.ts';
import { HeaderHygiene } from '../spamfinder/header-hygiene.ts';

export interface SmtpReceiverDeps {
  config: Config;
  engine: FlowEngine;
  bodies: BodyStore;
  log: Logger;
  /** BATV (spamfinder.batv): bounces to local addresses need a valid prvs= tag. */
  batv?: BatvTags | null;
}

export function splitHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
}

export class SmtpReceiver implements Service {
  readonly name = 'smtp-receiver' as const;
  readonly kind = 'ingress' as const;
  readonly description = 'ESMTP server; checks connection-level (phase-1) filters before accepting mail';
  readonly essential = true;
  readonly deactivatable = false;
  readonly mailHandling = true;
  onFailure?: (err: Error) => void;
  private server: SMTPServer | null = null;
  private readonly policy: RecipientPolicy;
  private readonly trusted: NetworkList;
  /** Phase-1 connection filters (RBL, anti-spoofing, auth results, penetration defence). */
  readonly phase1: Phase1Filters;
  accepted = 0;

  constructor(private readonly d: SmtpReceiverDeps) {
    patchSmtpServer();
    const c = d.config;
    this.policy = new RecipientPolicy({ domains: c.domains, trustedNetworks: c.trustedNetworks, recipients: c.smtp.recipients });
    this.trusted = new NetworkList(c.trustedNetworks);
    this.phase1 = new Phase1Filters({ config: c, policy: this.policy, log: d.log, batv: d.batv });
  }

  configured(): boolean {
    return this.d.config.domains.length > 0;
  }

  async start(): Promise<void> {
    const c = this.d.config;
    const { cert, key } = await loadOrCreateCertificate({ tls: c.smtp.tls, dataDir: c.dataDir, hostname: c.hostname });
    const greetingDelay = c.smtp.greetingDelay;
    const server = new SMTPServer({
      name: c.hostname,
      banner: 'Gatehouse',
      size: c.smtp.maxMessageSize,
      key,
      cert,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: true,
      allowInsecureAuth: false,
      disableReverseLookup: true,
      hideENHANCEDSTATUSCODES: false,
      hideDSN: false,
      maxClients: c.smtp.maxClients,
      socketTimeout: c.smtp.socketTimeout,
      closeTimeout: 10_000,
      logger: false,
      // consumed by smtp-server-patch.ts
      greetingDelayFor: (ip: string) => (greetingDelay > 0 && !this.trusted.contains(ip) ? greetingDelay : 0),
      onAuth: (auth, session, cb) => void this.onAuth(auth, session).then((u) => cb(null, { user: u }), (e) => cb(e)),
      onConnect: (session, cb) => {
        try {
          this.phase1.connect(session);
          cb();
        } catch (err) {
          cb(this.reply(err));
        }
      },
      onClose: (session) => this.phase1.close(session),
      onMailFrom: (address, session, cb) => {
        this.phase1.mailFrom(address.address, this.facts(session)).then(
          () => cb(),
          (err) => cb(this.reply(err)),
        );
      },
      onRcptTo: (address, session, cb) => {
        const mailFrom = session.envelope.mailFrom as SMTPServerAddress | false;
        // BATV first (its refusal is not an invalid recipient), then the unwrapped address.
        this.phase1.recipient(address.address, mailFrom ? mailFrom.address : '', this.facts(session)).then(
          (rcpt) => {
            try {
              if (session.envelope.rcptTo.length >= c.smtp.maxRecipients) throw new SmtpError(452, '4.5.3', 'Too many recipients');
              this.policy.checkRecipient(rcpt, this.facts(session));
              cb();
            } catch (err) {
              cb(this.reply(this.phase1.recipientRefused(err, this.facts(session))));
            }
          },
          (err) => cb(this.reply(err)),
        );
      },
      onData: (stream, session, cb) => {
        this.onData(stream, session).then(
          (msg) => cb(null, msg),
          (err) => cb(this.reply(err)),
        );
      },
    } as ConstructorParameters<typeof SMTPServer>[0]);
    server.on('error', (err) => this.d.log.warn('smtp connection error', { err }));
    // Replies are small writes answered by the client: no Nagle delay.
    server.server.on('connection', (socket: import('node:net').Socket) => socket.setNoDelay(true));
    const { host, port } = splitHostPort(c.smtp.listen);
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error) => reject(err);
      server.server.once('error', onErr);
      server.listen(port, host, () => {
        server.server.off('error', onErr);
        resolve();
      });
    });
    this.server = server;
    this.d.log.info(`listening on ${c.smtp.listen}`);
  }

  async stop(deadline: AbortSignal): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      deadline.addEventListener('abort', () => resolve(), { once: true });
      s.close(() => resolve());
    });
  }

  private facts(session: SMTPServerSession) {
    return { clientIp: session.remoteAddress, authUser: typeof session.user === 'string' ? session.user : undefined };
  }

  private reply(err: unknown): Error {
    const e = toSmtpError(err);
    const out = new Error(e.reply) as Error & { responseCode: number };
    out.responseCode = e.responseCode;
    if (!(err instanceof SmtpError)) this.d.log.error('unexpected error in an SMTP session', { err: err as Error });
    return out;
  }

  private async onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession): Promise<string> {
    const user = this.d.config.smtp.users.find((u) => u.user === auth.username);
    const ok = user && typeof auth.password === "string" ? await verifyPassword(auth.password, user.password) : false;
    if (!ok) {
      this.d.log.warn('failed SMTP authentication', { user: auth.username });
      throw new SmtpError(535, '5.7.8', 'Authentication credentials invalid');
    }
    return user!.user;
  }

  private async onData(stream: Parameters<NonNullable<ConstructorParameters<typeof SMTPServer>[0]>['onData'] & object>[0], session: SMTPServerSession): Promise<string> {
    const facts = this.facts(session);
    const mailFrom = session.envelope.mailFrom as SMTPServerAddress | false;
    // A local prvs= (BATV) address is delivered to the address inside it, once.
    const rcpts = [...new Map(session.envelope.rcptTo.map((r) => {
      const address = this.phase1.deliveryAddress(r.address);
      return [address.toLowerCase(), { ...r, address }] as const;
    })).values()];
    const args = (mailFrom && (mailFrom.args as Record<string, string>)) || {};
    const envelope: Envelope = {
      sender: mailFrom ? mailFrom.address : '',
      recipients: rcpts.map((r) => ({ address: r.address, status: 'pending' as const })),
      direction: this.policy.direction(rcpts.map((r) => r.address), facts),
      source: 'smtp',
      clientIp: facts.clientIp,
      helo: session.hostNameAppearsAs ?? undefined,
      authUser: facts.authUser,
      ret: args.RET === 'HDRS' ? 'HDRS' : args.RET === 'FULL' ? 'FULL' : undefined,
      envid: args.ENVID,
    };
    const secure = session.secure;
    const protocol = (`ESMTP${secure ? 'S' : ''}${facts.authUser ? 'A' : ''}` as 'ESMTP');
    const header = (id: string) =>
      receivedHeader({
        helo: session.hostNameAppearsAs ?? '',
        clientIp: session.remoteAddress,
        hostname: this.d.config.hostname,
        protocol: session.openingCommand === 'HELO' ? 'SMTP' : protocol,
        id,
        recipient: rcpts.length === 1 ? rcpts[0].address : undefined,
      });
    const inspector = this.phase1.inspector(facts, session, envelope.sender);
    // Mail from outside must not bring our verdicts with it (RFC 8601 §5); our own side may.
    const hygiene = this.policy.mayRelay(facts) ? null : new HeaderHygiene(this.d.config.hostname);
    const { id, size } = await receiveData(stream, header, envelope, this.d, inspector, hygiene);
    if (hygiene?.removed.length) this.d.log.info(`removed forged headers: ${hygiene.removed.join(', ')}`, { mailId: id, clientIp: facts.clientIp });
    this.accepted++;
    this.d.log.info(`accepted from <${envelope.sender}> for ${rcpts.length} recipient(s), ${envelope.direction}`, {
      mailId: id,
      size,
      clientIp: facts.clientIp,
    });
    return `2.0.0 Ok: queued as ${id}`;
  }
}
