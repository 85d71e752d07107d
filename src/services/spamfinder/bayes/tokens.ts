// The Bayes classifier's view of a mail: a set of tokens from the decoded text (words, URL hosts,
// HTML hints) and from selected headers, each prefixed by where it came from, hashed to 53-bit
// integers for the token table. Only the first MAX_INPUT bytes of a mail are read.
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { ruleHits, siteOf } from '../rules/rules.ts';

/** A mail is classified on its first 256 KiB: enough text, bounded memory and time. */
export const MAX_INPUT = 256 * 1024;
/** Text beyond this many characters adds nothing the classifier needs. */
const MAX_TEXT = 64 * 1024;

export interface MailTokens {
  /** Unique token strings (for explanations and tests). */
  words: string[];
  /** Their hashes, same order. */
  hashes: number[];
  /** Identifies the mail for learning (learning it twice is a no-op). */
  digest: string;
  subject: string;
  /** Header From address, lower-cased ("" when none). */
  from: string;
  /** The decoded text (plain, or HTML without tags), at most 64 KiB: for fuzzy fingerprints. */
  text: string;
  /** List, bulk or automatic mail (List-Id, List-Unsubscribe, Precedence, Auto-Submitted): never challenged. */
  bulk: boolean;
  /** Names of the content rules the mail hits (rules/rules.ts). */
  rules: string[];
  /** Where the mail comes from: "list:<List-Id>", else "from:<sender's site>" ("none"): calibration leaves a source out. */
  source: string;
}

/** cyrb53: a fast, well-mixed 53-bit string hash (fits a JS number and an SQLite INTEGER). */
export function hashToken(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'$€£%.\-_]*[\p{L}\p{N}$%]|[\p{L}\p{N}$]/gu;
const URL = /\b(?:https?|ftp):\/\/([^\s/"'<>()?#:]+)[^\s"'<>()]*/gi;
const EMAIL = /[\w.+-]+@([\w-]+(?:\.[\w-]+)+)/g;

function addWords(out: Set<string>, text: string, prefix: string): void {
  for (const m of text.matchAll(WORD)) {
    let w = m[0].toLowerCase();
    if (w.length < 3) {
      if (/[$€£%!]/.test(w)) out.add(prefix + w);
      continue;
    }
    if (w.length > 20) {
      // Long strings (encoded junk, hashes) say "long word" and how it starts, not what it is.
      out.add(`${prefix}skip:${w[0]}:${Math.min(10, Math.floor(w.length / 10)) * 10}`);
      continue;
    }
    if (/^\d[\d.,-]*$/.test(w)) {
      out.add(`${prefix}num:${w.length}`);
      continue;
    }
    w = w.replace(/[.\-_']+$/, '');
    out.add(prefix + w);
  }
}

/**
 * Body text as SpamBayes splits it: on white space only, so punctuation stays part of a token
 * ("free!", "$19.99", "(click") and carries its signal; 3 to 12 characters kept as they are,
 * longer ones summarised.
 */
function addBodyWords(out: Set<string>, text: string): void {
  for (const raw of text.split(/\s+/)) {
    const w = raw.toLowerCase();
    const n = w.length;
    if (n < 3) continue;
    if (n <= 12) out.add(w);
    else if (w.includes('@')) {
      const [name, dom] = w.split('@', 2);
      out.add(`email name:${name.replace(/^\W+/, '')}`);
      if (dom) hostTokens(out, dom.replace(/\W+$/, ''), 'email:');
    } else out.add(`skip:${w[0]}:${Math.min(Math.floor(n / 10) * 10, 100)}`);
  }
}

function hostTokens(out: Set<string>, host: string, prefix: string): void {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(h)) {
    out.add(`${prefix}ip`);
    return;
  }
  const parts = h.split('.');
  // The registrable end and each parent: "url:example.com", "url:mail.example.com".
  for (let i = Math.max(0, parts.length - 4); i < parts.length - 1; i++) out.add(prefix + parts.slice(i).join('.'));
}

function addresses(a: AddressObject | AddressObject[] | undefined): { address: string; name: string }[] {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list.flatMap((x) => x.value.map((v) => ({ address: (v.address ?? '').toLowerCase(), name: v.name ?? '' })));
}

/** A URL as SpamBayes cracks it: the protocol, the host and its parents, and the path's words. */
function urlTokens(out: Set<string>, m: RegExpMatchArray): void {
  const url = m[0].toLowerCase();
  out.add(`proto:${url.slice(0, url.indexOf(':'))}`);
  hostTokens(out, m[1], 'url:');
  const path = url.slice(url.indexOf(m[1].toLowerCase()) + m[1].length);
  let n = 0;
  for (const piece of path.split(/[/?=&#.:;_-]+/)) {
    if (piece.length < 3 || piece.length > 20 || /^\d+$/.test(piece)) continue;
    out.add(`url:/${piece}`);
    if (++n >= 8) break;
  }
}

/** MIME structure from the raw header lines of every part: content types, charsets, encodings. */
function mimeTokens(out: Set<string>, raw: string): void {
  for (const m of raw.matchAll(/^content-type:[ \t]*([\w.+-]+\/[\w.+-]+)/gim)) out.add(`ctype:${m[1].toLowerCase()}`);
  for (const m of raw.matchAll(/\bcharset=["']?([\w.:-]+)/gi)) out.add(`charset:${m[1].toLowerCase()}`);
  for (const m of raw.matchAll(/^content-transfer-encoding:[ \t]*([\w-]+)/gim)) out.add(`cte:${m[1].toLowerCase()}`);
  for (const m of raw.matchAll(/^content-disposition:[ \t]*([\w-]+)/gim)) out.add(`cdisp:${m[1].toLowerCase()}`);
}

/** Strips tags and scripts from HTML, keeping what a reader sees, plus a few tag hints as tokens. */
function htmlText(html: string, out: Set<string>): string {
  const lower = html.slice(0, MAX_TEXT * 2).toLowerCase();
  for (const tag of ['<form', '<script', '<iframe', 'display:none']) {
    if (lower.includes(tag)) out.add(`html:${tag}`);
  }
  return lower
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&[a-z]+;|&#\d+;/g, ' ');
}

/** Headers whose number of occurrences is a token (SpamBayes' "safe headers"). */
const COUNTED_HEADERS = ['abuse-reports-to', 'date', 'errors-to', 'from', 'importance', 'in-reply-to', 'message-id', 'mime-version', 'organization', 'received', 'reply-to', 'return-path', 'subject', 'to', 'user-agent', 'x-mailer', 'x-mailing-list', 'x-mailman-version', 'x-mimeole', 'x-msmail-priority', 'x-priority', 'x-virus-scanned', 'list-unsubscribe', 'references'];

const HEADER_WORDS = ['x-mailer', 'user-agent', 'x-priority', 'x-msmail-priority', 'precedence', 'list-id', 'organization'];

/**
 * Whether the headers agree with each other, as real mail systems write them and forged mail
 * often does not: Message-ID, Reply-To and Return-Path against the From site, the Date's zone and
 * shape, undisclosed or self-addressed recipients, an encoded subject.
 */
function consistencyTokens(out: Set<string>, p: ParsedMail): void {
  const from = addresses(p.from)[0];
  const fromSite = from && from.address.includes('@') ? siteOf(from.address.slice(from.address.lastIndexOf('@') + 1)) : '';
  const compare = (what: string, address: string | undefined) => {
    if (!address || !fromSite) return;
    const at = address.lastIndexOf('@');
    out.add(`${what}:${at > 0 && siteOf(address.slice(at + 1).replace(/>$/, '')) === fromSite ? 'same-site' : 'other-site'}`);
  };
  compare('mid', p.messageId ?? undefined);
  compare('reply-to', addresses(p.replyTo)[0]?.address);
  const rp = (p.headerLines ?? []).find((l) => l.key === 'return-path')?.line ?? '';
  compare('return-path', /<?([^<>\s]*@[^<>\s]+)>?/.exec(rp)?.[1]);
  if (from && from.name && /@/.test(from.name)) out.add('fromname:(address)');
  if (from && !from.name) out.add('fromname:(none)');
  const date = (p.headerLines ?? []).find((l) => l.key === 'date')?.line.slice(5).trim() ?? '';
  if (!date) out.add('date:(none)');
  else {
    const zone = /([+-]\d{4}|[A-Z]{2,4})\s*(\(.*\))?$/.exec(date)?.[1];
    out.add(`date:zone:${zone ?? '(none)'}`);
    if (!/^\w{3},/.test(date)) out.add('date:(no weekday)');
    if (!/\d{1,2}:\d{2}:\d{2}/.test(date)) out.add('date:(no seconds)');
  }
  const to = addresses(p.to);
  if (!to.length) out.add('to:(none)');
  else if (to.some((t) => !t.address.includes('@'))) out.add('to:(undisclosed)');
  if (from && to.length === 1 && to[0].address === from.address) out.add('to:(self)');
  const rawSubject = (p.headerLines ?? []).find((l) => l.key === 'subject')?.line ?? '';
  if (/=\?[^?]+\?[bq]\?/i.test(rawSubject)) out.add('s:(encoded)');
}

/** Tokens of a parsed mail. */
/** What a reader sees of the mail: the plain text, else the HTML without tags. */
export function bodyText(p: ParsedMail): string {
  const text = (p.text ?? '').slice(0, MAX_TEXT);
  if (text.trim() || !p.html) return text;
  return htmlText(p.html, new Set()).slice(0, MAX_TEXT);
}

export function tokensOf(p: ParsedMail, raw = ''): Set<string> {
  const out = new Set<string>();
  mimeTokens(out, raw);
  const subject = p.subject ?? '';
  addWords(out, subject, 's:');
  if (!subject) out.add('s:(none)');
  if (/[A-Z]{4,}/.test(subject) && subject === subject.toUpperCase()) out.add('s:(shouting)');
  if (/!{2,}|\$\d/.test(subject)) out.add('s:(punct)');

  for (const f of addresses(p.from)) {
    const at = f.address.lastIndexOf('@');
    if (at > 0) hostTokens(out, f.address.slice(at + 1), 'from:');
    else out.add('from:(none)');
    addWords(out, f.name, 'fromname:');
  }
  if (!p.from) out.add('from:(none)');
  const to = addresses(p.to).length + addresses(p.cc).length;
  out.add(`to:${to === 0 ? 'none' : to === 1 ? 'one' : to < 5 ? 'few' : 'many'}`);
  const mid = (p.messageId ?? '').toLowerCase();
  const midHost = /@([^>]+)>?$/.exec(mid);
  if (midHost) hostTokens(out, midHost[1], 'mid:');
  else out.add('mid:(none)');

  const lines = p.headerLines ?? [];
  // Only headers that are there count: that one is missing says little about a sender Bayes never
  // saw (a training corpus of list mail makes "no X-Mailman-Version" a spam sign; chosen by
  // cross-validation with ham split by source, bench/spam.ts). Missing Date/Message-ID are rules.
  for (const name of COUNTED_HEADERS) {
    let n = 0;
    for (const l of lines) if (l.key === name) n++;
    if (n) out.add(`header:${name}:${n}`);
  }
  for (const name of HEADER_WORDS) {
    const v = p.headers.get(name);
    if (v === undefined) continue;
    const s = typeof v === 'string' ? v : typeof v === 'object' && v && 'value' in v ? String((v as { value: unknown }).value) : String(v);
    addWords(out, s.slice(0, 200), `${name}:`);
  }
  consistencyTokens(out, p);
  for (const a of p.attachments ?? []) {
    out.add(`att:${(a.contentType ?? 'unknown').toLowerCase()}`);
    const ext = /\.([a-z0-9]{1,5})$/i.exec(a.filename ?? '');
    if (ext) out.add(`att:.${ext[1].toLowerCase()}`);
  }

  let text = (p.text ?? '').slice(0, MAX_TEXT);
  if (p.html) {
    const h = htmlText(p.html, out);
    if (!text.trim()) {
      text = h.slice(0, MAX_TEXT);
      out.add('html:only');
    }
    for (const m of p.html.slice(0, MAX_TEXT * 2).matchAll(URL)) urlTokens(out, m);
  }
  for (const m of text.matchAll(URL)) urlTokens(out, m);
  for (const m of text.matchAll(EMAIL)) hostTokens(out, m[1], 'email:');
  addBodyWords(out, text.replace(URL, ' '));
  return out;
}

function headerText(p: ParsedMail, name: string): string {
  const v = p.headers.get(name);
  if (v === undefined) return '';
  return typeof v === 'string' ? v : typeof v === 'object' && v && 'value' in v ? String((v as { value: unknown }).value) : String(v);
}

/** Mailing-list, bulk or auto-submitted mail (RFC 2369, RFC 3834, Precedence). */
export function isBulk(p: ParsedMail): boolean {
  // mailparser folds the List-* headers into one "list" entry; the raw lines say it plainly.
  if ((p.headerLines ?? []).some((l) => l.key === 'list-id' || l.key === 'list-unsubscribe' || l.key === 'list-post')) return true;
  if (/^(bulk|list|junk)$/i.test(headerText(p, 'precedence').trim())) return true;
  const auto = headerText(p, 'auto-submitted').trim().toLowerCase();
  return auto !== '' && auto !== 'no';
}

/**
 * Parses (the first MAX_INPUT bytes of) a raw mail and returns its tokens. `envelopeSender`: the
 * SMTP MAIL FROM, for the rules when the mail has no Return-Path: yet (as on arrival; a mailbox
 * copy has one, written at delivery).
 */
/** A mail's source: its list (List-Id), else the site of its From address. */
export function sourceOf(p: ParsedMail): string {
  // From the raw line: mailparser folds List-Id into its own "list" structure.
  const line = (p.headerLines ?? []).find((l) => l.key === 'list-id')?.line ?? '';
  const id = line.slice(line.indexOf(':') + 1).replace(/\s+/g, ' ');
  const list = /<([^>]+)>/.exec(id)?.[1] ?? id.trim();
  if (list) return `list:${list.toLowerCase()}`;
  const from = addresses(p.from)[0]?.address ?? '';
  const at = from.lastIndexOf('@');
  return at > 0 ? `from:${siteOf(from.slice(at + 1))}` : 'none';
}

export async function mailTokens(raw: Buffer, opts: { envelopeSender?: string } = {}): Promise<MailTokens> {
  const input = raw.length > MAX_INPUT ? raw.subarray(0, MAX_INPUT) : raw;
  const parsed = await simpleParser(input, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
  const head = input.toString('latin1');
  const words = [...tokensOf(parsed, head)];
  const text = bodyText(parsed);
  const html = typeof parsed.html === 'string' ? parsed.html.slice(0, MAX_TEXT * 2).toLowerCase() : '';
  const returnPath = (parsed.headerLines ?? []).find((l) => l.key === 'return-path')?.line.slice(12).trim() ?? opts.envelopeSender ?? '';
  const rules = ruleHits({ parsed, raw: head, text: (parsed.text ?? '').slice(0, MAX_TEXT), html, visible: text, returnPath });
  return {
    words,
    hashes: words.map(hashToken),
    digest: createHash('sha256').update(input).digest('hex').slice(0, 40),
    subject: parsed.subject ?? '',
    from: addresses(parsed.from)[0]?.address ?? '',
    text,
    bulk: isBulk(parsed),
    rules,
    source: sourceOf(parsed),
  };
}
