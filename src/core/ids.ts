// Mail ids: time-ordered (sortable like the queue) and unguessable, 20 lowercase base32 chars.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function newMailId(now = Date.now()): string {
  let t = now;
  let time = '';
  for (let i = 0; i < 9; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(11);
  let tail = '';
  for (let i = 0; i < 11; i++) tail += ALPHABET[rnd[i] & 31];
  return time + tail;
}

export function isMailId(s: string): boolean {
  return /^[0-9a-hjkmnp-tv-z]{20}$/.test(s);
}
