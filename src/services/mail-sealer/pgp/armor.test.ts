// ASCII armor done with native base64: the CRC-24 of RFC 4880 (check value 0x21CF02), a round
// trip, gpg reading what we armor and us reading what gpg armors, and a damaged checksum refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { armorMessage, crc24, dearmorMessage } from './armor.ts';
import { SealerError } from '../sealer-error.ts';

test('CRC-24 of RFC 4880 and a round trip through armor', () => {
  assert.equal(crc24(Buffer.from('123456789')), 0x21cf02);
  assert.equal(crc24(Buffer.alloc(0)), 0xb704ce);
  for (const n of [0, 1, 47, 48, 49, 100_000]) {
    const data = randomBytes(n);
    const text = armorMessage(data);
    assert.ok(text.split('\r\n').every((l) => l.length <= 64 || l.startsWith('-----')));
    assert.deepEqual(dearmorMessage(text), data);
  }
});

test('gpg dearmors what we armor, and we read what gpg armors (headers, LF line ends)', () => {
  const data = randomBytes(5000);
  const binary = execFileSync('gpg', ['--dearmor'], { input: armorMessage(data) });
  assert.deepEqual(binary, data);
  const gpgArmored = execFileSync('gpg', ['--enarmor'], { input: data }).toString().replace(/ARMORED FILE/g, 'MESSAGE');
  assert.deepEqual(dearmorMessage(`Some text before\n${gpgArmored}\ntext after\n`), data);
});

test('a damaged checksum or body is refused', () => {
  const text = armorMessage(randomBytes(300));
  const lines = text.split('\r\n');
  const sum = lines.findIndex((l) => l.startsWith('='));
  const damaged = [...lines.slice(0, 3), lines[3].replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), ...lines.slice(4)].join('\r\n');
  assert.ok(sum > 3);
  assert.throws(() => dearmorMessage(damaged), (e: unknown) => e instanceof SealerError && /checksum/.test(e.message));
  assert.throws(() => dearmorMessage('no armor here'), (e: unknown) => e instanceof SealerError && e.code === 'MESSAGE_FORMAT');
});
