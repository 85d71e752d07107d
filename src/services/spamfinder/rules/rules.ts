// The rule layer of the content filter: generic, documented signals of spam and of wanted mail
// (as SpamAssassin's header/body/URI rules), each a yes/no test over the parsed mail. Rules name
// well-known tricks and mail-system habits, never words or senders of one corpus; their weights
// are learned (weights.ts), not set here. Every rule reads only the mail, so it works untrained.
import type { ParsedMail } from 'mailparser';

/** What the rules look at, prepared once per mail. */
export interface RuleInput {
  parsed: ParsedMail;
  /** The raw mail as read (latin1, at most the classifier's input size): MIME part headers included. */
  raw: string;
  /** Plain text part ("" when none). */
  text: string;
  /** HTML part, lower-cased ("" when none). */
  html: string;
  /** What a reader sees: plain text, else the HTML without tags. */
  visible: string;
  /** The envelope sender: the Return-Path: header, else the SMTP MAIL FROM the stage knows ("" when none). */
  returnPath: string;
}

export interface Rule {
  name: string;
  /** One line for admins: what the rule finds and why it matters. */
  describe: string;
  /** Counts for spam (true) or for wanted mail (false); the learned weight decides how much. */
  spammy: boolean;
  test(m: RuleInput): boolean;
}

const header = (m: RuleInput, name: string): string => {
  const l = (m.parsed.headerLines ?? []).find((x) => x.key === name);
  return l ? l.line.slice(l.line.indexOf(':') + 1).trim() : '';
};
const has = (m: RuleInput, name: string) => (m.parsed.headerLines ?? []).some((x) => x.key === name);

/** The last two labels of a host name (enough to compare two hosts of one site). */
export function siteOf(host: string): string {
  return host.toLowerCase().replace(/\.$/, '').split('.').slice(-2).join('.');
}

const hostOf = (url: string): string | null => /^[a-z][a-z0-9+.-]*:\/\/(?:[^/@\s]*@)?([^/:?#\s]+)/i.exec(url.trim())?.[1]?.toLowerCase() ?? null;

/** Anchors whose visible text shows a web address on another site than the link goes to (phishing's classic). */
function linkMismatch(html: string): boolean {
  for (const a of html.slice(0, 256 * 1024).matchAll(/<a\s[^>]*href\s*=\s*["']?([^"'\s>]+)[^>]*>([\s\S]{0,300}?)<\/a>/g)) {
    const target = hostOf(a[1]);
    if (!target) continue;
    const shown = a[2].replace(/<[^>]*>/g, '').trim();
    const m = /^(?:https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?:[/:?#]\S*)?$/i.exec(shown);
    if (m && (/^https?:\/\//i.test(shown) || /^www\./i.test(shown)) && siteOf(m[1]) !== siteOf(target)) return true;
  }
  return false;
}

/**
 * A subject ending in a run of spaces before a last word, or in a random id (letters and digits
 * mixed, 5+ characters: "xkq7z8"). A trailing plain number is not enough: dates ("April 16, 2007"),
 * issue and order numbers end wanted subjects every day (found on the TREC 2007 corpus' ham).
 */
function subjectTrailingId(subject: string): boolean {
  return /\s{3,}\S+\s*$|[\s_-]+(?=\w*\d)(?=\w*[a-z])\w{5,}\s*$/i.test(subject);
}

/** Parses an RFC 5322 date (as in Date: or at the end of Received:), in ms, or NaN. */
function when(s: string): number {
  return Date.parse(s.replace(/\([^)]*\)/g, '').trim());
}

/** The newest Received: stamp (the top one), in ms, or NaN. */
function receivedAt(m: RuleInput): number {
  const l = (m.parsed.headerLines ?? []).find((x) => x.key === 'received');
  if (!l) return NaN;
  const semi = l.line.lastIndexOf(';');
  return semi < 0 ? NaN : when(l.line.slice(semi + 1));
}

const fromSite = (m: RuleInput): string | null => {
  const d = /@([a-z0-9.-]+\.[a-z]{2,})/i.exec(header(m, 'from'))?.[1];
  return d ? siteOf(d) : null;
};

/** The hosts a Received: line names for the sending side: "from HELO (RDNS [IP])". */
function relayHosts(line: string): string[] {
  const from = /\bfrom\s+([^\s;()]+)(?:\s*\(([^)]*)\))?/i.exec(line.replace(/\s+/g, ' '));
  if (!from) return [];
  const inner = (from[2] ?? '').split(/[\s[\]]+/).filter((x) => /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(x) && !/^\d+\.\d+\.\d+\.\d+$/.test(x));
  return [from[1], ...inner].map((h) => h.toLowerCase());
}
/** An IPv4 or IPv6 address that is not on the public internet (private, loopback, link-local, unique local). */
function privateIp(ip: string): boolean {
  return /^(10\.|127\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|0\.)/.test(ip) || /^(::1$|f[cd]|fe80:)/i.test(ip);
}

/** What a Received: line says of its sending side: the greeting, the address, the names found for it. */
function hop(raw: string): { helo: string; ip: string | null; names: string[]; by: string | null } | null {
  const line = raw.replace(/\s+/g, ' ');
  const from = /^received: from (\S*)(.*?)(?: by (\S+)|;|$)/i.exec(line);
  if (!from) return null;
  const rest = from[2];
  const ip = /\[(?:ipv6:)?([0-9a-f.:]+)\]/i.exec(rest)?.[1] ?? /\((\d+\.\d+\.\d+\.\d+)\)/.exec(rest)?.[1] ?? /^\[?(\d+\.\d+\.\d+\.\d+)\]?$/.exec(from[1])?.[1] ?? null;
  // Exim and qmail name the greeting apart ("helo=x", "HELO x"); the others put it first.
  const heloParam = /\bhelo[= ]([^\s)\]"]+)/i.exec(rest)?.[1];
  const helo = (heloParam ?? from[1]).toLowerCase();
  // The names the receiving server found for the client, not what the client said of itself: a
  // spammer greeting as the receiving site's own server must not pass for one of its hops.
  const names = [...(heloParam ? [from[1]] : []), ...rest.replace(/\bhelo[= ][^\s)\]"]+/gi, ' ').split(/[\s()[\]@]+/)]
    .filter((x) => /^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$/i.test(x))
    .map((x) => x.toLowerCase());
  return { helo, ip, names, by: from[3]?.toLowerCase() ?? null };
}

/**
 * The client that handed the mail to the first server of a site: the newest Received: line whose
 * sending side has a public address and is not a server of the receiving site itself (a hop inside
 * the site, from loopback or a private network is passed over). Reads the common forms: ours,
 * Sendmail's and Postfix' "from HELO (RDNS [IP])", Exim's "from RDNS ([IP] helo=HELO)", qmail's
 * "from RDNS (HELO helo) (IP)". `direct`: there is no older Received: line at all, so this client
 * is where the mail began (a mail program talking straight to a site's MX; a list server's own
 * lines, even without addresses — qmail's "invoked from network" —, show the mail came from elsewhere).
 */
export function firstExternalClient(lines: readonly string[]): { helo: string; ip: string; direct: boolean } | null {
  const hops = lines.slice(0, 12).map(hop);
  for (const [i, h] of hops.entries()) {
    if (!h?.ip || privateIp(h.ip)) continue;
    if (h.by && h.names.some((n) => siteOf(n) === siteOf(h.by!))) continue;
    return { helo: h.helo, ip: h.ip, direct: i === lines.length - 1 };
  }
  return null;
}

/** Written by a desktop mail program (by its X-Mailer / User-Agent; not X-MimeOLE, which server-side CDO writes too). */
const desktopMua = (m: RuleInput) => /outlook|thunderbird|eudora|the bat!|windows (live )?mail|apple mail|evolution|kmail|claris|pegasus/i.test(header(m, 'x-mailer') + ' ' + header(m, 'user-agent'));

/** A HELO/EHLO name RFC 5321 does not allow from the internet: no domain name, localhost, a bare IP. An address literal is allowed. */
function heloBogus(helo: string): boolean {
  if (/^\[(ipv6:)?[0-9a-f.:]+\]$/i.test(helo)) return false;
  if (/^localhost(\.|$)/i.test(helo)) return true;
  return !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.[a-z]{2,}\.?$/i.test(helo);
}

const receivedLines = (m: RuleInput) => (m.parsed.headerLines ?? []).filter((x) => x.key === 'received').map((x) => x.line);
/** Host names of consumer access lines (dial-up, DSL, cable, pools): mail servers are not named so. */
const DYNAMIC = /(^|[.-])(dial|dialup|dsl|adsl|xdsl|ppp|pppoe|pool|dyn|dynamic|dhcp|cable|catv|modem|client|cpe|user)[.\d-]|\d{1,3}[.-]\d{1,3}[.-]\d{1,3}[.-]\d{1,3}[.-]/i;

/**
 * A text part (not an attachment) sent in base64 whose decoded text is plain 7-bit ASCII: mail
 * programs use base64 for 8-bit text (UTF-8, Latin-1); ASCII in base64 hides words. Reads the raw
 * part headers (mailparser does not keep a part's transfer encoding), within the first 64 KiB.
 */
function base64WithoutNeed(raw: string): boolean {
  const src = raw.slice(0, 64 * 1024);
  const cte = /content-transfer-encoding:[ \t]*"?base64/gi;
  for (let hit = cte.exec(src); hit; hit = cte.exec(src)) {
    // The part's header block starts after the last blank line or boundary line before it.
    const start = Math.max(src.lastIndexOf('\n\n', hit.index), src.lastIndexOf('\n\r\n', hit.index), src.lastIndexOf('\n--', hit.index));
    const blank = /\r?\n\r?\n/g;
    blank.lastIndex = hit.index;
    const end = blank.exec(src);
    if (!end) return false;
    const headers = src.slice(start < 0 ? 0 : start, end.index).replace(/\r?\n[ \t]+/g, ' ');
    const type = /^content-type:[ \t]*([^;\s]+)/im.exec(headers)?.[1]?.toLowerCase();
    // A top-level part without Content-Type is text/plain (RFC 2045 §5.2); a name makes it a file.
    if ((type && type !== 'text/plain' && type !== 'text/html') || /^content-disposition:[ \t]*attachment|\b(file)?name\*?=/im.test(headers)) continue;
    let b64 = '';
    for (const line of src.slice(end.index + end[0].length).split('\n')) {
      const l = line.trim();
      if (!/^[A-Za-z0-9+/]+=*$/.test(l)) break;
      b64 += l;
      if (b64.length >= 8192) break;
    }
    const text = Buffer.from(b64.slice(0, b64.length - (b64.length % 4)), 'base64');
    if (text.length >= 20 && text.every((c) => c < 0x80)) return true;
  }
  return false;
}

/** The big free-mail providers' sites, each with the sites its own mail servers are named in (Gmail sends from google.com). */
const MICROSOFT = ['hotmail.com', 'outlook.com', 'live.com', 'msn.com'];
const FREEMAIL_RELAYS = new Map<string, string[]>([
  ['gmail.com', ['google.com', 'gmail.com']],
  ['googlemail.com', ['google.com', 'gmail.com']],
  ...MICROSOFT.map((d): [string, string[]] => [d, MICROSOFT]),
  ['yahoo.com', ['yahoo.com', 'yahoodns.net']],
  ['aol.com', ['aol.com', 'yahoo.com', 'yahoodns.net']],
  ...['excite.com', 'juno.com', 'netscape.net', 'lycos.com', 'mail.com'].map((d): [string, string[]] => [d, [d]]),
]);
const FREEMAIL = new Set(FREEMAIL_RELAYS.keys());
/** Mail from a free-mail address that no Received: line shows passing the provider's own servers. */
function freemailForged(m: RuleInput): boolean {
  const f = fromSite(m);
  const relays = f ? FREEMAIL_RELAYS.get(f) : undefined;
  if (!relays) return false;
  // Any mention of a provider site in a Received: line (from, by, or the provider's own "from mail
  // pickup service by hotmail.com") counts: the rule is after mail that never touched the provider.
  return !receivedLines(m).some((l) => {
    const line = l.toLowerCase();
    return relays.some((r) => {
      for (let i = line.indexOf(r); i >= 0; i = line.indexOf(r, i + 1)) if (i === 0 || !/[a-z0-9-]/.test(line[i - 1])) return true;
      return false;
    });
  });
}
/** Words of 3+ letters, lower-cased, at most 2,000. */
function wordSet(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.slice(0, 32 * 1024).toLowerCase().matchAll(/\p{L}{3,}/gu)) {
    out.add(w[0]);
    if (out.size >= 2000) break;
  }
  return out;
}

/** Both a plain-text and an HTML version, sharing under a third of their words. */
function altDiffers(m: RuleInput): boolean {
  if (!m.text.trim() || !m.html) return false;
  const visible = m.html.replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ').replace(/<[^>]*>/g, ' ').replace(/&[a-z]+;|&#\d+;/g, ' ');
  const a = wordSet(m.text);
  const b = wordSet(visible);
  if (a.size < 10 || b.size < 10) return false;
  let common = 0;
  for (const w of a) if (b.has(w)) common++;
  return common / Math.min(a.size, b.size) < 1 / 3;
}

const HOUR = 3600_000;
/**
 * Phrases of scams and of the spam trade itself, not of selling: "click here", "order now",
 * "limited time", "free trial", "unsubscribe"/"be removed" are in every shop's newsletter too, and
 * a corpus without wanted marketing mail (as the training part) would make them spam signs.
 */
const SCAM_PHRASES = [
  'this is not spam', 'this is not a spam', 'you have been selected', 'dear friend', 'work from home', 'extra income', 'once in a lifetime',
  'million dollars', 'cash bonus', 'earn money', 'make money', 'winner', 'viagra', 'no experience necessary', 'be your own boss', 'financial freedom',
  'as seen on', 'bulk email', 'email marketing', 'increase your sales', 'this message is sent in compliance',
];
/** Values several rules share, computed once per mail. */
const shared = new WeakMap<RuleInput, Map<string, unknown>>();
function once<T>(m: RuleInput, key: string, make: () => T): T {
  let c = shared.get(m);
  if (!c) shared.set(m, (c = new Map()));
  if (!c.has(key)) c.set(key, make());
  return c.get(key) as T;
}

function phraseCount(text: string): number {
  const t = text.slice(0, 64 * 1024).toLowerCase();
  let n = 0;
  for (const p of SCAM_PHRASES) if (t.includes(p)) n++;
  return n;
}

function capsShare(text: string): number {
  let words = 0;
  let caps = 0;
  for (const w of text.slice(0, 32 * 1024).matchAll(/\b[A-Za-z]{3,}\b/g)) {
    words++;
    if (w[0] === w[0].toUpperCase()) caps++;
  }
  return words < 20 ? 0 : caps / words;
}

const URLS = /\b(?:https?|ftp):\/\/[^\s"'<>()]+/gi;
const urls = (m: RuleInput): string[] => once(m, 'urls', () => [...(m.html + ' ' + m.text).slice(0, 256 * 1024).matchAll(URLS)].map((x) => x[0]));
const phrases = (m: RuleInput): number => once(m, 'phrases', () => phraseCount(m.visible));

export const RULES: Rule[] = [
  // Structure of the body. No "HTML only" rule: the training ham has no HTML mail at all, so its
  // weight would be a corpus artefact (today most wanted mail is HTML); Bayes keeps html:only as a
  // token, weighed by what the appliance itself learns. For the same reason no rule names signs of
  // marketing that wanted newsletters share with spam (a "!" or a price in the subject, dollar
  // amounts, image-heavy HTML, sales phrases): the training part holds no wanted marketing mail, so
  // it cannot tell how often a newsletter shows them. The rules name deception (forged or
  // inconsistent headers, hidden or disguised text and links), shouting, and scam talk.
  { name: 'HTML_LINK_MISMATCH', spammy: true, describe: 'a link whose shown address is on another site than where it leads', test: (m) => !!m.html && linkMismatch(m.html) },
  { name: 'HTML_HIDDEN_TEXT', spammy: true, describe: 'hidden HTML text (display:none, visibility:hidden, zero-size font) to fool filters', test: (m) => /display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01]px/.test(m.html) },
  { name: 'HTML_ACTIVE_CONTENT', spammy: true, describe: 'script, form, iframe or embedded object in the HTML', test: (m) => /<(script|form|iframe|object|embed)\b/.test(m.html) },
  { name: 'MIME_BASE64_TEXT', spammy: true, describe: 'a text part in base64 although it is plain ASCII (base64 is only needed for 8-bit text: hides words from simple filters)', test: (m) => base64WithoutNeed(m.raw) },
  { name: 'MIME_ALT_DIFFERS', spammy: true, describe: 'the plain-text and HTML versions of the mail say different things (filters read one, people the other)', test: (m) => altDiffers(m) },
  // Links.
  { name: 'URI_NUMERIC_IP', spammy: true, describe: 'a link to a bare IP address instead of a host name', test: (m) => urls(m).some((u) => /^[a-z]+:\/\/(?:[^/@]*@)?\d+\.\d+\.\d+\.\d+/i.test(u)) },
  { name: 'URI_OBFUSCATED', spammy: true, describe: 'a link with a user@ part, %-encoded or numeric host (disguises where it leads)', test: (m) => urls(m).some((u) => /^[a-z]+:\/\/[^/]*@|^[a-z]+:\/\/[^/]*%[0-9a-f]{2}|^[a-z]+:\/\/(0x[0-9a-f]+|\d{8,})(?:[/:]|$)/i.test(u)) },
  { name: 'URI_MANY_SITES', spammy: false, describe: 'links to five or more different sites (digests, newsletters, discussions)', test: (m) => new Set(urls(m).map((u) => hostOf(u)).filter((h): h is string => !!h).map(siteOf)).size >= 5 },
  { name: 'URI_WEIRD_PORT', spammy: true, describe: 'a link to a web server on an unusual port (throw-away servers)', test: (m) => urls(m).some((u) => { const p = /^https?:\/\/[^/?#@]*:(\d+)/i.exec(u)?.[1]; return !!p && p !== '80' && p !== '443'; }) },
  // Subject.
  { name: 'SUBJ_ALL_CAPS', spammy: true, describe: 'subject in capitals', test: (m) => { const s = (m.parsed.subject ?? '').replace(/[^A-Za-z]/g, ''); return s.length >= 10 && s === s.toUpperCase(); } },
  { name: 'SUBJ_TRAILING_ID', spammy: true, describe: 'subject ending in a run of spaces or a random id (defeats duplicate detection)', test: (m) => subjectTrailingId(m.parsed.subject ?? '') },
  { name: 'SUBJ_REPLY', spammy: false, describe: 'subject of a reply or forward (Re:, Fwd:, AW:)', test: (m) => /^\s*(re|fwd?|aw|sv)\s*(\[\d+\])?:/i.test(m.parsed.subject ?? '') && has(m, 'in-reply-to') },
  // Body text.
  { name: 'BODY_CAPS', spammy: true, describe: 'a third or more of the words in capitals', test: (m) => capsShare(m.visible) >= 0.33 },
  { name: 'BODY_EXCLAIM', spammy: true, describe: 'repeated exclamation marks in the text', test: (m) => (m.visible.slice(0, 64 * 1024).match(/!{2,}|! *!/g) ?? []).length >= 2 },
  { name: 'BODY_OBFUSCATED', spammy: true, describe: 'words spelt with separators between letters ("F R E E", "V-I-A-G-R-A")', test: (m) => /(?:^|\s)(?:[A-Za-z][ .*_-]){4,}[A-Za-z](?=\s|$|[!.,])/.test(m.visible.slice(0, 64 * 1024)) },
  { name: 'HTML_WORD_SPLIT', spammy: true, describe: 'words split by empty HTML comments or tags ("vi<!-- -->agra") to fool word filters', test: (m) => /[a-z]<!--[^>]{0,40}-->[a-z]|[a-z]<(b|i|u|font|span)\b[^>]*><\/\1>[a-z]/.test(m.html) },
  { name: 'BODY_SPAM_PHRASES', spammy: true, describe: 'two or more phrases of scams and the spam trade ("dear friend", "work from home", "this is not spam", "extra income", …)', test: (m) => phrases(m) >= 2 },
  { name: 'BODY_QUOTED_REPLY', spammy: false, describe: 'quotes an earlier mail ("> " lines)', test: (m) => /^>[^\n]*\n>/m.test(m.text.slice(0, 64 * 1024)) },
  { name: 'BODY_SIGNATURE', spammy: false, describe: 'a signature separated by "-- " (as mail programs write it)', test: (m) => /\n-- ?\r?\n/.test(m.text.slice(0, 64 * 1024)) },
  { name: 'PGP_SIGNED', spammy: false, describe: 'an OpenPGP or S/MIME signature', test: (m) => /-----BEGIN PGP SIGNED MESSAGE-----|multipart\/signed/i.test(m.text.slice(0, 8192) + m.raw.slice(0, 8192)) },
  // Headers.
  { name: 'HDR_MISSING_DATE', spammy: true, describe: 'no Date: header (every mail program writes one)', test: (m) => !has(m, 'date') },
  { name: 'HDR_MISSING_MID', spammy: true, describe: 'no Message-ID: header', test: (m) => !has(m, 'message-id') },
  { name: 'HDR_MID_ODD', spammy: true, describe: 'a Message-ID that is not <left@right> (RFC 5322; a right side without a dot, as <x@ap7>, is allowed and common)', test: (m) => has(m, 'message-id') && !/^<[^<>@\s]+@[^<>@\s]+>$/.test(header(m, 'message-id')) },
  { name: 'HDR_TO_UNDISCLOSED', spammy: true, describe: 'no visible recipient (empty To:, "undisclosed recipients")', test: (m) => !has(m, 'to') || /undisclosed|recipient list suppressed|^\s*:?;?\s*$/i.test(header(m, 'to')) },
  { name: 'HDR_DATE_FUTURE', spammy: true, describe: 'Date: more than 12 hours after the mail was received', test: (m) => { const d = when(header(m, 'date')); const r = receivedAt(m); return d - r > 12 * HOUR; } },
  { name: 'HDR_DATE_PAST', spammy: true, describe: 'Date: more than 4 days before the mail was received', test: (m) => { const d = when(header(m, 'date')); const r = receivedAt(m); return r - d > 96 * HOUR; } },
  { name: 'HDR_REPLY_TO_OTHER', spammy: true, describe: 'replies go to another site than the sender', test: (m) => { const r = /@([^\s>]+)/.exec(header(m, 'reply-to'))?.[1]; const f = /@([^\s>]+)/.exec(header(m, 'from'))?.[1]; return !!r && !!f && siteOf(r) !== siteOf(f); } },
  { name: 'HDR_PRIORITY_HIGH', spammy: true, describe: 'marked urgent (X-Priority: 1, X-MSMail-Priority: High)', test: (m) => /^\s*1\b/.test(header(m, 'x-priority')) || /high/i.test(header(m, 'x-msmail-priority')) },
  { name: 'HDR_FROM_NO_NAME', spammy: true, describe: 'From: without a display name', test: (m) => { const f = header(m, 'from'); return !!f && !/[A-Za-z]{2,}[^<]*</.test(f) && !/\(.+\)/.test(f); } },
  { name: 'HDR_FROM_ENDS_IN_NUMS', spammy: true, describe: 'a sender address whose name part ends in three or more digits (made-up addresses: jane4821@…)', test: (m) => /[a-z][a-z._-]*\d{3,}@/i.test(header(m, 'from')) },
  { name: 'HDR_OUTLOOK_FORGED', spammy: true, describe: 'claims Outlook Express or Outlook 2000/2002 (Windows) as its mail program but lacks the X-MimeOLE header they always write (spam software copying a header)', test: (m) => { const x = header(m, 'x-mailer'); return /outlook express|microsoft outlook,? build|microsoft outlook imo/i.test(x) && !/macintosh/i.test(x) && !has(m, 'x-mimeole'); } },
  { name: 'HDR_FREEMAIL_FORGED', spammy: true, describe: 'From a big free-mail provider (Gmail, Outlook/Hotmail, Yahoo, AOL, …) but no Received: line shows its mail servers', test: freemailForged },
  { name: 'HDR_REPLY_TO_FREEMAIL', spammy: true, describe: 'replies go to a free-mail mailbox while the sender is not one (a drop box for answers)', test: (m) => { const r = /@([^\s>]+)/.exec(header(m, 'reply-to'))?.[1]; const f = fromSite(m); return !!r && !!f && FREEMAIL.has(siteOf(r)) && !FREEMAIL.has(f); } },
  { name: 'HDR_FROM_DOMAIN_DIGITS', spammy: true, describe: 'the sender\'s domain is a made-up run of letters and digits (mail4u2003.com)', test: (m) => { const f = fromSite(m); return !!f && /[a-z][0-9]{2,}|[0-9]{3,}/.test(f.split('.')[0]); } },
  { name: 'HDR_MANY_RECIPIENTS', spammy: true, describe: 'ten or more recipients shown in To/Cc (a harvested list pasted in)', test: (m) => ((header(m, 'to') + ',' + header(m, 'cc')).match(/@/g) ?? []).length >= 10 },
  { name: 'HDR_DATE_ODD', spammy: true, describe: 'a Date: header that is no valid RFC 5322 date or has no time zone', test: (m) => has(m, 'date') && (Number.isNaN(when(header(m, 'date'))) || !/(?:[+-]\d{4}|\b(?:UT|GMT|[ECMP][SD]T|Z))\s*(\([^)]*\))?\s*$/i.test(header(m, 'date'))) },
  { name: 'HDR_LIST', spammy: false, describe: 'mailing-list headers (List-Id, List-Unsubscribe, List-Post: RFC 2919, RFC 2369)', test: (m) => has(m, 'list-id') || has(m, 'list-unsubscribe') || has(m, 'list-post') },
  { name: 'HDR_IN_REPLY_TO', spammy: false, describe: 'answers an earlier mail (In-Reply-To or References)', test: (m) => has(m, 'in-reply-to') || has(m, 'references') },
  { name: 'HDR_MID_SAME_SITE', spammy: false, describe: 'the Message-ID was made on the sender\'s site', test: (m) => { const id = /@([^>\s]+)>?$/.exec(header(m, 'message-id'))?.[1]; const f = /@([^\s>]+)/.exec(header(m, 'from'))?.[1]; return !!id && !!f && siteOf(id) === siteOf(f); } },
  { name: 'URI_SENDER_SITE', spammy: false, describe: 'links to the sender\'s own site (a real sender points to itself; forged senders cannot)', test: (m) => { const f = fromSite(m); return !!f && urls(m).some((u) => { const h = hostOf(u); return !!h && siteOf(h) === f; }); } },
  { name: 'RCVD_DYNAMIC', spammy: true, describe: 'handed over by a host named as a consumer access line (dial-up, DSL, cable, address pool)', test: (m) => receivedLines(m).slice(0, 6).some((l) => relayHosts(l).some((h) => DYNAMIC.test(h))) },
  { name: 'RCVD_HELO_BOGUS', spammy: true, describe: 'the client that handed the mail in greeted with a name that is no domain (HELO friend, HELO localhost from the internet, a bare IP), against RFC 5321 4.1.1.1', test: (m) => { const c = firstExternalClient(receivedLines(m)); return !!c && heloBogus(c.helo); } },
  { name: 'RCVD_DIRECT_MUA', spammy: true, describe: 'written by a desktop mail program (Outlook, Thunderbird, …) yet handed straight to a mail server by the computer it was written on, with no provider\'s server in between (how hijacked PCs send; people send through their provider)', test: (m) => desktopMua(m) && !!firstExternalClient(receivedLines(m))?.direct },
  { name: 'RCVD_SENDER_SITE', spammy: false, describe: 'relayed by a server of the sender\'s own site', test: (m) => { const f = fromSite(m); return !!f && receivedLines(m).some((l) => relayHosts(l).some((h) => siteOf(h) === f)); } },
  { name: 'HDR_RETURN_PATH_SAME_SITE', spammy: false, describe: 'bounces go to the sender\'s site (Return-Path / MAIL FROM)', test: (m) => { const f = fromSite(m); const r = /@([a-z0-9.-]+)/i.exec(m.returnPath)?.[1]; return !!f && !!r && siteOf(r) === f; } },
];

/** The names of the rules a mail hits, in RULES order. */
export function ruleHits(m: RuleInput): string[] {
  const out: string[] = [];
  for (const r of RULES) {
    try {
      if (r.test(m)) out.push(r.name);
    } catch {
      /* a rule that cannot read the mail does not fire */
    }
  }
  return out;
}
