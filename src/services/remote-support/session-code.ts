// Session codes: 16 characters from an alphabet without look-alikes (no 0/O, 1/I/L), read out
// over the phone as XXXX-XXXX-XXXX-XXXX (~79 bits), checked in constant time, and the public
// session id the endpoint pairs the engineer with (it proves nothing).
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function newSessionCode(): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s.match(/.{4}/g)!.join('-');
}

export function newSessionId(): string {
  return randomBytes(6).toString('hex');
}

const normalise = (c: string) => c.toUpperCase().replace(/[\s-]/g, '');
const digest = (c: string) => createHash('sha256').update(normalise(c)).digest();

/** Case, spaces and dashes do not matter; the comparison leaks neither content nor length. */
export function codeMatches(given: unknown, expected: string): boolean {
  return typeof given === 'string' && given.length <= 64 && timingSafeEqual(digest(given), digest(expected));
}
