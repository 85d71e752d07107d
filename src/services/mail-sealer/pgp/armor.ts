// ASCII armor (RFC 4880 section 6) for OpenPGP messages, done with Buffer's native base64: for a
// 1 MiB mail openpgp.js's own (streamed, pure JS) armoring costs three to five times the
// encryption itself. Writes 64-character lines and the CRC-24 checksum older tools expect; reads
// armor headers, any line length, and checks the checksum when there is one.
import { SealerError } from '../sealer-error.ts';

const CRC24_INIT = 0xb704ce;
const CRC24_POLY = 0x1864cfb;
const TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 16;
    for (let j = 0; j < 8; j++) {
      c <<= 1;
      if (c & 0x1000000) c ^= CRC24_POLY;
    }
    t[i] = c & 0xffffff;
  }
  return t;
})();

export function crc24(data: Uint8Array): number {
  let crc = CRC24_INIT;
  for (let i = 0; i < data.length; i++) crc = ((crc << 8) ^ TABLE[((crc >> 16) ^ data[i]) & 0xff]) & 0xffffff;
  return crc;
}

/** The armored form (CRLF line ends) of a binary OpenPGP message. */
export function armorMessage(data: Uint8Array): string {
  const b64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  const c = crc24(data);
  const sum = Buffer.from([c >> 16, (c >> 8) & 0xff, c & 0xff]).toString('base64');
  return `-----BEGIN PGP MESSAGE-----\r\n\r\n${lines.join('\r\n')}\r\n=${sum}\r\n-----END PGP MESSAGE-----\r\n`;
}

/** The binary message inside the first "BEGIN PGP MESSAGE" armor of `text`. */
export function dearmorMessage(text: string): Buffer {
  const begin = text.indexOf('-----BEGIN PGP MESSAGE-----');
  const end = begin < 0 ? -1 : text.indexOf('-----END PGP MESSAGE-----', begin);
  if (begin < 0 || end < 0) throw new SealerError('MESSAGE_FORMAT', 'no armored OpenPGP message');
  const lines = text.slice(begin, end).split(/\r?\n/).slice(1);
  // Armor headers ("Version: …", "Comment: …") end at the first blank line.
  const blank = lines.findIndex((l) => l.trim() === '');
  if (blank < 0) throw new SealerError('MESSAGE_FORMAT', 'armored OpenPGP message without the blank line after its headers');
  const body: string[] = [];
  let checksum: string | null = null;
  for (const raw of lines.slice(blank + 1)) {
    const l = raw.trim();
    if (!l) continue;
    if (l.startsWith('=') && l.length === 5) {
      checksum = l.slice(1);
      break;
    }
    body.push(l);
  }
  const b64 = body.join('');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new SealerError('MESSAGE_FORMAT', 'armored OpenPGP message with characters outside base64');
  const data = Buffer.from(b64, 'base64');
  if (checksum !== null) {
    const c = crc24(data);
    if (Buffer.from([c >> 16, (c >> 8) & 0xff, c & 0xff]).toString('base64') !== checksum) throw new SealerError('MESSAGE_FORMAT', 'the armor checksum (CRC-24) does not match: the message was damaged');
  }
  return data;
}
