import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { createSignedData, checkSignedData } from '../src/services/mail-sealer/smime/cms-signed.ts';
import { createEnvelopedData, openEnvelopedData } from '../src/services/mail-sealer/smime/cms-enveloped.ts';
import { pemBlocks } from '../src/services/mail-sealer/keys/x509.ts';
const cert = pemBlocks(readFileSync('/tmp/spike/user.pem', 'utf8'))[0].der;
const ca = pemBlocks(readFileSync('/tmp/spike/ca.pem', 'utf8'))[0].der;
const key = createPrivateKey(readFileSync('/tmp/spike/user.key'));
const content = Buffer.from('Content-Type: text/plain\r\n\r\nhello world\r\n');
writeFileSync('/tmp/spike/content.txt', content);
const sig = createSignedData(content, { certificate: cert, chain: [ca], privateKey: key });
writeFileSync('/tmp/spike/sig.der', sig);
console.log(execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', '/tmp/spike/sig.der', '-content', '/tmp/spike/content.txt', '-CAfile', '/tmp/spike/ca.pem', '-purpose', 'smimesign'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString());
console.log(checkSignedData(sig, content).intact, checkSignedData(sig, Buffer.from('x')).reason);
for (const cipher of ['aes-256-cbc', 'aes-256-gcm'] as const) for (const kt of ['rsa-pkcs1', 'rsa-oaep'] as const) {
  const env = createEnvelopedData(content, [cert], { cipher, keyTransport: kt });
  writeFileSync('/tmp/spike/env.der', env);
  const out = execFileSync('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', '/tmp/spike/env.der', '-recip', '/tmp/spike/user.pem', '-inkey', '/tmp/spike/user.key']).toString();
  console.log(cipher, kt, JSON.stringify(out), openEnvelopedData(env, [{ certificate: cert, privateKey: () => key }]).content.equals(content));
}
for (const args of [[], ['-aes-256-gcm'], ['-aes128'], ['-des3'], ['LAST']]) {
  execFileSync('openssl', ['cms', '-encrypt', '-binary', '-outform', 'DER', '-in', '/tmp/spike/content.txt', '-out', '/tmp/spike/o.der', ...args.filter(a=>a!=='LAST'), '-recip', '/tmp/spike/user.pem', ...(args[0]==='LAST'?['-keyopt','rsa_padding_mode:oaep']:[])]);
  console.log(args, openEnvelopedData(readFileSync('/tmp/spike/o.der'), [{ certificate: cert, privateKey: () => key }]).content.equals(content));
}
execFileSync('openssl', ['cms', '-sign', '-binary', '-outform', 'DER', '-in', '/tmp/spike/content.txt', '-out', '/tmp/spike/s.der', '-signer', '/tmp/spike/user.pem', '-inkey', '/tmp/spike/user.key']);
console.log('openssl sig', checkSignedData(readFileSync('/tmp/spike/s.der'), content).intact);
execFileSync('openssl', ['cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-in', '/tmp/spike/content.txt', '-out', '/tmp/spike/s2.der', '-signer', '/tmp/spike/user.pem', '-inkey', '/tmp/spike/user.key', '-keyopt', 'rsa_padding_mode:pss']);
const c2 = checkSignedData(readFileSync('/tmp/spike/s2.der'), null);
console.log('openssl pss opaque', c2.intact, c2.reason, c2.content?.equals(content));
