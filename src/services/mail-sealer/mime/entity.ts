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
  if (isCrlf(buf)) return buf;
  return Buffer.from(buf.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

/** Every LF has a CR before it and every CR an LF after it (native searches; no string copy of a 1 MiB mail). */
function isCrlf(buf: Buffer): boolean {
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) if (i === 0 || buf[i - 1] !== 0x0d) return false;
  for (let i = buf.indexOf(0x0d); i >= 0; i = buf.indexOf(0x0d, i + 1)) if (buf[i + 1] !== 0x0a) return false;
  return true;
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
  return splitEntity(toCrlf(buf));
}

/**
 * parseEntity for a part of an entity that parseEntity returned: its line ends are CRLF already,
 * so the 1.4 MB of an armored 1 MiB mail are not searched for bare CR or LF a second time.
 */
export function parsePart(part: Buffer): Entity {
  return splitEntity(part);
}

function splitEntity(data: Buffer): Entity {
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
  // Searched in the bytes (no 1.4 MB string per call). Offsets below are those of the body with a
  // CRLF put before it, so a delimiter on the very first line is found like every other one;
  // text offset t is body offset t - 2.
  const delim = Buffer.from('\r\n--' + boundary, 'latin1');
  const find = (from: number): number => {
    if (from <= 0 && body.subarray(0, delim.length - 2).equals(delim.subarray(2))) return 0;
    const at = body.indexOf(delim, Math.max(0, from - 2));
    return at < 0 ? -1 : at + 2;
  };
  const parts: Buffer[] = [];
  let i = find(0);
  while (i >= 0) {
    const after = i + delim.length;
    if (body[after - 2] === 0x2d && body[after - 1] === 0x2d) break; // the close delimiter
    const crlf = body.indexOf('\r\n', after - 2); // transport padding may follow the boundary
    if (crlf < 0) break;
    const lineEnd = crlf + 2;
    const next = find(lineEnd);
    if (next < 0) break; // no close delimiter: a truncated part is not a part
    parts.push(body.subarray(lineEnd, Math.max(lineEnd, next - 2)));
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
  const { outer, content } = sealingFields(msg);
  return { outer, inner: serialize({ headers: content, body: msg.body }) };
}

/** The header fields of splitForSealing, before the inner entity is put together. */
export function sealingFields(msg: Entity): { outer: HeaderField[]; content: HeaderField[] } {
  const outer = msg.headers.filter((h) => !isContentField(h) && h.name.toLowerCase() !== 'mime-version');
  let content = msg.headers.filter(isContentField);
  if (!content.some((h) => h.name.toLowerCase() === 'content-type')) content = [field('Content-Type', 'text/plain; charset=us-ascii'), ...content];
  return { outer, content };
}

/** A message of outer header fields and a sealed entity's own header fields and body. */
export function assemble(outer: HeaderField[], entity: Entity): Buffer {
  return serialize({ headers: [...outer, field('MIME-Version', '1.0'), ...entity.headers], body: entity.body });
}

/**
 * A decrypted (or unwrapped) inner entity put back under the outer header fields; `extra` fields
 * go at the top. Content-* fields of the outer message are replaced by the entity's own.
 */
export function unwrap(outerMsg: Entity, inner: Buffer | Entity, extra: HeaderField[]): Buffer {
  const entity = Buffer.isBuffer(inner) ? parseEntity(inner) : inner;
  const outer = outerMsg.headers.filter((h) => !isContentField(h) && h.name.toLowerCase() !== 'mime-version');
  return serialize({ headers: [...extra, ...outer, field('MIME-Version', '1.0'), ...entity.headers.filter(isContentField)], body: entity.body });
}

/** base64 in 76-character lines with CRLF. */
export function base64Lines(data: Buffer): string {
  return base64Wrapped(data, 76).toString('latin1');
}

/** base64 in lines of `width` characters (a multiple of 4), each ended by CRLF (no data: one CRLF), as bytes. */
export function base64Wrapped(data: Uint8Array, width: number): Buffer {
  if (!data.length) return Buffer.from('\r\n', 'latin1');
  // Encoded in blocks of 512 lines: small strings that die young, instead of one 1.9 MB string
  // per 1 MiB attachment that only a full garbage collection takes away again.
  const src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const perLine = (width / 4) * 3;
  const encoded = Math.ceil(src.length / 3) * 4;
  const out = Buffer.allocUnsafe(encoded + Math.ceil(encoded / width) * 2);
  let o = 0;
  for (let i = 0; i < src.length; i += perLine * 512) {
    const block = src.toString('base64', i, Math.min(src.length, i + perLine * 512));
    for (let j = 0; j < block.length; j += width) {
      o += out.write(block.substring(j, j + width), o, 'latin1');
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
  }
  return out.subarray(0, o);
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
