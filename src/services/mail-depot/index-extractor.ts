// What the archive's full-text index keeps of a mail: headers (from, to, cc, subject, date,
// message-id), the text body (HTML turned into text when there is no text part), attachment
// names and the text of text attachments. Fed chunk by chunk with mailparser's streaming
// MailParser, within limits: at most `maxParseBytes` of the mail are parsed (mailparser keeps
// inline text parts whole in memory), at most `maxTextBytes` of text are kept, binary
// attachments are read past, and parsing has a deadline. A mail it cannot parse is still
// archived; the extract then says why it is partial.
import { MailParser, type AddressObject, type AttachmentStream, type MessageText } from 'mailparser';
import { feed } from './sealed-blob.ts';

export interface ExtractLimits {
  maxParseBytes: number;
  maxTextBytes: number;
  deadlineMs: number;
}

export interface Extract {
  from: string;
  to: string;
  cc: string;
  subject: string;
  /** Date header, ms; null when absent or not a date. */
  date: number | null;
  messageId: string;
  /** The top-level header fields as [name, value] (unfolded; at most 200). */
  headers: [string, string][];
  text: string;
  attachments: { name: string; contentType: string; size: number }[];
  /** Text of text attachments (within the limit). */
  attachmentText: string;
  /** Why not everything was indexed (size limit, parse error, deadline); null when it was. */
  partial: string | null;
}

/** Kept of a mail's start in case it has no header to parse. */
const RAW_TEXT = 64 * 1024;

const TEXT_ATTACHMENT = /^(text\/|application\/(json|xml|csv)|message\/(rfc822|delivery-status))/;

function addresses(v: unknown): string {
  if (!v) return '';
  const list = (Array.isArray(v) ? v : [v]) as AddressObject[];
  return list
    .map((a) => a?.text ?? '')
    .filter(Boolean)
    .join(', ');
}

function clip(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) : s;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** HTML as plain text for the index: scripts and styles dropped, tags to spaces, entities decoded. */
export function htmlText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(br|p|div|li|tr|h[1-6])\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (e, n: string) => {
      if (n[0] === '#') {
        const code = n[1].toLowerCase() === 'x' ? parseInt(n.slice(2), 16) : parseInt(n.slice(1), 10);
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[n.toLowerCase()] ?? e;
    })
    .replace(/[ \t]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n')
    .trim();
}

function decodeText(b: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset || 'utf-8').decode(b);
  } catch {
    return b.toString('utf8');
  }
}

export class IndexExtractor {
  private readonly parser = new MailParser({
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    maxHtmlLengthToParse: 2 * 1024 * 1024,
    checksumAlgo: false,
  });
  private fed = 0;
  private stopped = false;
  /** The start of the mail as it came: the text of a mail without a readable header. */
  private readonly head: Buffer[] = [];
  private headLen = 0;
  private failed: string | null = null;
  private readonly out: Extract = {
    from: '',
    to: '',
    cc: '',
    subject: '',
    date: null,
    messageId: '',
    headers: [],
    text: '',
    attachments: [],
    attachmentText: '',
    partial: null,
  };
  private readonly ended: Promise<void>;

  constructor(private readonly limits: ExtractLimits) {
    const p = this.parser;
    p.on('headers', (h) => {
      this.out.from = addresses(h.get('from'));
      this.out.to = addresses(h.get('to'));
      this.out.cc = [addresses(h.get('cc')), addresses(h.get('bcc'))].filter(Boolean).join(', ');
      const subject = h.get('subject');
      this.out.subject = clip(typeof subject === 'string' ? subject : '', 2000);
      const date = h.get('date');
      this.out.date = date instanceof Date && !Number.isNaN(date.getTime()) ? date.getTime() : null;
      const mid = h.get('message-id');
      this.out.messageId = clip(typeof mid === 'string' ? mid : '', 1000);
    });
    p.on('headerLines', (lines: { key: string; line: string }[]) => {
      this.out.headers = lines
        .filter((l) => /^[!-9;-~]+[ \t]*:/.test(l.line))
        .slice(0, 200)
        .map((l) => {
          const i = l.line.indexOf(':');
          return [l.line.slice(0, i).trim(), clip(l.line.slice(i + 1).replace(/\r?\n[ \t]+/g, ' ').trim(), 4000)];
        });
    });
    p.on('data', (d: AttachmentStream | MessageText) => {
      if (d.type === 'text') {
        // mailparser turns HTML into text only for an HTML-only message or alternative; an
        // HTML part beside attachments stays HTML, so the index makes its own text of it.
        const text = d.text || (d.html ? htmlText(d.html.slice(0, 4 * this.limits.maxTextBytes)) : '');
        this.out.text = clip(text, this.limits.maxTextBytes);
        return;
      }
      this.attachment(d);
    });
    this.ended = new Promise<void>((resolve) => {
      p.once('end', resolve);
      p.once('error', (err: Error) => {
        this.failed ??= `parse error: ${err.message}`;
        resolve();
      });
    });
  }

  private attachment(a: AttachmentStream): void {
    const entry = { name: a.filename ?? '', contentType: a.contentType, size: 0 };
    this.out.attachments.push(entry);
    const textual = TEXT_ATTACHMENT.test(a.contentType);
    const chunks: Buffer[] = [];
    let kept = 0;
    const room = () => this.limits.maxTextBytes - this.out.attachmentText.length - kept;
    a.content.on('data', (c: Buffer) => {
      entry.size += c.length;
      if (textual && room() > 0) {
        chunks.push(c);
        kept += c.length;
      }
    });
    a.content.once('end', () => {
      if (chunks.length) {
        const params = (a.headers?.get('content-type') as { params?: Record<string, string> } | undefined)?.params;
        let text = decodeText(Buffer.concat(chunks), params?.charset);
        if (/html/.test(a.contentType)) text = htmlText(text);
        this.out.attachmentText = clip(`${this.out.attachmentText}\n${text}`, this.limits.maxTextBytes);
      }
      a.release?.();
    });
    a.content.once('error', () => a.release?.());
  }

  /** Feeds the next chunk of the mail; past the parse limit the rest is not parsed. */
  async write(chunk: Buffer): Promise<void> {
    if (this.stopped || this.failed) return;
    const room = this.limits.maxParseBytes - this.fed;
    if (room <= 0) {
      this.stopped = true;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.fed += part.length;
    const keep = Math.min(RAW_TEXT, this.limits.maxTextBytes) - this.headLen;
    if (keep > 0) {
      this.head.push(part.subarray(0, keep));
      this.headLen += Math.min(keep, part.length);
    }
    try {
      await feed(this.parser, part);
    } catch (err) {
      this.failed ??= `parse error: ${(err as Error).message}`;
    }
    if (part.length < chunk.length) this.stopped = true;
  }

  /** Ends parsing (within the deadline) and returns what was found. */
  async finish(): Promise<Extract> {
    if (!this.failed) this.parser.end();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.ended.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), this.limits.deadlineMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.failed ??= `parsing took longer than ${this.limits.deadlineMs} ms`;
      this.parser.destroy();
    }
    if (!this.out.headers.length && !this.out.text) {
      // Not a mail as mailparser sees one (no header): index what it says as text.
      this.out.text = Buffer.concat(this.head).toString('utf8');
    }
    const reasons = [this.stopped ? `only the first ${this.limits.maxParseBytes} bytes were parsed` : null, this.failed].filter(Boolean);
    this.out.partial = reasons.length ? reasons.join('; ') : null;
    return this.out;
  }
}
