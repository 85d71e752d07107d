// The portal's pages: plain server-rendered HTML with labelled form fields and no script, so they
// work in any browser and with screen readers. Everything from a mail is escaped; a mail's HTML is
// never rendered (its text is shown instead).
import type { PasswordStep } from './portal-vault.ts';
import type { ReadableMail } from './read-mail.ts';

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

const field = (id: string, label: string, type: string, extra = '') =>
  `<p><label for="${id}">${esc(label)}</label><br><input id="${id}" name="${id}" type="${type}" required ${extra}></p>`;

export function passwordPage(o: { step: PasswordStep; token: string; from: string; minLength: number; error?: string }): string {
  const intro = {
    set: `<p>${esc(o.from)} has sent you an encrypted message. Choose a password to open it; you will need it for this and later messages. At least ${o.minLength} characters.</p>`,
    enter: `<p>${esc(o.from)} has sent you an encrypted message. Enter your portal password to open it.</p>`,
    'enter-sender': `<p>${esc(o.from)} has sent you an encrypted message. Enter the password the sender gave you.</p>`,
  }[o.step];
  const fields =
    o.step === 'set'
      ? field('password', 'New password', 'password', `minlength="${o.minLength}" autocomplete="new-password"`) + field('confirm', 'Repeat the password', 'password', 'autocomplete="new-password"')
      : field('password', 'Password', 'password', 'autocomplete="current-password"');
  const error = o.error ? `<p role="alert"><strong>${esc(o.error)}</strong></p>` : '';
  const title = o.step === 'set' ? 'Set your password' : 'Open your encrypted message';
  return page(title, `${intro}${error}<form method="post" action="/portal/open"><input type="hidden" name="t" value="${esc(o.token)}">${fields}<p><button type="submit">Open the message</button></p></form>`);
}

const size = (n: number) => (n >= 1024 * 1024 ? `${+(n / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`);

export interface ReadPageOptions {
  /** Portal id of the message shown (links and the reply form name it). */
  id: string;
  csrf: string;
  /** The visitor may see all their messages (signed in with their own portal password). */
  messageList: boolean;
  /** How many other messages wait for them. */
  others: number;
  /** When the message is deleted from the portal (its link stops working). */
  expiresAt: number;
  uploads: { maxFileSize: number; maxTotalSize: number; maxFiles: number };
}

export function readPage(m: ReadableMail, o: ReadPageOptions): string {
  const rows = [
    ['From', m.from],
    ['To', m.to],
    ['Date', m.date],
    ['Subject', m.subject],
  ]
    .map(([k, v]) => `<tr><th scope="row">${k}</th><td>${esc(v)}</td></tr>`)
    .join('');
  const kept = `<p>This message is kept in the portal until ${esc(new Date(o.expiresAt).toUTCString())}; after that it is deleted and its link stops working.</p>`;
  const files = m.attachments.length
    ? `<h2>Attachments</h2><ul>${m.attachments.map((a, i) => `<li><a href="/portal/attachment/${i}?m=${esc(o.id)}" download>${esc(a.filename)}</a> (${esc(a.contentType)}, ${a.content.length} bytes)</li>`).join('')}</ul>`
    : '';
  const u = o.uploads;
  const upload = u.maxFiles
    ? `<p><label for="files">Attach files (optional)</label><br><input id="files" name="files" type="file" multiple aria-describedby="files-limits"><br><small id="files-limits">At most ${u.maxFiles} file(s), each up to ${size(u.maxFileSize)}, together up to ${size(u.maxTotalSize)}.</small></p>`
    : '';
  // The CSRF token comes first: the server reads it before it accepts any file.
  const reply = `<h2>Reply</h2><form method="post" action="/portal/reply" enctype="multipart/form-data"><input type="hidden" name="csrf" value="${esc(o.csrf)}"><input type="hidden" name="m" value="${esc(o.id)}"><p><label for="text">Your reply to ${esc(m.from)}</label><br><textarea id="text" name="text" rows="10" cols="72" required></textarea></p>${upload}<p><button type="submit">Send the reply</button></p></form>`;
  const nav = o.messageList ? `<nav><p><a href="/portal/messages">All your messages</a>${o.others > 0 ? ` (${o.others} more)` : ''}</p></nav>` : '';
  return page(m.subject || '(no subject)', `${nav}<table>${rows}</table>${kept}<h2>Message</h2><pre>${esc(m.text)}</pre>${files}${reply}`);
}

export interface ListedMessage {
  from: string;
  subject: string;
  receivedAt: number;
  expiresAt: number;
  opened: boolean;
  replies: number;
  href: string;
  /** Opens with the password its sender gave, not the portal password. */
  ownPassword: boolean;
}

/** The recipient's messages in the portal, newest first, each with when it arrived and until when it is kept. */
export function messageListPage(recipient: string, list: ListedMessage[]): string {
  const day = (t: number) => esc(new Date(t).toUTCString());
  const rows = list
    .map((m) => {
      const state = [m.opened ? 'opened' : 'new', m.replies ? `${m.replies} repl${m.replies === 1 ? 'y' : 'ies'}` : '', m.ownPassword ? "needs the sender's password" : ''].filter(Boolean).join(', ');
      return `<tr><td>${esc(m.from)}</td><td><a href="${esc(m.href)}">${esc(m.subject || '(no subject)')}</a></td><td>${day(m.receivedAt)}</td><td>${day(m.expiresAt)}</td><td>${esc(state)}</td></tr>`;
    })
    .join('');
  const table = list.length
    ? `<table><caption>${list.length} message(s) for ${esc(recipient)}</caption><thead><tr><th scope="col">From</th><th scope="col">Subject</th><th scope="col">Received</th><th scope="col">Kept until</th><th scope="col">State</th></tr></thead><tbody>${rows}</tbody></table>`
    : `<p>There are no messages for ${esc(recipient)} in the portal.</p>`;
  return page('Your messages', table);
}

export const messagePage = (title: string, text: string) => page(title, `<p>${esc(text)}</p>`);
