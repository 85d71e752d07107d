// ChainVerifier on hand-made chains: each kind of damage is named at the right link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, ChainVerifier, GENESIS_HASH, sha256Hex, type ChainLink } from './hash-chain.ts';

/** A valid chain of n links: hash = sha256(seq + content + prev). */
function chain(n: number): (ChainLink & { content: string })[] {
  const out: (ChainLink & { content: string })[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const content = `event ${seq}`;
    const hash = sha256Hex(`${seq}|${content}|${prev}`);
    out.push({ seq, prevHash: prev, hash, computed: hash, content });
    prev = hash;
  }
  return out;
}

function verify(links: ChainLink[]) {
  const v = new ChainVerifier('record');
  for (const l of links) v.add(l);
  return v.finish();
}

const kinds = (r: ReturnType<typeof verify>) => r.problems.map((p) => [p.seq, p.kind, ...(p.toSeq ? [p.toSeq] : [])]);

test('canonical JSON sorts keys at every level and drops undefined', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined, x: 'q' }], c: null } }), '{"a":{"c":null,"d":[1,{"x":"q","z":1}]},"b":1}');
});

test('an intact chain is ok and reports its head', () => {
  const c = chain(5);
  const r = verify(c);
  assert.equal(r.ok, true);
  assert.deepEqual(r.head, { seq: 5, hash: c[4].hash });
});

test('a run of removed links is one problem naming the range', () => {
  const c = chain(8);
  assert.deepEqual(kinds(verify([...c.slice(0, 2), ...c.slice(5)])), [[3, 'missing', 5]]);
});

test('a link moved later is out of order; the links around it still check', () => {
  const c = chain(6);
  assert.deepEqual(kinds(verify([c[0], c[2], c[3], c[1], c[4], c[5]])), [[2, 'out-of-order']]);
});

test('the first link moved to the end is out of order', () => {
  const c = chain(4);
  assert.deepEqual(kinds(verify([c[1], c[2], c[3], c[0]])), [[1, 'out-of-order']]);
});

test('a link rewritten with a freshly computed hash breaks the link after it', () => {
  const c = chain(4);
  const forged = { ...c[1], hash: 'f'.repeat(64), computed: 'f'.repeat(64) };
  assert.deepEqual(kinds(verify([c[0], forged, c[2], c[3]])), [[3, 'relinked']]);
});

test('a changed link and a duplicate are named', () => {
  const c = chain(3);
  assert.deepEqual(kinds(verify([c[0], { ...c[1], computed: 'x' }, c[2], c[2]])), [
    [2, 'changed'],
    [3, 'duplicate'],
  ]);
});
