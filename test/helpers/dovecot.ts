// Runs a real Dovecot POP3 server (Debian dovecot-pop3d) for tests: its own config in a temp
// dir, passwd-file users, Maildir mailboxes the test fills, POP3 (with STLS) and POP3S on free
// 127.0.0.1 ports, and a certificate made by openssl here (signed by a test CA, SAN pop.test and
// 127.0.0.1). `dovecot -F` is a child of the test, stopped by its PID; no system service.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { removeTempDir, tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export interface DovecotUser {
  user: string;
  password: string;
}

export interface Dovecot {
  host: '127.0.0.1';
  /** Plain POP3 with STLS. */
  pop3Port: number;
  /** Implicit TLS. */
  pop3sPort: number;
  /** The test CA (PEM file) that signed the server certificate. */
  caFile: string;
  /** The server's own certificate (PEM file). */
  certFile: string;
  /** SHA-256 fingerprint of the server certificate ("AB:CD:…"). */
  fingerprint: string;
  pid: number;
  dir: string;
  /** Puts a message into the user's Maildir (new/), as an MTA would deliver it. */
  deliver(user: string, raw: string): void;
  /** How many messages the user's Maildir holds (new + cur). */
  count(user: string): number;
  log(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

function findDovecot(): string {
  for (const p of ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot']) {
    if (spawnSync(p, ['--version']).status === 0) return p;
  }
  throw new Error('dovecot is not installed (Debian package dovecot-pop3d; see scripts/install-test-tools.mjs)');
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** A test CA and a server certificate it signed, for pop.test and 127.0.0.1. */
function makeCertificates(dir: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Gatehouse Test CA'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=pop.test'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:pop.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'san.ext'], dir);
}

export async function startDovecot(users: DovecotUser[]): Promise<Dovecot> {
  const bin = findDovecot();
  const dir = await tempDir('gatehouse-dovecot-');
  chmodSync(dir, 0o755); // mail processes run as another user and must reach the homes
  makeCertificates(dir);
  const root = process.getuid?.() === 0;
  const me = userInfo();
  // As root, mail is owned by `nobody` (Dovecot refuses uid 0 for mail); otherwise by us.
  const mailUid = root ? 65534 : me.uid;
  const mailGid = root ? 65534 : me.gid;
  for (const d of ['run', 'state']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'passwd'), users.map((u) => `${u.user}:{PLAIN}${u.password}::::::\n`).join(''));
  for (const u of users) {
    for (const sub of ['new', 'cur', 'tmp']) mkdirSync(join(dir, 'home', u.user, 'Maildir', sub), { recursive: true });
    if (root) chownTree(join(dir, 'home', u.user), mailUid, mailGid);
  }
  const [pop3Port, pop3sPort] = [await freePort(), await freePort()];
  const nonRoot = root ? '' : `default_login_user = ${me.username}\ndefault_internal_user = ${me.username}\n`;
  writeFileSync(
    join(dir, 'dovecot.conf'),
    `# written by test/helpers/dovecot.ts
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
first_valid_uid = 1
${nonRoot}passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${dir}/home/%u
}
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
service pop3-login {
  chroot =
  inet_listener pop3 {
    port = ${pop3Port}
  }
  inet_listener pop3s {
    port = ${pop3sPort}
    ssl = yes
  }
}
service anvil {
  chroot =
  # no growing auth penalty for the tests' repeated wrong passwords (Dovecot's documented switch)
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`,
  );
  const child = spawn(bin, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const log = () => {
    try {
      return readFileSync(join(dir, 'dovecot.log'), 'utf8');
    } catch {
      return '';
    }
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`dovecot exited (${child.exitCode}): ${stderr}${log()}`);
        return (await canConnect(pop3Port)) && (await canConnect(pop3sPort));
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'dovecot listening' },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const certFile = join(dir, 'cert.pem');
  let seq = 0;
  const maildir = (user: string) => join(dir, 'home', user, 'Maildir');
  return {
    host: '127.0.0.1',
    pop3Port,
    pop3sPort,
    caFile: join(dir, 'ca.pem'),
    certFile,
    fingerprint: new X509Certificate(readFileSync(certFile)).fingerprint256,
    pid: child.pid!,
    dir,
    deliver(user, raw) {
      const name = `${Date.now()}.M${++seq}P${process.pid}.test`;
      const tmp = join(maildir(user), 'tmp', name);
      writeFileSync(tmp, raw.replace(/\r\n/g, '\n'));
      if (root) chownSync(tmp, mailUid, mailGid);
      renameSync(tmp, join(maildir(user), 'new', name));
    },
    count(user) {
      return readdirSync(join(maildir(user), 'new')).length + readdirSync(join(maildir(user), 'cur')).length;
    },
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((res) => child.once('exit', res));
        process.kill(child.pid!, 'SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      await removeTempDir(dir);
    },
  };
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });
}

/** A simple RFC 5322 message for tests. */
export function testMessage(o: { from?: string; to?: string; subject: string; body?: string; returnPath?: string }): string {
  const lines = [
    ...(o.returnPath !== undefined ? [`Return-Path: <${o.returnPath}>`] : []),
    `From: ${o.from ?? 'Bob <bob@remote.test>'}`,
    `To: ${o.to ?? 'alice@provider.test'}`,
    `Subject: ${o.subject}`,
    `Message-ID: <${o.subject.replace(/[^A-Za-z0-9]/g, '')}.${Math.random().toString(36).slice(2)}@remote.test>`,
    `Date: ${new Date().toUTCString()}`,
    '',
    o.body ?? `This is ${o.subject}.`,
    '',
  ];
  return lines.join('\n');
}
