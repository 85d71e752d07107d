// Archive policies: an ordered list, the first policy whose every given condition matches
// decides (archive or not); when none matches, the mail is archived. The Subject is read (the
// header block only) just when a policy that could still match asks for it.
import type { Readable } from 'node:stream';
import { MailParser } from 'mailparser';
import type { MailRecord } from '../../core/mail.ts';
import type { ArchivePolicy } from './config.ts';

export interface PolicyDecision {
  archive: boolean;
  /** Name (or "policy N") of the policy that decided; null: the default. */
  policy: string | null;
  /** The deciding policy's retention; undefined: the default retention. */
  retentionDays?: number;
}

/** "*" any characters, "?" one; whole address, case-insensitive. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

interface Compiled {
  name: string;
  p: ArchivePolicy;
  sender?: RegExp[];
  recipient?: RegExp[];
  subject?: RegExp;
}

export class ArchivePolicies {
  private readonly list: Compiled[];

  constructor(policies: ArchivePolicy[]) {
    this.list = policies.map((p, i) => ({
      name: p.name ?? `policy ${i + 1}`,
      p,
      sender: p.sender?.map(globToRegExp),
      recipient: p.recipient?.map(globToRegExp),
      subject: p.subject ? new RegExp(p.subject, 'i') : undefined,
    }));
  }

  /** `subject` is asked for only when a policy that matches so far has a subject condition. */
  async decide(mail: MailRecord, subject: () => Promise<string>): Promise<PolicyDecision> {
    let subj: string | undefined;
    for (const c of this.list) {
      if (!this.envelopeMatches(c, mail)) continue;
      if (c.subject) {
        subj ??= await subject();
        if (!c.subject.test(subj)) continue;
      }
      return c.p.retentionDays === undefined ? { archive: c.p.archive, policy: c.name } : { archive: c.p.archive, policy: c.name, retentionDays: c.p.retentionDays };
    }
    return { archive: true, policy: null };
  }

  private envelopeMatches(c: Compiled, m: MailRecord): boolean {
    const { p } = c;
    const env = m.envelope;
    if (p.direction && !p.direction.includes(env.direction)) return false;
    if (p.source && !p.source.includes(env.source)) return false;
    if (c.sender && !c.sender.some((r) => r.test(env.sender))) return false;
    if (c.recipient && !env.recipients.some((x) => c.recipient!.some((r) => r.test(x.address)))) return false;
    if (p.minSize !== undefined && m.size < p.minSize) return false;
    if (p.maxSize !== undefined && m.size > p.maxSize) return false;
    return true;
  }
}

/** The decoded Subject of a mail, reading no further than its header block (deadline 5 s). */
export async function readSubject(body: Readable): Promise<string> {
  const parser = new MailParser({ skipTextToHtml: true, skipHtmlToText: true, checksumAlgo: false });
  parser.on('data', (d: { type: string; release?: () => void }) => d.release?.());
  parser.on('error', () => undefined);
  const subject = new Promise<string>((resolve) => {
    parser.once('headers', (h) => resolve(String(h.get('subject') ?? '')));
    parser.once('end', () => resolve(''));
    parser.once('error', () => resolve(''));
    setTimeout(() => resolve(''), 5000).unref();
  });
  let seen = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    parser.write(chunk);
    seen += chunk.length;
    const head = chunk.indexOf('\r\n\r\n') >= 0 || chunk.indexOf('\n\n') >= 0;
    if (head || seen > 1024 * 1024) break;
  }
  body.destroy();
  parser.end();
  const s = await subject;
  parser.destroy();
  return s;
}
