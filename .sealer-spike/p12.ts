import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readPkcs12, writePkcs12, looksLikePkcs12 } from '../src/services/mail-sealer/keys/pkcs12.ts';
import { pemBlocks } from '../src/services/mail-sealer/keys/x509.ts';
const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
run(['pkcs12', '-export', '-in', '/tmp/spike/user.pem', '-inkey', '/tmp/spike/user.key', '-certfile', '/tmp/spike/ca.pem', '-passout', 'pass:sécret', '-out', '/tmp/spike/a.p12']);
run(['pkcs12', '-export', '-in', '/tmp/spike/user.pem', '-inkey', '/tmp/spike/user.key', '-passout', 'pass:pw', '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-out', '/tmp/spike/b.p12']);
for (const [f, pw] of [['a', 'sécret'], ['b', 'pw']]) {
  const der = readFileSync(`/tmp/spike/${f}.p12`);
  const r = readPkcs12(der, pw);
  console.log(f, looksLikePkcs12(der), r.certificates.length, r.privateKey?.asymmetricKeyType);
  try { readPkcs12(der, 'wrong'); } catch (e) { console.log((e as any).code, (e as Error).message); }
}
const cert = pemBlocks(readFileSync('/tmp/spike/user.pem', 'utf8'))[0].der;
const ca = pemBlocks(readFileSync('/tmp/spike/ca.pem', 'utf8'))[0].der;
writeFileSync('/tmp/spike/out.p12', writePkcs12({ certificate: cert, chain: [ca], privateKey: createPrivateKey(readFileSync('/tmp/spike/user.key')), password: 'pässword', friendlyName: 'alice@example.test' }));
console.log(run(['pkcs12', '-in', '/tmp/spike/out.p12', '-passin', 'pass:pässword', '-nodes', '-info']).split('\n').filter(l => /BEGIN|friendly|Bag|MAC/.test(l)).join('\n'));
console.log(readPkcs12(readFileSync('/tmp/spike/out.p12'), 'pässword').certificates.length);
