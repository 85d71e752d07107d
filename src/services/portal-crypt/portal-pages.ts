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

export function readPage(m: ReadableMail, csrf: string): string {
  const rows = [
    ['From', m.from],
    ['To', m.to],
    ['Date', m.date],
    ['Subject', m.subject],
  ]
    .map(([k, v]) => `<tr><th scope="row">${k}</th><td>${esc(v)}</td></tr>`)
    .join('');
  const files = m.attachments.length
    ? `<h2>Attachments</h2><ul>${m.attachments.map((a, i) => `<li><a href="/portal/attachment/${i}" download>${esc(a.filename)}</a> (${esc(a.contentType)}, ${a.content.length} bytes)</li>`).join('')}</ul>`
    : '';
  const reply = `<h2>Reply</h2><form method="post" action="/portal/reply"><input type="hidden" name="csrf" value="${esc(csrf)}"><p><label for="text">Your reply to ${esc(m.from)}</label><br><textarea id="text" name="text" rows="10" cols="72" required></textarea></p><p><button type="submit">Send the reply</button></p></form>`;
  return page(m.subject || '(no subject)', `<table>${rows}</table><h2>Message</h2><pre>${esc(m.text)}</pre>${files}${reply}`);
}

export const messagePage = (title: string, text: string) => page(title, `<p>${esc(text)}</p>`);
