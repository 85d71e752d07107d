// ASCII armor (RFC 4880 section 6) for OpenPGP messages, done with Buffer's native base64: for a
// 1 MiB mail openpgp.js's own (streamed, pure JS) armoring costs three to five times the
// encryption itself. Writes 64-character lines and the CRC-24 checksum older tools expect; reads
// armor headers, any line length, and checks the checksum when there is one.
import { base64Wrapped } from '../mime/entity.ts';
import { SealerError } from '../sealer-error.ts';

const CRC24_INIT = 0xb704ce;
const CRC24_POLY = 0x1864cfb;
// Slicing by four: the 24-bit register is kept in the top bits of a 32-bit word (the same CRC
// with the polynomial shifted up by 8), so four tables take a whole 32-bit word per step —
// about four times the speed of the byte-wise loop over the 1.4 MB of a 1 MiB mail.
const TABLES = (() => {
  const t = Array.from({ length: 4 }, () => new Uint32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i << 16;
    for (let j = 0; j < 8; j++) {
      c <<= 1;
      if (c & 0x1000000) c ^= CRC24_POLY;
    }
    t[0][i] = ((c & 0xffffff) << 8) >>> 0;
  }
  for (let k = 1; k < 4; k++) for (let i = 0; i < 256; i++) t[k][i] = ((t[k - 1][i] << 8) ^ t[0][t[k - 1][i] >>> 24]) >>> 0;
  return t;
})();

export function crc24(data: Uint8Array): number {
  const [t0, t1, t2, t3] = TABLES;
  let r = (CRC24_INIT << 8) >>> 0;
  let i = 0;
  for (const n = data.length - 3; i < n; i += 4) {
    const x = (r ^ ((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3])) >>> 0;
    r = (t3[x >>> 24] ^ t2[(x >>> 16) & 0xff] ^ t1[(x >>> 8) & 0xff] ^ t0[x & 0xff]) >>> 0;
  }
  for (; i < data.length; i++) r = ((r << 8) ^ t0[(r >>> 24) ^ data[i]]) >>> 0;
  return r >>> 8;
}

const BEGIN = '-----BEGIN PGP MESSAGE-----';
const END = '-----END PGP MESSAGE-----';

function checksumOf(data: Uint8Array): string {
  const c = crc24(data);
  return Buffer.from([c >> 16, (c >> 8) & 0xff, c & 0xff]).toString('base64');
}

/** The armored form (CRLF line ends) of a binary OpenPGP message, as pieces to concatenate. */
export function armorPieces(data: Uint8Array): Buffer[] {
  return [Buffer.from(`${BEGIN}\r\n\r\n`, 'latin1'), base64Wrapped(data, 64), Buffer.from(`=${checksumOf(data)}\r\n${END}\r\n`, 'latin1')];
}

/** The armored form (CRLF line ends) of a binary OpenPGP message, as bytes. */
export function armorMessageBytes(data: Uint8Array): Buffer {
  return Buffer.concat(armorPieces(data));
}

/** The armored form (CRLF line ends) of a binary OpenPGP message. */
export function armorMessage(data: Uint8Array): string {
  return armorMessageBytes(data).toString('latin1');
}

/** The checksum line ("=" and four base64 characters, alone on its line) that ends an armored body. */
const CHECKSUM_LINE = /(?:^|\n)[ \t]*=([A-Za-z0-9+/]{4})[ \t]*\r?(?=\n|$)/;

/** The binary message inside the first "BEGIN PGP MESSAGE" armor of `text`. */
export function dearmorMessage(text: string): Buffer {
  const begin = text.indexOf(BEGIN);
  const end = begin < 0 ? -1 : text.indexOf(END, begin);
  if (begin < 0 || end < 0) throw new SealerError('MESSAGE_FORMAT', 'no armored OpenPGP message');
  // Armor headers ("Version: …", "Comment: …") follow the BEGIN line and end at the first blank line.
  let bodyStart = -1;
  for (let at = text.indexOf('\n', begin); at >= 0 && at < end; ) {
    const next = text.indexOf('\n', at + 1);
    if (next < 0 || next > end) break;
    if (text.slice(at + 1, next).trim() === '') {
      bodyStart = next + 1;
      break;
    }
    at = next;
  }
  if (bodyStart < 0) throw new SealerError('MESSAGE_FORMAT', 'armored OpenPGP message without the blank line after its headers');
  // Searched and decoded as a whole (native base64 skips the line breaks): a 1 MiB message is
  // 22,000 lines, and line-by-line work on it cost more than the decryption.
  let body = text.slice(bodyStart, end);
  let checksum: string | null = null;
  const sum = CHECKSUM_LINE.exec(body);
  if (sum) {
    checksum = sum[1];
    body = body.slice(0, sum.index);
  }
  const pad = body.indexOf('=');
  const badPadding = pad >= 0 && body.slice(pad).replace(/\s+/g, '').length > 2;
  if (/[^A-Za-z0-9+/=\s]/.test(body) || badPadding || (pad >= 0 && /[^=\s]/.test(body.slice(pad)))) {
    throw new SealerError('MESSAGE_FORMAT', 'armored OpenPGP message with characters outside base64');
  }
  const data = Buffer.from(body, 'base64');
  if (checksum !== null && checksumOf(data) !== checksum) throw new SealerError('MESSAGE_FORMAT', 'the armor checksum (CRC-24) does not match: the message was damaged');
  return data;
}
