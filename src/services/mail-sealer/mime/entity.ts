// Just enough MIME for sealing: splitting a message into header fields and body, Content-Type
// parameters, the body parts of a multipart (byte-exact, as RFC 1847 signatures need), and
// moving the Content-* fields into an inner entity and back. Everything works on bytes (latin1),
// so 8-bit content passes unchanged; line ends are CRLF.
import { randomBytes } from 'node:crypto';

export interface HeaderField {
  /** Name as written. */
  name: string;
  /** The whole field, folded lines and final CRLF included. */
  raw: string;
  /** Unfolded value, trimmed. */
  value: string;
}

export interface Entity {
  headers: HeaderField[];
  body: Buffer;
}

/** Every line end as CRLF (bare LF or CR become CRLF). */
export function toCrlf(buf: Buffer): Buffer {
  if (!buf.includes(0x0a) && !buf.includes(0x0d)) return buf;
  const s = buf.toString('latin1');
  if (!/\r(?!\n)|(?<!\r)\n/.test(s)) return buf;
  return Buffer.from(s.replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

export function parseHeaders(head: string): HeaderField[] {
  const out: HeaderField[] = [];
  for (const line of head.split(/(?<=\r\n)/)) {
    if (line === '' || line === '\r\n') continue;
    if ((line[0] === ' ' || line[0] === '\t') && out.length) {
      const last = out[out.length - 1];
      last.raw += line;
      last.value = (last.value + ' ' + line.trim()).trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // not a header field (mbox "From " lines and the like)
    out.push({ name: line.slice(0, colon).trim(), raw: line.endsWith('\r\n') ? line : line + '\r\n', value: line.slice(colon + 1).trim() });
  }
  return out;
}

/** Splits a message (or body part) at its first empty line. */
export function parseEntity(buf: Buffer): Entity {
  const data = toCrlf(buf);
  if (data.subarray(0, 2).toString('latin1') === '\r\n') return { headers: [], body: data.subarray(2) };
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return { headers: parseHeaders(data.toString('latin1') + '\r\n'), body: Buffer.alloc(0) };
  return { headers: parseHeaders(data.subarray(0, end + 2).toString('latin1')), body: data.subarray(end + 4) };
}

export function headerValue(headers: HeaderField[], name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === n)?.value;
}

export function serialize(e: Entity): Buffer {
  return Buffer.concat([Buffer.from(e.headers.map((h) => h.raw).join('') + '\r\n', 'latin1'), e.body]);
}

export function field(name: string, value: string): HeaderField {
  return { name, raw: `${name}: ${value}\r\n`, value };
}

export interface ContentType {
  /** "type/subtype", lower case. */
  type: string;
  params: Record<string, string>;
}

/** Parses a Content-Type value; parameter names lower-cased, quotes removed. */
export function parseContentType(value: string | undefined): ContentType {
  if (!value) return { type: 'text/plain', params: {} };
  const [first, ...rest] = splitParams(value);
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[p.slice(0, eq).trim().toLowerCase()] = v;
  }
  return { type: first.trim().toLowerCase(), params };
}

/** Splits at ";" outside quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) {
      cur += c + (value[++i] ?? '');
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.filter((s, i) => i === 0 || s.trim());
}

export function contentTypeOf(e: Entity): ContentType {
  return parseContentType(headerValue(e.headers, 'content-type'));
}

/**
 * The body parts of a multipart body, byte-exact: each part runs from after the CRLF ending its
 * delimiter line to before the CRLF that starts the next delimiter line (RFC 2046 5.1.1).
 */
export function multipartParts(body: Buffer, boundary: string): Buffer[] {
  // A leading CRLF lets a delimiter on the very first line be found like every other one.
  const text = '\r\n' + body.toString('latin1');
  const delim = '\r\n--' + boundary;
  const parts: Buffer[] = [];
  let i = text.indexOf(delim);
  while (i >= 0) {
    const after = i + delim.length;
    if (text.startsWith('--', after)) break; // the close delimiter
    const lineEnd = text.indexOf('\r\n', after); // transport padding may follow the boundary
    if (lineEnd < 0) break;
    const next = text.indexOf(delim, lineEnd);
    if (next < 0) break; // no close delimiter: a truncated part is not a part
    parts.push(body.subarray(lineEnd, Math.max(lineEnd, next - 2))); // text offsets are body offsets + 2
    i = next;
  }
  return parts;
}

export function newBoundary(tag: string): string {
  return `----=_gatehouse-${tag}-${randomBytes(12).toString('hex')}`;
}

const isContentField = (h: HeaderField) => /^content-/i.test(h.name);

/**
 * Splits a message into its outer header fields (everything but Content-* and MIME-Version) and
 * the inner entity that gets signed or encrypted (the Content-* fields and the body).
 */
export function splitForSealing(msg: Entity): { outer: HeaderField[]; inner: Buffer } {
  const outer = msg.headers.filter((h) => !isContentField(h) && h.name.toLowerCase() !== 'mime-version');
  let content = msg.headers.filter(isContentField);
  if (!content.some((h) => h.name.toLowerCase() === 'content-type')) content = [field('Content-Type', 'text/plain; charset=us-ascii'), ...content];
  return { outer, inner: serialize({ headers: content, body: msg.body }) };
}

/** A message of outer header fields and a sealed entity's own header fields and body. */
export function assemble(outer: HeaderField[], entity: Entity): Buffer {
  return serialize({ headers: [...outer, field('MIME-Version', '1.0'), ...entity.headers], body: entity.body });
}

/**
 * A decrypted (or unwrapped) inner entity put back under the outer header fields; `extra` fields
 * go at the top. Content-* fields of the outer message are replaced by the entity's own.
 */
export function unwrap(outerMsg: Entity, inner: Buffer, extra: HeaderField[]): Buffer {
  const entity = parseEntity(inner);
  const outer = outerMsg.headers.filter((h) => !isContentField(h) && h.name.toLowerCase() !== 'mime-version');
  return serialize({ headers: [...extra, ...outer, field('MIME-Version', '1.0'), ...entity.headers.filter(isContentField)], body: entity.body });
}

/** base64 in 76-character lines with CRLF. */
export function base64Lines(data: Buffer): string {
  // Slices, not a regex match: a 1 MiB attachment is 18,000 lines.
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\r\n') + '\r\n';
}

/** Header fields without those named (case-insensitive). */
export function without(headers: HeaderField[], names: string[]): HeaderField[] {
  const set = new Set(names.map((n) => n.toLowerCase()));
  return headers.filter((h) => !set.has(h.name.toLowerCase()));
}

/** The address in a From-style value ("Name <a@b>" or "a@b"), lower case. */
export function addressIn(value: string | undefined): string | null {
  if (!value) return null;
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(value) ?? /([^\s<>",;:]+@[^\s<>",;:]+)/.exec(value);
  return m ? m[1].toLowerCase() : null;
}
