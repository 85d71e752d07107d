// A minimal DER writer (and a reader of the few certificate fields CMS names a certificate by),
// so the hot path of seal-out builds SignedData and EnvelopedData straight into bytes instead
// of through pkijs / asn1js object trees. Promises: definite-length DER, as X.690 asks.
import { createHash } from 'node:crypto';
import { SealerError } from '../sealer-error.ts';

function lengthOf(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV: `tag` (a single identifier octet) around the concatenated `content`. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = content.length === 1 ? content[0] : Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthOf(body.length), body]);
}

/**
 * A TLV as pieces (its header, then the content's pieces), nothing copied: for the large
 * encrypted content, which is then copied once, when the outermost TLV is concatenated.
 */
export function wrap(tag: number, ...content: (Buffer | Buffer[])[]): Buffer[] {
  const pieces = content.flat();
  let n = 0;
  for (const p of pieces) n += p.length;
  return [Buffer.concat([Buffer.from([tag]), lengthOf(n)]), ...pieces];
}

export const seq = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
export const set = (...items: Buffer[]): Buffer => tlv(0x31, ...items);
/** SET OF in DER order: the encodings sorted as octet strings. */
export const setOf = (items: Buffer[]): Buffer => tlv(0x31, ...[...items].sort(Buffer.compare));
export const octets = (b: Buffer): Buffer => tlv(0x04, b);
export const NULL = Buffer.from([0x05, 0x00]);
/** [n] EXPLICIT or a constructed [n] IMPLICIT (context class, constructed). */
export const ctx = (n: number, ...items: Buffer[]): Buffer => tlv(0xa0 | n, ...items);
/** A primitive [n] IMPLICIT (context class). */
export const ctxPrimitive = (n: number, b: Buffer): Buffer => tlv(0x80 | n, b);

/** A small non-negative INTEGER. */
export function int(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

const oidCache = new Map<string, Buffer>();
export function oid(dotted: string): Buffer {
  let hit = oidCache.get(dotted);
  if (hit) return hit;
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const b: number[] = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) b.unshift(0x80 | (v & 0x7f));
    out.push(...b);
  };
  push(arcs[0] * 40 + arcs[1]);
  for (const a of arcs.slice(2)) push(a);
  hit = tlv(0x06, Buffer.from(out));
  oidCache.set(dotted, hit);
  return hit;
}

/** AlgorithmIdentifier; `params` null: absent (e.g. SHA-2 digests, ECDSA). */
export const algId = (dotted: string, params: Buffer | null = NULL): Buffer => (params ? seq(oid(dotted), params) : seq(oid(dotted)));

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5), whole seconds. */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'latin1')) : tlv(0x18, Buffer.from(`${digits}Z`, 'latin1'));
}

// --- reading --------------------------------------------------------------------------------

interface Tlv {
  tag: number;
  /** Start of the whole TLV, and of its content; end of the TLV. */
  start: number;
  body: number;
  end: number;
}

function readTlv(b: Buffer, at: number): Tlv {
  if (at + 2 > b.length) throw new SealerError('KEY_FORMAT', 'truncated DER');
  const tag = b[at];
  let len = b[at + 1];
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > b.length) throw new SealerError('KEY_FORMAT', 'unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[body + i];
    body += n;
  }
  if (body + len > b.length) throw new SealerError('KEY_FORMAT', 'truncated DER');
  return { tag, start: at, body, end: body + len };
}

/** The DER of IssuerAndSerialNumber (RFC 5652 10.2.4) naming a certificate, copied from its TBS. */
export function issuerAndSerial(certDer: Buffer): Buffer {
  const cert = readTlv(certDer, 0);
  const tbs = readTlv(certDer, cert.body);
  let f = readTlv(certDer, tbs.body);
  if (f.tag === 0xa0) f = readTlv(certDer, f.end); // [0] version
  const serial = f;
  const sigAlg = readTlv(certDer, serial.end);
  const issuer = readTlv(certDer, sigAlg.end);
  if (cert.tag !== 0x30 || tbs.tag !== 0x30 || serial.tag !== 0x02 || issuer.tag !== 0x30) throw new SealerError('KEY_FORMAT', 'not an X.509 certificate');
  return seq(certDer.subarray(issuer.start, issuer.end), certDer.subarray(serial.start, serial.end));
}

/** A stable cache key for a certificate (SHA-256 of the DER). */
export const certKey = (der: Buffer): string => createHash('sha256').update(der).digest('base64');
