// CISS (challenge-response) for recipients whose profile has `ciss: true`: mail that passed every
// spam filter but comes from a sender the recipient does not know waits in quarantine:ciss, and
// the sender gets one mail with a signed confirmation link. Known: the recipient wrote to the
// sender (outgoing mail, until `ciss.knownFor`) or has the sender on its own allow list (a
// confirmation puts it there). No backscatter: no challenge to the null sender, to mail that
// failed SPF or DMARC, to list / bulk / auto-submitted mail, or twice per sender per period.
import { randomUUID } from 'node:crypto';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import type { Envelope, GeneratedMail } from '../../core/mail.ts';
import type { ClaimedMail, SpamStore } from '../../store/store.ts';
import { rfc5322Date } from '../smtp-sender/dsn.ts';
import type { MailTokens } from './bayes/tokens.ts';
import type { SpamfinderConfig } from './config.ts';
import { profileFor } from './profiles.ts';
import type { LinkSigner } from './reports/link-signer.ts';

export const CISS_CONFIRM_PATH = '/ciss/confirm';

export interface CissHold {
  reason: string;
  challenge: GeneratedMail | null;
  /** Why no challenge was sent, when none was. */
  noChallenge?: string;
}

export class Ciss {
  constructor(
    private readonly d: {
      config: SpamfinderConfig;
      hostname: string;
      domains: string[];
      store: SpamStore;
      signer: LinkSigner;
      baseUrl: string;
    },
  ) {}

  /** Does any profile use CISS? */
  static wanted(cfg: SpamfinderConfig): boolean {
    return Object.values(cfg.profiles).some((p) => p.ciss);
  }

  private isLocal(address: string): boolean {
    const dom = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    return this.d.domains.some((x) => x.toLowerCase() === dom);
  }

  /** Outgoing mail: its external recipients become known senders for the local sender. */
  async rememberOutbound(env: Envelope): Promise<void> {
    if (!env.sender || !this.isLocal(env.sender)) return;
    const pairs = env.recipients.filter((r) => !this.isLocal(r.address)).map((r) => ({ recipient: env.sender, sender: r.address }));
    await this.d.store.cissRemember(pairs, Date.now() + this.d.config.ciss.knownFor);
  }

  /**
   * Whether CISS lets mail from `sender` through to `recipient` without a challenge: a recipient it
   * does not watch (not local, or its profile has no CISS) always; a watched one when it knows the
   * sender. The null sender is never known.
   */
  async lets(recipient: string, sender: string): Promise<boolean> {
    if (!this.isLocal(recipient) || !profileFor([recipient], this.d.config).profile.ciss) return true;
    return !!sender && (await this.d.store.cissKnown(recipient, sender.toLowerCase(), Date.now()));
  }

  /** For clean inbound mail: null when it may pass, else the hold (and the challenge to send). */
  async check(mail: ClaimedMail, t: MailTokens | null): Promise<CissHold | null> {
    const env = mail.envelope;
    const watched = env.recipients.map((r) => r.address).filter((a) => this.isLocal(a) && profileFor([a], this.d.config).profile.ciss);
    if (!watched.length) return null;
    const now = Date.now();
    const sender = env.sender.toLowerCase();
    if (sender) {
      let known = true;
      for (const r of watched) if (!(await this.d.store.cissKnown(r, sender, now))) known = false;
      if (known) return null;
    }
    const reason = `CISS: ${sender || 'the null sender'} is not known to ${watched.join(', ')}; waiting for the sender to confirm`;
    const auth = env.meta?.auth as { spf?: string; dmarc?: { result?: string } | null } | undefined;
    const noChallenge = !sender
      ? 'null sender'
      : auth?.spf === 'fail' || auth?.dmarc?.result === 'fail'
        ? 'SPF or DMARC failed'
        : t?.bulk
          ? 'list, bulk or auto-submitted mail'
          : !(await this.d.store.cissChallenge(sender, now - this.d.config.ciss.challengeEvery, now))
            ? 'challenged already in this period'
            : null;
    if (noChallenge) return { reason, challenge: null, noChallenge };
    const exp = now + this.d.config.ciss.linkTtl;
    const link = `${this.d.baseUrl.replace(/\/$/, '')}${CISS_CONFIRM_PATH}?t=${this.d.signer.sign({ mailId: mail.id, recipient: sender, exp })}`;
    return { reason, challenge: this.challengeMail(sender, watched, t?.subject ?? '', link, exp, now) };
  }

  private challengeMail(sender: string, recipients: string[], subject: string, link: string, exp: number, now: number): GeneratedMail {
    const clean = (s: string) => s.replace(/[\r\n\t]+/g, ' ').slice(0, 120);
    const text = [
      `Your mail to ${recipients.join(', ')}${subject ? ` ("${clean(subject)}")` : ''} is waiting.`,
      '',
      'The recipient accepts mail from senders they have not written to only after the sender',
      'confirms once that the mail is really theirs. Please open this link and confirm:',
      '',
      link,
      '',
      `The link works until ${new Date(exp).toUTCString()}. You will not be asked again for mail to`,
      'the same recipient. If you did not send this mail, ignore this message: nothing more happens.',
      '',
      `-- Gatehouse on ${this.d.hostname}`,
      '',
    ].join('\r\n');
    const head = [
      `From: Gatehouse <postmaster@${this.d.hostname}>`,
      `To: <${sender}>`,
      `Subject: Please confirm your mail to ${recipients[0]}`,
      `Date: ${rfc5322Date(now)}`,
      `Message-ID: <${randomUUID()}@${this.d.hostname}>`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '',
    ].join('\r\n');
    const body = Buffer.from(head + qpWrap(qpEncode(Buffer.from(text, 'utf8')), 76).replace(/\r?\n/g, '\r\n'), 'utf8');
    return {
      envelope: { sender: '', recipients: [{ address: sender, status: 'pending' }], direction: 'outbound', source: 'ciss' },
      body,
      queue: 'deliver',
    };
  }
}
