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
const receivedLines = (m: RuleInput) => (m.parsed.headerLines ?? []).filter((x) => x.key === 'received').map((x) => x.line);
/** Host names of consumer access lines (dial-up, DSL, cable, pools): mail servers are not named so. */
const DYNAMIC = /(^|[.-])(dial|dialup|dsl|adsl|xdsl|ppp|pppoe|pool|dyn|dynamic|dhcp|cable|catv|modem|client|cpe|user)[.\d-]|\d{1,3}[.-]\d{1,3}[.-]\d{1,3}[.-]\d{1,3}[.-]/i;

const HOUR = 3600_000;
const SPAM_PHRASES = [
  'click here', 'act now', 'limited time', '100% free', 'risk free', 'risk-free', 'money back', 'no obligation', 'this is not spam',
  'you have been selected', 'dear friend', 'order now', 'call now', 'work from home', 'extra income', 'be removed', 'remove you',
  'opt-out', 'mailing list removal', 'once in a lifetime', 'no cost', 'free trial', 'credit card', 'lowest price', 'special promotion',
  'earn money', 'make money', 'million dollars', 'cash bonus', 'satisfaction guaranteed', 'why pay more', 'winner', 'viagra', 'mortgage',
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
  for (const p of SPAM_PHRASES) if (t.includes(p)) n++;
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
  // token, weighed by what the appliance itself learns.
  { name: 'HTML_IMAGE_ONLY', spammy: true, describe: 'HTML with images and hardly any text (text hidden in pictures)', test: (m) => /<img\s/.test(m.html) && m.visible.replace(/\s+/g, ' ').trim().length < 400 },
  { name: 'HTML_LINK_MISMATCH', spammy: true, describe: 'a link whose shown address is on another site than where it leads', test: (m) => !!m.html && linkMismatch(m.html) },
  { name: 'HTML_HIDDEN_TEXT', spammy: true, describe: 'hidden HTML text (display:none, visibility:hidden, zero-size font) to fool filters', test: (m) => /display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01]px/.test(m.html) },
  { name: 'HTML_ACTIVE_CONTENT', spammy: true, describe: 'script, form, iframe or embedded object in the HTML', test: (m) => /<(script|form|iframe|object|embed)\b/.test(m.html) },
  { name: 'MIME_BASE64_TEXT', spammy: true, describe: 'a text part encoded in base64 (hides words from simple filters)', test: (m) => /content-type:[ \t]*text\/(plain|html)[^]*?content-transfer-encoding:[ \t]*base64/i.test(m.raw.slice(0, 64 * 1024)) && !/content-disposition:[ \t]*attachment/i.test(m.raw.slice(0, 64 * 1024)) },
  // Links.
  { name: 'URI_NUMERIC_IP', spammy: true, describe: 'a link to a bare IP address instead of a host name', test: (m) => urls(m).some((u) => /^[a-z]+:\/\/(?:[^/@]*@)?\d+\.\d+\.\d+\.\d+/i.test(u)) },
  { name: 'URI_OBFUSCATED', spammy: true, describe: 'a link with a user@ part, %-encoded or numeric host (disguises where it leads)', test: (m) => urls(m).some((u) => /^[a-z]+:\/\/[^/]*@|^[a-z]+:\/\/[^/]*%[0-9a-f]{2}|^[a-z]+:\/\/(0x[0-9a-f]+|\d{8,})(?:[/:]|$)/i.test(u)) },
  { name: 'URI_MANY_SITES', spammy: false, describe: 'links to five or more different sites (digests, newsletters, discussions)', test: (m) => new Set(urls(m).map((u) => hostOf(u)).filter((h): h is string => !!h).map(siteOf)).size >= 5 },
  // Subject.
  { name: 'SUBJ_ALL_CAPS', spammy: true, describe: 'subject in capitals', test: (m) => { const s = (m.parsed.subject ?? '').replace(/[^A-Za-z]/g, ''); return s.length >= 10 && s === s.toUpperCase(); } },
  { name: 'SUBJ_EXCLAIM', spammy: true, describe: 'subject with an exclamation mark', test: (m) => /!/.test(m.parsed.subject ?? '') },
  { name: 'SUBJ_MONEY', spammy: true, describe: 'subject offering money, percentages or "free"', test: (m) => /[$€£]\s?\d|\d\s?%|\bfree\b/i.test(m.parsed.subject ?? '') },
  { name: 'SUBJ_TRAILING_ID', spammy: true, describe: 'subject ending in a run of spaces or a random id (defeats duplicate detection)', test: (m) => /\s{3,}\S+\s*$|[\s_-]+(?=\w*\d)(?=\w*[a-z])\w{5,}\s*$|\s[#(\[]?\d{3,}[)\]]?\s*$/i.test(m.parsed.subject ?? '') },
  { name: 'SUBJ_REPLY', spammy: false, describe: 'subject of a reply or forward (Re:, Fwd:, AW:)', test: (m) => /^\s*(re|fwd?|aw|sv)\s*(\[\d+\])?:/i.test(m.parsed.subject ?? '') && has(m, 'in-reply-to') },
  // Body text.
  { name: 'BODY_CAPS', spammy: true, describe: 'a third or more of the words in capitals', test: (m) => capsShare(m.visible) >= 0.33 },
  { name: 'BODY_EXCLAIM', spammy: true, describe: 'repeated exclamation marks in the text', test: (m) => (m.visible.slice(0, 64 * 1024).match(/!{2,}|! *!/g) ?? []).length >= 2 },
  { name: 'BODY_OBFUSCATED', spammy: true, describe: 'words spelt with separators between letters ("F R E E", "V-I-A-G-R-A")', test: (m) => /(?:^|\s)(?:[A-Za-z][ .*_-]){4,}[A-Za-z](?=\s|$|[!.,])/.test(m.visible.slice(0, 64 * 1024)) },
  { name: 'BODY_SPAM_PHRASES', spammy: true, describe: 'two or more well-known sales phrases ("click here", "act now", "no obligation", …)', test: (m) => phrases(m) >= 2 },
  { name: 'BODY_SPAM_PHRASES_MANY', spammy: true, describe: 'five or more well-known sales phrases', test: (m) => phrases(m) >= 5 },
  { name: 'BODY_QUOTED_REPLY', spammy: false, describe: 'quotes an earlier mail ("> " lines)', test: (m) => /^>[^\n]*\n>/m.test(m.text.slice(0, 64 * 1024)) },
  { name: 'BODY_SIGNATURE', spammy: false, describe: 'a signature separated by "-- " (as mail programs write it)', test: (m) => /\n-- ?\r?\n/.test(m.text.slice(0, 64 * 1024)) },
  { name: 'PGP_SIGNED', spammy: false, describe: 'an OpenPGP or S/MIME signature', test: (m) => /-----BEGIN PGP SIGNED MESSAGE-----|multipart\/signed/i.test(m.text.slice(0, 8192) + m.raw.slice(0, 8192)) },
  // Headers.
  { name: 'HDR_MISSING_DATE', spammy: true, describe: 'no Date: header (every mail program writes one)', test: (m) => !has(m, 'date') },
  { name: 'HDR_MISSING_MID', spammy: true, describe: 'no Message-ID: header', test: (m) => !has(m, 'message-id') },
  { name: 'HDR_MID_ODD', spammy: true, describe: 'a Message-ID that is not <local@domain.tld>', test: (m) => has(m, 'message-id') && !/^<[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+>$/.test(header(m, 'message-id')) },
  { name: 'HDR_TO_UNDISCLOSED', spammy: true, describe: 'no visible recipient (empty To:, "undisclosed recipients")', test: (m) => !has(m, 'to') || /undisclosed|recipient list suppressed|^\s*:?;?\s*$/i.test(header(m, 'to')) },
  { name: 'HDR_DATE_FUTURE', spammy: true, describe: 'Date: more than 12 hours after the mail was received', test: (m) => { const d = when(header(m, 'date')); const r = receivedAt(m); return d - r > 12 * HOUR; } },
  { name: 'HDR_DATE_PAST', spammy: true, describe: 'Date: more than 4 days before the mail was received', test: (m) => { const d = when(header(m, 'date')); const r = receivedAt(m); return r - d > 96 * HOUR; } },
  { name: 'HDR_REPLY_TO_OTHER', spammy: true, describe: 'replies go to another site than the sender', test: (m) => { const r = /@([^\s>]+)/.exec(header(m, 'reply-to'))?.[1]; const f = /@([^\s>]+)/.exec(header(m, 'from'))?.[1]; return !!r && !!f && siteOf(r) !== siteOf(f); } },
  { name: 'HDR_PRIORITY_HIGH', spammy: true, describe: 'marked urgent (X-Priority: 1, X-MSMail-Priority: High)', test: (m) => /^\s*1\b/.test(header(m, 'x-priority')) || /high/i.test(header(m, 'x-msmail-priority')) },
  { name: 'HDR_FROM_NO_NAME', spammy: true, describe: 'From: without a display name', test: (m) => { const f = header(m, 'from'); return !!f && !/[A-Za-z]{2,}[^<]*</.test(f) && !/\(.+\)/.test(f); } },
  { name: 'HDR_LIST', spammy: false, describe: 'mailing-list headers (List-Id, List-Unsubscribe, List-Post: RFC 2919, RFC 2369)', test: (m) => has(m, 'list-id') || has(m, 'list-unsubscribe') || has(m, 'list-post') },
  { name: 'HDR_IN_REPLY_TO', spammy: false, describe: 'answers an earlier mail (In-Reply-To or References)', test: (m) => has(m, 'in-reply-to') || has(m, 'references') },
  { name: 'HDR_MID_SAME_SITE', spammy: false, describe: 'the Message-ID was made on the sender\'s site', test: (m) => { const id = /@([^>\s]+)>?$/.exec(header(m, 'message-id'))?.[1]; const f = /@([^\s>]+)/.exec(header(m, 'from'))?.[1]; return !!id && !!f && siteOf(id) === siteOf(f); } },
  { name: 'URI_SENDER_SITE', spammy: false, describe: 'links to the sender\'s own site (a real sender points to itself; forged senders cannot)', test: (m) => { const f = fromSite(m); return !!f && urls(m).some((u) => { const h = hostOf(u); return !!h && siteOf(h) === f; }); } },
  { name: 'RCVD_DYNAMIC', spammy: true, describe: 'handed over by a host named as a consumer access line (dial-up, DSL, cable, address pool)', test: (m) => receivedLines(m).slice(0, 6).some((l) => relayHosts(l).some((h) => DYNAMIC.test(h))) },
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
