// The `deliver` stage, the egress of the mail flow: every pending or deferred recipient is routed
// (relay or MX), handed to its next hop, and given a new status; the mail then finishes or is
// deferred (see stage-result.ts). Never throws once a delivery was tried, so no status is lost.
import type { Envelope, Recipient } from '../../core/mail.ts';
import type { Config } from '../../config/schema.ts';
import type { Stage, StageContext } from '../../flow/stage.ts';
import type { ClaimedMail } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import { asSmtpError, groupRecipients, MAX_HOSTS_PER_ATTEMPT, type RecipientGroup } from './destinations.ts';
import { readOriginal } from './original.ts';
import { decideResult, type AttemptInfo } from './stage-result.ts';
import type { BatvTags } from '../spamfinder/batv.ts';
import { createSmtpTransport, type DeliveryResult, type Destination, type SmtpTransport } from './transport.ts';

export interface DeliverStageDeps {
  config: Config;
  log: Logger;
  now?: () => number;
  /** Port of MX hosts: 25. Tests point it at loopback servers, per exchange when they need several. */
  mxPort?: number | ((exchange: string) => number);
  /** Unused destination pools are closed after this long (ms). */
  poolIdleTimeout?: number;
  /** BATV (spamfinder.batv): the return path of outbound mail from a local sender is signed. */
  batv?: BatvTags | null;
}

export type DeliverStage = Stage & { close(opts?: { force?: boolean }): Promise<void>; readonly transport: SmtpTransport };

export function createDeliverStage(deps: DeliverStageDeps): DeliverStage {
  const { config, log } = deps;
  const clock = deps.now ?? Date.now;
  const transport = createSmtpTransport({ hostname: config.hostname, delivery: config.delivery, log, idleTimeout: deps.poolIdleTimeout });

  async function process(mail: ClaimedMail, ctx: StageContext) {
    const envelope: Envelope = structuredClone(mail.envelope);
    const targets = envelope.recipients.filter((r) => r.status === 'pending' || r.status === 'deferred');
    const attempted = new Map<Recipient, AttemptInfo>();

    const { groups, unroutable } = groupRecipients(targets, config, deps.mxPort ?? config.delivery.mxPort);
    for (const { recipient, error } of unroutable) {
      setStatus(recipient, error.temporary ? 'deferred' : 'failed', `${error.responseCode} ${error.enhanced} ${error.message}`);
      attempted.set(recipient, { remote: false });
    }
    const signed = await returnPath(envelope, ctx, mail.id);
    await Promise.all(groups.map((g) => deliverGroup(g, isLocal(g.recipients[0].address) ? envelope.sender : signed, ctx, attempted, mail.id)));

    return decideResult({
      mail,
      envelope,
      attempted,
      now: clock(),
      delivery: config.delivery,
      hostname: config.hostname,
      interrupted: ctx.signal.aborted,
      original: () => readOriginal(ctx.openBody(), { ret: envelope.ret, size: mail.size }),
      log: ctx.log,
    });
  }

  const locals = new Set(config.domains.map((d) => d.toLowerCase()));
  const isLocal = (a: string) => locals.has(a.slice(a.lastIndexOf('@') + 1).toLowerCase());

  /** The MAIL FROM for remote hosts: BATV-signed for outbound mail from a local sender (unsigned when the key cannot be read: delivery goes on). */
  async function returnPath(envelope: Envelope, ctx: StageContext, mailId: string): Promise<string> {
    const batv = deps.batv;
    if (!batv?.enabled || envelope.direction !== 'outbound' || !envelope.sender || !isLocal(envelope.sender)) return envelope.sender;
    try {
      return await batv.sign(envelope.sender);
    } catch (err) {
      ctx.log.warn('BATV: could not read the signing key; return path sent unsigned', { mailId, err: err as Error });
      return envelope.sender;
    }
  }

  /** Tries the group's hosts in order until one takes the transaction or refuses it for a reason other than the session. */
  async function deliverGroup(group: RecipientGroup, sender: string, ctx: StageContext, attempted: Map<Recipient, AttemptInfo>, mailId: string) {
    let hosts: Destination[];
    try {
      hosts = (await group.lookup()).slice(0, MAX_HOSTS_PER_ATTEMPT);
    } catch (err) {
      const e = asSmtpError(err);
      for (const r of group.recipients) {
        setStatus(r, e.temporary ? 'deferred' : 'failed', `${e.responseCode} ${e.enhanced} ${e.message}`);
        attempted.set(r, { remote: false });
      }
      ctx.log.info(`no next hop for ${group.key}: ${e.message}`, { mailId });
      return;
    }
    let result: DeliveryResult | null = null;
    let used: Destination | null = null;
    for (const destination of hosts) {
      used = destination;
      try {
        result = await transport.deliver({ destination, from: sender, to: group.recipients.map((r) => r.address), openBody: () => ctx.openBody(), signal: ctx.signal });
      } catch (err) {
        const e = asSmtpError(err);
        result = { tryNext: false, recipients: group.recipients.map((r) => ({ address: r.address, status: 'deferred', response: `${e.responseCode} ${e.enhanced} ${e.message}`, remote: false })) };
      }
      ctx.log.info(`delivery to ${group.key} via ${destination.servername ?? destination.host}[${destination.host}]:${destination.port}`, {
        mailId,
        results: result.recipients.map((r) => `${r.address}: ${r.status} ${r.response}`),
      });
      if (!result.tryNext || ctx.signal.aborted) break;
    }
    if (!result || !used) {
      for (const r of group.recipients) setStatus(r, 'deferred', '451 4.4.4 no next hop found');
      return;
    }
    const remoteMta = used.servername ?? used.host;
    result.recipients.forEach((res, i) => {
      const r = group.recipients[i];
      setStatus(r, res.status, res.response);
      attempted.set(r, res.remote ? { remote: true, remoteMta } : { remote: false });
    });
  }

  return {
    name: 'deliver',
    concurrency: config.delivery.concurrency,
    process,
    transport,
    close: (opts) => transport.close(opts),
  };
}

function setStatus(r: Recipient, status: Recipient['status'], response: string): void {
  r.status = status;
  r.response = response;
}
