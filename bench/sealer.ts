// MailSealer benchmark: sign+encrypt and decrypt+verify of the same mails, S/MIME and OpenPGP,
// Gatehouse's seal stages side by side with the command-line tools doing the same work:
//
//   npm run bench:sealer
//   BENCH_MAILS=200 BENCH_SIZES=20k,1m BENCH_PEERS=gatehouse,openssl,gpg npm run bench:sealer
//
// Gatehouse: the real stages (seal-out for sign+encrypt, seal-in for decrypt+verify) over the
// embedded store, as the flow runs them: the body is read from the store, sealed, and the result
// written back as the mail's new body (inline in SQLite or a body file, durable); keys come from
// the keyring (sealed at rest); the signature is checked with its chain. One mail at a time.
// Peers, one mail at a time too, on the same plaintext mails and keys:
//   S/MIME   `openssl cms -sign -md sha256 | openssl cms -encrypt -aes256` (multipart/signed inside
//            enveloped, what seal-out makes); `openssl cms -decrypt | openssl cms -verify -CAfile`.
//   OpenPGP  `gpg --sign --encrypt --armor` (one signed+encrypted message, what seal-out makes);
//            `gpg --decrypt` (which verifies). gpg reads the armored payload of the PGP/MIME mail.
// Decrypt+verify runs on the mails Gatehouse sealed, for every implementation alike. Each mail is
// done by Gatehouse and then by the peer, so both see the same load when the machine is shared.
// Figures: mails/s, latency p50/p95/p99 per mail, peak RSS (Gatehouse: VmHWM of this process,
// reset per run; peers: max RSS of one tool process of the pipeline, from GNU time, one extra run).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { newMailId } from '../src/core/ids.ts';
import type { Envelope } from '../src/core/mail.ts';
import type { StageContext } from '../src/flow/stage.ts';
import { validateConfig } from '../src/config/load.ts';
import { openSqliteStore } from '../src/store/sqlite/open.ts';
import type { ClaimedMail } from '../src/store/store.ts';
import { createLogger } from '../src/services/log-manager/logger.ts';
import { KeyVault } from '../src/services/mail-sealer/keys/key-vault.ts';
import { Keyring } from '../src/services/mail-sealer/keys/keyring.ts';
import { parseEntity } from '../src/services/mail-sealer/mime/entity.ts';
import { SealerPolicies } from '../src/services/mail-sealer/policy.ts';
import { createSealInStage } from '../src/services/mail-sealer/seal-in.ts';
import { createSealOutStage } from '../src/services/mail-sealer/seal-out.ts';
import { resetHWM, vmHWM } from './lib/procfs.ts';
import { fmt, percentile, ratio, table } from './lib/stats.ts';

const MAILS = Math.max(1, Math.min(1000, Number(process.env.BENCH_MAILS ?? 50)));
const SIZES = (process.env.BENCH_SIZES ?? '20k,1m').split(',').map((s) => {
  const m = /^(\d+)([km]?)$/i.exec(s.trim());
  if (!m) throw new Error(`BENCH_SIZES: not a size: ${s}`);
  return { label: s.trim().toLowerCase(), bytes: Number(m[1]) * ({ k: 1024, m: 1024 * 1024 } as Record<string, number>)[m[2].toLowerCase()] || Number(m[1]) };
});
const PEERS = (process.env.BENCH_PEERS ?? 'gatehouse,openssl,gpg').split(',');
const TOOL_TIMEOUT_MS = 120_000;

type Method = 'smime' | 'pgp';
type Op = 'sign+encrypt' | 'decrypt+verify';
interface Result {
  method: Method;
  op: Op;
  size: string;
  impl: string;
  mails: number;
  mailsPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  peakRssMb: number | null;
}

const work = mkdtempSync(join(tmpdir(), 'gh-bench-sealer-'));
const f = (name: string) => join(work, name);
const log = createLogger('bench', []);

/** A realistic mail of about `bytes`: a text part and a base64 attachment of random data. */
function makeMail(i: number, bytes: number): Buffer {
  const text = `Dear Bob,\r\n\r\nplease find report ${i} attached.\r\n\r\nAlice\r\n`;
  const payload = randomBytes(Math.max(0, Math.floor(((bytes - 600) * 3) / 4)));
  const b64 = payload.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: Alice <alice@example.test>',
      'To: Bob <bob@partner.test>',
      `Subject: report ${i}`,
      `Message-ID: <bench-${i}-${bytes}@example.test>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="bench-b"',
      '',
      '--bench-b',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      text,
      '--bench-b',
      `Content-Type: application/octet-stream; name="report-${i}.bin"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="report-${i}.bin"`,
      '',
      b64,
      '--bench-b--',
      '',
    ].join('\r\n'),
  );
}

/** Runs `first | second` (second optional) on `input`; the last stdout is read and dropped. Rejects on a failed exit. */
function pipeline(first: string[], second: string[] | null, input: Buffer, env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const opts = { env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] as ('pipe' | 'ignore')[] };
    const procs = [spawn(first[0], first.slice(1), opts), ...(second ? [spawn(second[0], second.slice(1), opts)] : [])];
    const stderr: string[] = [];
    const failed: string[] = [];
    let pending = procs.length;
    const timer = setTimeout(() => procs.forEach((p) => p.kill()), TOOL_TIMEOUT_MS);
    procs.forEach((p, i) => {
      p.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
      p.stdin!.on('error', () => undefined);
      p.on('close', (code) => {
        if (code !== 0) failed.push(`${(i ? second! : first).slice(0, 3).join(' ')} exited ${code}`);
        if (--pending) return;
        clearTimeout(timer);
        if (failed.length) reject(new Error(`${failed.join('; ')}: ${stderr.join('').trim().slice(0, 500)}`));
        else resolve();
      });
    });
    procs[0].stdin!.end(input);
    if (procs[1]) procs[0].stdout!.pipe(procs[1].stdin!);
    procs[procs.length - 1].stdout!.resume();
  });
}

/** Max RSS (MiB) of one run of a tool, measured with GNU time (not part of the timed runs). */
function toolRss(cmd: string[], input: Buffer, env?: NodeJS.ProcessEnv): number | null {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...cmd], { input, env: env ?? process.env, maxBuffer: 256 * 1024 * 1024 });
  const kb = Number(/(\d+)\s*$/.exec(r.stderr.toString())?.[1]);
  return Number.isFinite(kb) && kb > 0 ? kb / 1024 : null;
}

function summarise(base: Omit<Result, 'mailsPerSec' | 'p50' | 'p95' | 'p99' | 'mails'>, lat: number[], totalMs: number): Result {
  return { ...base, mails: lat.length, mailsPerSec: (lat.length * 1000) / totalMs, p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99) };
}

async function main(): Promise<void> {
  // --- Gatehouse: store, keyring, keys for alice (sender) and bob (recipient), both methods ---
  const dataDir = f('data');
  const store = openSqliteStore(dataDir);
  const { vault } = await KeyVault.open(dataDir);
  const keyring = new Keyring({ store: store.keys, vault, caName: 'Bench CA', userDays: 30 });
  await keyring.ensureCa();
  const ids: Record<string, string> = {};
  for (const a of ['alice@example.test', 'bob@partner.test']) {
    ids[`${a}:smime`] = (await keyring.issue(a, { actor: 'bench' })).id;
    ids[`${a}:pgp`] = (await keyring.issue(a, { actor: 'bench', pgp: true })).id;
  }
  const exportTo = async (id: string, file: string) => writeFileSync(file, (await keyring.export(id, { withPrivate: true, format: 'pem', actor: 'bench' })).data);
  await exportTo(ids['alice@example.test:smime'], f('alice.pem'));
  await exportTo(ids['bob@partner.test:smime'], f('bob.pem'));
  writeFileSync(f('ca.pem'), await keyring.caCertificate());
  const gnupg = f('gnupg');
  mkdirSync(gnupg, { mode: 0o700 });
  const gpgEnv = { ...process.env, GNUPGHOME: gnupg };
  for (const who of ['alice@example.test', 'bob@partner.test']) {
    const key = (await keyring.export(ids[`${who}:pgp`], { withPrivate: true, actor: 'bench' })).data;
    const r = spawnSync('gpg', ['--batch', '--import'], { input: key, env: gpgEnv });
    if (r.status !== 0) throw new Error(`gpg --import: ${r.stderr}`);
  }
  const gpgBase = ['gpg', '--batch', '--yes', '--quiet', '--trust-model', 'always', '--pinentry-mode', 'loopback', '--passphrase', ''];

  const sealerConfig = validateConfig({}).sealer;
  const policiesFor = (method: Method) =>
    new SealerPolicies(validateConfig({ sealer: { policies: [{ name: 'bench', direction: 'any', recipients: ['*@partner.test'], sign: 'force', encrypt: 'force', method }] } }).sealer.policies);
  let policies = policiesFor('smime');
  const deps = { keyring: () => keyring, policies: () => policies, config: () => sealerConfig };
  const sealOut = createSealOutStage({ ...deps, hostname: 'gate.example.test' });
  const sealIn = createSealInStage(deps);

  async function claimed(body: Buffer, direction: Envelope['direction'], queue: 'seal-in' | 'seal-out'): Promise<{ mail: ClaimedMail; ctx: StageContext }> {
    const id = newMailId();
    const w = await store.bodies.create(id);
    await w.write(body);
    await w.commit();
    const now = Date.now();
    const envelope: Envelope = { sender: 'alice@example.test', direction, source: 'smtp', recipients: [{ address: 'bob@partner.test', status: 'pending' }] };
    const mail: ClaimedMail = { id, queue, envelope, size: body.length, receivedAt: now, queuedAt: now, notBefore: 0, attempts: 0, delayNotified: false, bodyKey: id, leaseOwner: 'bench', leaseUntil: now + 600_000 };
    const ctx: StageContext = { openBody: () => store.bodies.open(id), readBody: () => store.bodies.read(id), bodies: store.bodies, log, signal: new AbortController().signal };
    return { mail, ctx };
  }

  const results: Result[] = [];
  const note = (r: Result) => {
    results.push(r);
    console.error(`  ${r.method} ${r.op} ${r.size} ${r.impl}: ${fmt(r.mailsPerSec)} mails/s, p50 ${fmt(r.p50, 2)} ms`);
  };

  for (const size of SIZES) {
    const plain = Array.from({ length: MAILS }, (_, i) => makeMail(i, size.bytes));
    for (const method of ['smime', 'pgp'] as Method[]) {
      policies = policiesFor(method);
      const peer = method === 'smime' ? 'openssl' : 'gpg';
      const withPeer = PEERS.includes(peer);
      const env = method === 'pgp' ? gpgEnv : undefined;
      const signEncrypt: [string[], string[] | null] =
        method === 'smime'
          ? [['openssl', 'cms', '-sign', '-md', 'sha256', '-signer', f('alice.pem'), '-inkey', f('alice.pem')], ['openssl', 'cms', '-encrypt', '-aes256', f('bob.pem')]]
          : [[...gpgBase, '-u', 'alice@example.test', '-r', 'bob@partner.test', '--sign', '--encrypt', '--armor'], null];
      const decryptVerify: [string[], string[] | null] =
        method === 'smime'
          ? [['openssl', 'cms', '-decrypt', '-recip', f('bob.pem'), '-inkey', f('bob.pem')], ['openssl', 'cms', '-verify', '-CAfile', f('ca.pem'), '-purpose', 'any']]
          : [[...gpgBase, '--decrypt'], null];
      // Mail by mail, Gatehouse then the peer: both see the same load on a shared machine.
      const ours = { seal: [] as number[], open: [] as number[] };
      const theirs = { seal: [] as number[], open: [] as number[] };
      const sealed: Buffer[] = [];
      resetHWM(process.pid);
      for (const body of plain) {
        const { mail, ctx } = await claimed(body, 'outbound', 'seal-out');
        const t0 = performance.now();
        const r = await sealOut.process(mail, ctx);
        ours.seal.push(performance.now() - t0);
        if (!r.bodyKey) throw new Error(`seal-out did not seal: ${JSON.stringify(r.outcome)}`);
        sealed.push(await store.bodies.read(r.bodyKey));
        if (withPeer) {
          const t1 = performance.now();
          await pipeline(signEncrypt[0], signEncrypt[1], body, env);
          theirs.seal.push(performance.now() - t1);
        }
      }
      const sealRss = (vmHWM(process.pid) ?? 0) / 1048576 || null;
      // Decrypt+verify, on what Gatehouse sealed (gpg gets the armored payload of the PGP/MIME mail).
      resetHWM(process.pid);
      const peerInput = (s: Buffer) => (method === 'smime' ? s : Buffer.from(/-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/.exec(s.toString('latin1'))![0], 'latin1'));
      for (const body of sealed) {
        const { mail, ctx } = await claimed(body, 'inbound', 'seal-in');
        const t0 = performance.now();
        const r = await sealIn.process(mail, ctx);
        ours.open.push(performance.now() - t0);
        const out = r.bodyKey ? (await store.bodies.read(r.bodyKey)).toString('latin1') : '';
        if (!/X-Gatehouse-Decryption: decrypted/i.test(out) || !/X-Gatehouse-Signature: valid/i.test(out)) throw new Error(`seal-in did not decrypt and verify: ${out.slice(0, 600)}`);
        if (withPeer) {
          const input = peerInput(body);
          const t1 = performance.now();
          await pipeline(decryptVerify[0], decryptVerify[1], input, env);
          theirs.open.push(performance.now() - t1);
        }
      }
      const openRss = (vmHWM(process.pid) ?? 0) / 1048576 || null;
      const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
      const base = { method, size: size.label };
      if (PEERS.includes('gatehouse')) {
        note(summarise({ ...base, op: 'sign+encrypt', impl: 'gatehouse', peakRssMb: sealRss }, ours.seal, sum(ours.seal)));
        note(summarise({ ...base, op: 'decrypt+verify', impl: 'gatehouse', peakRssMb: openRss }, ours.open, sum(ours.open)));
      }
      if (withPeer) {
        const sealToolRss = Math.max(toolRss(signEncrypt[0], plain[0], env) ?? 0, signEncrypt[1] ? (toolRss(signEncrypt[1], plain[0], env) ?? 0) : 0) || null;
        note(summarise({ ...base, op: 'sign+encrypt', impl: peer, peakRssMb: sealToolRss }, theirs.seal, sum(theirs.seal)));
        note(summarise({ ...base, op: 'decrypt+verify', impl: peer, peakRssMb: toolRss(decryptVerify[0], peerInput(sealed[0]), env) }, theirs.open, sum(theirs.open)));
      }
    }
  }

  const rows = [['method', 'op', 'size', 'impl', 'mails', 'mails/s', 'p50 ms', 'p95 ms', 'p99 ms', 'peak RSS MiB', 'vs peer']];
  for (const r of results) {
    const peer = r.impl === 'gatehouse' ? results.find((x) => x.impl !== 'gatehouse' && x.method === r.method && x.op === r.op && x.size === r.size) : undefined;
    rows.push([r.method, r.op, r.size, r.impl, String(r.mails), fmt(r.mailsPerSec), fmt(r.p50, 2), fmt(r.p95, 2), fmt(r.p99, 2), fmt(r.peakRssMb), peer ? ratio(r.mailsPerSec, peer.mailsPerSec) : '']);
  }
  console.log(`\nMailSealer: ${MAILS} mails per size, one at a time, interleaved (vs peer = Gatehouse mails/s / peer mails/s; Gatehouse RSS is the whole process)\n`);
  console.log(table(rows));
  const out = join(dirname(new URL(import.meta.url).pathname), 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `sealer-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ mails: MAILS, sizes: SIZES, results }, null, 2));
  console.log(`\nresults: ${file}`);

  await store.close();
  spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: gpgEnv });
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
