// Console logins through LDAP against a real OpenLDAP (Debian's slapd, started here on loopback
// with its own config and database in a temp dir): a directory user logs in with the directory's
// password and gets the role of the mapped group and their mail address (so their own mail
// works); a wrong password, a user in no mapped group and filter/DN metacharacters are refused;
// the search-base mode finds the entry first; ldaps:// and StartTLS trust the configured CA only; local users still log in when slapd is gone, while
// directory logins answer LDAP_UNAVAILABLE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { tempDir, removeTempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';
import { createLdapAuthenticator } from '../../src/admin/auth/ldap.ts';
import { ldapConfigSchema } from '../../src/admin/auth/ldap-config.ts';

const SUFFIX = 'dc=example,dc=test';
const people = (uid: string) => `uid=${uid},ou=people,${SUFFIX}`;
const SLAPD = '/usr/sbin/slapd';

let dir: string;
let slapd: ChildProcess | null = null;
let ldapUrl: string;
let ldapsUrl: string;
let caFile: string;
let gw: Gateway;
let adminPassword: string;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const person = (uid: string, password: string, mail: string) => `dn: ${people(uid)}
objectClass: inetOrgPerson
uid: ${uid}
cn: ${uid}
sn: ${uid}
mail: ${mail}
userPassword: ${password}
`;

async function startSlapd(): Promise<void> {
  dir = await tempDir('gatehouse-slapd-');
  mkdirSync(join(dir, 'db'));
  // A self-signed certificate for 127.0.0.1: ldaps:// and StartTLS are checked against it as the CA.
  caFile = join(dir, 'cert.pem');
  const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', caFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  assert.equal(cert.status, 0, cert.stderr);
  const conf = join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCertificateFile ${caFile}
TLSCertificateKeyFile ${dir}/key.pem
database mdb
maxsize 10485760
suffix "${SUFFIX}"
rootdn "cn=root,${SUFFIX}"
rootpw root-secret-pw
directory ${dir}/db
access to attrs=userPassword by anonymous auth by self read by * none
access to * by * read
`,
  );
  const ldif = [
    `dn: ${SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n`,
    `dn: ou=people,${SUFFIX}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=groups,${SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n`,
    person('lena', 'lenas-ldap-password', 'Lena@Example.test'),
    person('otto', 'ottos-ldap-password', 'otto@example.test'),
    person('nora', 'noras-ldap-password', 'nora@example.test'),
    // A user named like a filter wildcard: must only ever match itself.
    person('star*', 'stars-ldap-password', 'star@example.test'),
    `dn: cn=gatehouse-admins,ou=groups,${SUFFIX}\nobjectClass: groupOfNames\ncn: gatehouse-admins\nmember: ${people('otto')}\n`,
    `dn: cn=gatehouse-users,ou=groups,${SUFFIX}\nobjectClass: groupOfNames\ncn: gatehouse-users\nmember: ${people('lena')}\nmember: ${people('otto')}\n`,
  ].join('\n');
  writeFileSync(join(dir, 'data.ldif'), ldif);
  const add = spawnSync('/usr/sbin/slapadd', ['-f', conf, '-l', join(dir, 'data.ldif')], { encoding: 'utf8' });
  assert.equal(add.status, 0, add.stderr);
  const port = await freePort();
  ldapUrl = `ldap://127.0.0.1:${port}`;
  ldapsUrl = `ldaps://127.0.0.1:${await freePort()}`;
  // -d keeps slapd in the foreground (its child, ended by the test); 0 = no debug output.
  // Never outlive this test process, even when it is killed before after() runs.
  process.once('exit', () => slapd?.exitCode === null && slapd.kill('SIGKILL'));
  slapd = spawn(SLAPD, ['-f', conf, '-h', `${ldapUrl}/ ${ldapsUrl}/`, '-d', process.env.SLAPD_DEBUG ?? '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  slapd.stderr!.on('data', (d) => (err += d, process.env.SLAPD_DEBUG && process.stderr.write(d)));
  await waitFor(
    async () => {
      if (slapd!.exitCode !== null) throw new Error(`slapd exited: ${err}`);
      const a = createLdapAuthenticator(ldapConfigSchema.parse({ url: ldapUrl, bindDn: `uid={user},ou=people,${SUFFIX}`, defaultRole: 'user' }));
      return a.authenticate('lena', 'lenas-ldap-password').then(Boolean, () => false);
    },
    { timeoutMs: 15_000, what: 'slapd to answer' },
  );
}

async function stopSlapd(): Promise<void> {
  if (!slapd || slapd.exitCode !== null) return;
  const exited = new Promise((r) => slapd!.once('exit', r));
  slapd.kill('SIGTERM');
  await exited;
}

before(async () => {
  await startSlapd();
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      admin: {
        ldap: {
          url: ldapUrl,
          bindDn: `uid={user},ou=people,${SUFFIX}`,
          roleMapping: { [`cn=gatehouse-admins,ou=groups,${SUFFIX}`]: 'admin', [`cn=gatehouse-users,ou=groups,${SUFFIX}`]: 'user' },
          timeout: '3s',
        },
      },
    },
  });
  adminPassword = readFileSync(join(gw.dataDir, 'initial-admin-password'), 'utf8').trim();
});

after(async () => {
  await gw?.dispose();
  await stopSlapd();
  if (dir) await removeTempDir(dir);
});

const login = (username: string, password: string) => gw.api('POST', '/api/v1/session', { username, password }, { token: null });
const cookieOf = (r: { headers: Headers }) => (r.headers.get('set-cookie') ?? '').split(';')[0];

test('a directory user logs in with the LDAP password and gets the mapped role and their mail address', async () => {
  const lena = await login('lena', 'lenas-ldap-password');
  assert.equal(lena.status, 200, lena.text);
  assert.deepEqual(lena.json.user, { name: 'lena', role: 'user', email: 'lena@example.test' });
  const me = await gw.api('GET', '/api/v1/me', undefined, { token: null, headers: { cookie: cookieOf(lena) } });
  assert.deepEqual(me.json, { name: 'lena', role: 'user', email: 'lena@example.test' }, 'own mail is that address');
  assert.equal((await gw.api('GET', '/api/v1/services', undefined, { token: null, headers: { cookie: cookieOf(lena) } })).status, 403);

  // In both groups: the strongest role wins.
  const otto = await login('otto', 'ottos-ldap-password');
  assert.equal(otto.json.user.role, 'admin');
  assert.equal((await gw.api('GET', '/api/v1/users', undefined, { token: null, headers: { cookie: cookieOf(otto) } })).status, 200);

  const users = (await gw.api('GET', '/api/v1/users')).json.users as { name: string; source: string; role: string }[];
  assert.deepEqual(users.filter((u) => u.source === 'ldap').map((u) => [u.name, u.role]).sort(), [['lena', 'user'], ['otto', 'admin']]);
  assert.match((await gw.cli(['users', 'list'])).stdout, /lena\s+user\s+lena@example\.test\s+ldap/);
  const log = (await gw.api('GET', '/api/v1/compliance?category=admin&limit=100')).text;
  assert.match(log, /"action":"user.ldap-add","actor":"ldap","subject":"lena"/);
});

test('wrong passwords, users in no mapped group and names with filter characters are refused', async () => {
  for (const [name, pw] of [
    ['lena', 'not-lenas-password'],
    ['nora', 'noras-ldap-password'], // in no mapped group, and no defaultRole
    ['*', 'lenas-ldap-password'],
    ['lena)(uid=*', 'lenas-ldap-password'],
    ['nobody', 'whatever-password'],
  ]) {
    const r = await login(name, pw);
    assert.equal(r.status, 401, `${name}: ${r.text}`);
    assert.equal(r.json.code, 'LOGIN_FAILED');
  }
  // A shadow user made by an LDAP login has no password of its own: the marker is no password.
  assert.equal((await login('lena', '!ldap')).status, 401);
});

test('the search-base mode finds the entry first; a wildcard in the name matches only itself', async () => {
  const a = createLdapAuthenticator(
    ldapConfigSchema.parse({ url: ldapUrl, searchBase: `ou=people,${SUFFIX}`, searchFilter: '(&(objectClass=inetOrgPerson)(uid={user}))', defaultRole: 'helpdesk', roleMapping: { [`cn=gatehouse-admins,ou=groups,${SUFFIX}`]: 'admin' } }),
  );
  assert.deepEqual(await a.authenticate('nora', 'noras-ldap-password'), { name: 'nora', role: 'helpdesk', email: 'nora@example.test', dn: people('nora') });
  assert.equal((await a.authenticate('otto', 'ottos-ldap-password'))?.role, 'admin');
  assert.equal(await a.authenticate('nora', 'wrong-password'), null);
  assert.equal(await a.authenticate('nora', ''), null, 'an empty password is never an unauthenticated bind');
  assert.equal(await a.authenticate('*', 'noras-ldap-password'), null, '"*" is escaped: no entry is named *');
  assert.equal((await a.authenticate('star*', 'stars-ldap-password'))?.dn, people('star*'));
  assert.throws(() => ldapConfigSchema.parse({ url: ldapUrl }), /exactly one of bindDn or searchBase/);
});

test('ldaps:// and StartTLS check the directory\'s certificate against the configured CA', async () => {
  const base = { bindDn: `uid={user},ou=people,${SUFFIX}`, defaultRole: 'user' };
  const ldaps = createLdapAuthenticator(ldapConfigSchema.parse({ ...base, url: ldapsUrl, ca: caFile }));
  assert.equal((await ldaps.authenticate('lena', 'lenas-ldap-password'))?.email, 'lena@example.test');
  const startTls = createLdapAuthenticator(ldapConfigSchema.parse({ ...base, url: ldapUrl, startTls: true, ca: caFile }));
  assert.equal((await startTls.authenticate('lena', 'lenas-ldap-password'))?.role, 'user');
  assert.equal(await startTls.authenticate('lena', 'wrong-password'), null);
  const untrusted = createLdapAuthenticator(ldapConfigSchema.parse({ ...base, url: ldapsUrl }));
  await assert.rejects(untrusted.authenticate('lena', 'lenas-ldap-password'), (e: Error) => e.name === 'LdapUnavailable' && /certificate/i.test(e.message));
  assert.throws(() => ldapConfigSchema.parse({ ...base, url: ldapsUrl, startTls: true }), /startTls is for ldap/);
});

test('with slapd gone, directory logins answer LDAP_UNAVAILABLE and local users still log in', async () => {
  await stopSlapd();
  const r = await login('lena', 'lenas-ldap-password');
  assert.equal(r.status, 503, r.text);
  assert.equal(r.json.code, 'LDAP_UNAVAILABLE');
  assert.equal((await login('admin', adminPassword)).status, 200);
});
