// A plain text mail (UTF-8, quoted-printable, CRLF) from header fields and lines: what the portal
// sends itself (notifications) and what it hands to the flow (replies). Header values are
// single-line and non-ASCII words are RFC 2047 encoded, so nothing from a visitor can add a field.
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';

const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

/** RFC 2047 (base64) for a value with non-ASCII characters; ASCII as it is. */
export function encodeWord(s: string): string {
  const v = oneLine(s);
  return /^[\x20-\x7e]*$/.test(v) ? v : `=?utf-8?B?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

export function textMail(headers: [string, string][], lines: string[]): Buffer {
  const head = [...headers.map(([n, v]) => `${n}: ${oneLine(v)}`), 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', ''].join('\r\n');
  const text = lines.join('\r\n').replace(/\r?\n/g, '\r\n') + '\r\n';
  return Buffer.from(head + qpWrap(qpEncode(Buffer.from(text, 'utf8')), 76).replace(/\r?\n/g, '\r\n'), 'utf8');
}
