#!/usr/bin/env node
// Makes sure the system tools the tests drive (swaks, Postfix's smtp-sink, openssl, ...) are installed.
// Run as `pretest`; installs missing required ones with apt-get when root, else says what to install.
//
// Usage: node scripts/install-test-tools.mjs [--check] [--with name,name] [--all]
//   --check   only report; never install (exit 1 if a required tool is missing)
//   --with    also require the named not-yet-required tools (e.g. --with clamav,gnupg)
//   --all     require every tool in the table
import { accessSync, constants, existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/**
 * The tools the tests drive. `commands` must all be found for the tool to count as present;
 * `package` is the Debian package that provides them. `required: false` = listed for later work,
 * not installed unless asked for with --with/--all.
 */
const TOOLS = [
  { name: 'swaks', commands: ['swaks'], package: 'swaks', required: true, use: 'SMTP client for e2e tests' },
  { name: 'postfix', commands: ['smtp-sink', 'smtp-source', 'postfix'], package: 'postfix', required: true, use: 'smtp-sink next hop, smtp-source load' },
  { name: 'openssl', commands: ['openssl'], package: 'openssl', required: true, use: 'test certificates, TLS probes, S/MIME interoperability (openssl cms)' },
  { name: 'clamav', commands: ['clamd'], package: 'clamav-daemon', required: true, use: 'virus scanning: the e2e tests start their own clamd' },
  { name: 'spamassassin', commands: ['sa-learn', 'spamassassin'], package: 'spamassassin', required: false, use: 'npm run bench:spam (the peer)' },
  { name: 'spamd', commands: ['spamd'], package: 'spamd', required: false, use: 'npm run bench:spam (SpamAssassin daemon)' },
  { name: 'spamc', commands: ['spamc'], package: 'spamc', required: false, use: 'npm run bench:spam (client)' },
  { name: 'dovecot', commands: ['dovecot'], package: 'dovecot-pop3d', required: true, use: 'POP3 peer of pop3-proxy tests (started by the tests, never as a system service)' },
  { name: 'postgresql', commands: ['initdb', 'postgres', 'pg_ctl'], package: 'postgresql', required: true, use: 'cluster mode: PostgreSQL store tests start their own throwaway server (initdb into a temp dir, loopback port)' },
  { name: 'chromium', commands: ['chromium'], package: 'chromium', required: true, use: 'web console e2e tests (driven by playwright-core, headless)' },
  { name: 'gnupg', commands: ['gpg'], package: 'gnupg', required: true, use: 'OpenPGP interoperability of the mail-sealer (GNUPGHOME in a temp dir per test)' },
  { name: 'notmuch', commands: ['notmuch'], package: 'notmuch', required: false, use: 'npm run bench:archive (the peer mail indexer)' },
  { name: 'unzip', commands: ['unzip'], package: 'unzip', required: true, use: 'reads back the archive\'s zip exports (an independent zip reader)' },
  { name: 'slapd', commands: ['slapd', 'slapadd'], package: 'slapd', required: true, use: 'LDAP bind for console logins (the test starts its own slapd on loopback with a config in a temp dir)' },
];

const args = process.argv.slice(2);
const checkOnly = args.includes('--check');
const all = args.includes('--all');
const withIdx = args.indexOf('--with');
const extra = new Set(withIdx >= 0 && args[withIdx + 1] ? args[withIdx + 1].split(',').map((s) => s.trim()) : []);
const wanted = (t) => t.required || all || extra.has(t.name) || extra.has(t.package);

/** Directories searched besides PATH: sbin dirs (not on a normal user's PATH) and PostgreSQL's versioned bin dirs. */
function searchDirs() {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  dirs.push('/usr/local/sbin', '/usr/sbin', '/sbin');
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const v of versions) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    /* no PostgreSQL */
  }
  return [...new Set(dirs)];
}

function findCommand(cmd, dirs) {
  for (const d of dirs) {
    const p = join(d, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return null;
}

function survey() {
  const dirs = searchDirs();
  return TOOLS.map((t) => {
    const found = Object.fromEntries(t.commands.map((c) => [c, findCommand(c, dirs)]));
    return { ...t, found, present: Object.values(found).every(Boolean) };
  });
}

/** Is anything listening on TCP port 25 (IPv4 or IPv6)? Read from /proc, no tools needed. */
function listeningOn25() {
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[3] === '0A' && cols[1].endsWith(':0019')) return true;
    }
  }
  return false;
}

function run(cmd, cmdArgs, opts = {}) {
  console.log(`install-test-tools: $ ${[cmd, ...cmdArgs].join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', ...opts, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...(opts.env ?? {}) } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} exited with ${r.status ?? r.signal}`);
  return r;
}

function install(packages) {
  console.log(`install-test-tools: installing missing test tools with apt-get: ${packages.join(' ')}`);
  if (packages.includes('postfix')) {
    // No system mail server: "No configuration" writes no main.cf and starts nothing on port 25
    // (smtp-sink/smtp-source do not need one).
    console.log('install-test-tools: preseeding debconf: postfix postfix/main_mailer_type select No configuration');
    run('debconf-set-selections', [], { input: 'postfix postfix/main_mailer_type select No configuration\n', stdio: ['pipe', 'inherit', 'inherit'] });
  }
  // Keep maintainer scripts from starting services (exit 101 = "action forbidden").
  const policy = '/usr/sbin/policy-rc.d';
  let createdPolicy = false;
  if (!existsSync(policy)) {
    console.log(`install-test-tools: writing temporary ${policy} (exit 101) so no service is started`);
    writeFileSync(policy, '#!/bin/sh\n# temporary, written by gatehouse scripts/install-test-tools.mjs\nexit 101\n', { mode: 0o755 });
    createdPolicy = true;
  }
  try {
    run('apt-get', ['update']);
    run('apt-get', ['install', '-y', '--no-install-recommends', ...packages]);
  } finally {
    if (createdPolicy) {
      try {
        unlinkSync(policy);
        console.log(`install-test-tools: removed temporary ${policy}`);
      } catch {
        /* already gone */
      }
    }
  }
  if (packages.includes('postfix')) {
    const status = spawnSync('postfix', ['status'], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
    if (status.status === 0) {
      console.log('install-test-tools: the system postfix is running; stopping it');
      spawnSync('postfix', ['stop'], { stdio: 'inherit', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
    }
  }
}

let tools = survey();
const missing = tools.filter((t) => wanted(t) && !t.present);

if (missing.length > 0) {
  const pkgs = [...new Set(missing.map((t) => t.package))];
  const what = missing.map((t) => `${t.name} (${t.commands.filter((c) => !t.found[c]).join(', ')})`).join('; ');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (checkOnly || !isRoot) {
    console.error(`install-test-tools: missing test tools: ${what}`);
    console.error(`install-test-tools: install them with: sudo apt-get install -y --no-install-recommends ${pkgs.join(' ')}`);
    if (pkgs.includes('postfix')) {
      console.error("install-test-tools: (preseed first so no mail server is set up: echo 'postfix postfix/main_mailer_type select No configuration' | sudo debconf-set-selections)");
    }
    process.exit(1);
  }
  try {
    install(pkgs);
  } catch (err) {
    console.error(`install-test-tools: installing ${pkgs.join(' ')} failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
  if (listeningOn25()) {
    console.warn('install-test-tools: warning: something is still listening on port 25 after the install');
  }
  tools = survey();
  const still = tools.filter((t) => wanted(t) && !t.present);
  if (still.length > 0) {
    console.error(`install-test-tools: still missing after install: ${still.map((t) => t.name).join(', ')}`);
    process.exit(1);
  }
}

const fmt = (t) => t.commands.filter((c) => t.found[c]).join(', ');
const have = tools.filter((t) => wanted(t)).map(fmt);
const optionalHave = tools.filter((t) => !wanted(t) && Object.values(t.found).some(Boolean)).map(fmt);
const optionalMissing = tools.filter((t) => !wanted(t) && !t.present).map((t) => t.name);
console.log(
  `install-test-tools: found ${have.join(', ')}` +
    (optionalHave.length ? `; also ${optionalHave.join(', ')}` : '') +
    (optionalMissing.length ? `; not yet required, absent: ${optionalMissing.join(', ')}` : ''),
);
