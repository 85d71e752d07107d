// A plain Postfix relay in a temp dir: its own config_directory (main.cf + master.cf written
// here), queue_directory, data_directory and maillog_file, listening only on 127.0.0.1:<port>
// (set in master.cf), relaying bench.test to the sink. Nothing in /etc/postfix is written; the
// binaries, daemon_directory and meta_directory (postfix-files) are the system's, read only.
//
// Started with "postfix -c DIR start-fg" (the master stays a child of ours; a daemonised master
// leaves zombies on these machines), stopped with "postfix -c DIR stop", then the master PID
// (from DIR's queue/pid/master.pid) and our own child are killed if still there.
//
// Tuning is left at Postfix's defaults on purpose ("plain" relay), e.g. in_flow_delay = 1s
// (smtpd slows clients down when the queue manager falls behind), 20 parallel deliveries per
// destination, connection caching to the next hop when there is a backlog.
import { mkdirSync, readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { killPid, onCleanup, runSync, spawnTracked } from './children.ts';
import { pollUntil, smtpGreeting } from './net.ts';
import { treeStats } from './procfs.ts';
import { tail, type Peer } from './peer.ts';

const POSTFIX = '/usr/sbin/postfix';
const POSTCONF = '/usr/sbin/postconf';

function postconfDefault(name: string, dflt: string): string {
  const r = runSync(POSTCONF, ['-dh', name], 5000);
  return r.status === 0 && r.out.trim() ? r.out.trim() : dflt;
}

export interface PostfixOptions {
  dir: string;
  smtpPort: number;
  sinkPort: number;
  /** Extra main.cf lines (e.g. for experiments); default none. */
  extraMain?: string[];
}

export function writePostfixConfig(o: PostfixOptions): { confDir: string; queueDir: string; dataDir: string; maillog: string } {
  const confDir = join(o.dir, 'etc');
  const queueDir = join(o.dir, 'queue');
  const dataDir = join(o.dir, 'data');
  const maillog = join(o.dir, 'maillog');
  mkdirSync(confDir, { recursive: true });
  mkdirSync(queueDir, { recursive: true });
  // The daemons run as mail_owner and must be able to walk down to queue_directory.
  chmodSync(o.dir, 0o755);
  chmodSync(queueDir, 0o755);
  const mailOwner = postconfDefault('mail_owner', 'postfix');
  const setgidGroup = postconfDefault('setgid_group', 'postdrop');

  const main = [
    '# Written by bench/lib/postfix.ts for one benchmark run; removed afterwards.',
    'compatibility_level = 3.6',
    `queue_directory = ${queueDir}`,
    `data_directory = ${dataDir}`,
    `mail_owner = ${mailOwner}`,
    `setgid_group = ${setgidGroup}`,
    'myhostname = postfix.bench.test',
    'mydomain = bench.test',
    'myorigin = $myhostname',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    // No local delivery at all.
    'mydestination =',
    'local_recipient_maps =',
    'local_transport = error:5.1.1 local delivery is disabled',
    'alias_maps =',
    'alias_database =',
    'biff = no',
    'append_dot_mydomain = no',
    // Relay bench.test (and only that) for clients in mynetworks, to the sink.
    'relay_domains = bench.test',
    'mynetworks = 127.0.0.0/8',
    `relayhost = [127.0.0.1]:${o.sinkPort}`,
    'smtpd_client_restrictions =',
    'smtpd_helo_restrictions =',
    'smtpd_sender_restrictions =',
    'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
    'smtpd_recipient_restrictions = permit_mynetworks, reject',
    'message_size_limit = 52428800',
    'smtp_tls_security_level = none',
    'smtpd_tls_security_level = none',
    `maillog_file = ${maillog}`,
    `maillog_file_prefixes = ${o.dir}`,
    'syslog_name = postfix-bench',
    ...(o.extraMain ?? []),
    '',
  ].join('\n');

  // chroot "n" everywhere: the temp queue has no chroot jail set up.
  const master = [
    '# service type  private unpriv  chroot  wakeup  maxproc command + args',
    `127.0.0.1:${o.smtpPort} inet n - n - - smtpd`,
    'pickup    unix  n       -       n       60      1       pickup',
    'cleanup   unix  n       -       n       -       0       cleanup',
    'qmgr      unix  n       -       n       300     1       qmgr',
    'rewrite   unix  -       -       n       -       -       trivial-rewrite',
    'bounce    unix  -       -       n       -       0       bounce',
    'defer     unix  -       -       n       -       0       bounce',
    'trace     unix  -       -       n       -       0       bounce',
    'verify    unix  -       -       n       -       1       verify',
    'flush     unix  n       -       n       1000?   0       flush',
    'proxymap  unix  -       -       n       -       -       proxymap',
    'proxywrite unix -       -       n       -       1       proxymap',
    'smtp      unix  -       -       n       -       -       smtp',
    'relay     unix  -       -       n       -       -       smtp',
    'showq     unix  n       -       n       -       -       showq',
    'error     unix  -       -       n       -       -       error',
    'retry     unix  -       -       n       -       -       error',
    'discard   unix  -       -       n       -       -       discard',
    'anvil     unix  -       -       n       -       1       anvil',
    'scache    unix  -       -       n       -       1       scache',
    'postlog   unix-dgram n  -       n       -       1       postlogd',
    '',
  ].join('\n');

  writeFileSync(join(confDir, 'main.cf'), main);
  writeFileSync(join(confDir, 'master.cf'), master);
  return { confDir, queueDir, dataDir, maillog };
}

export async function startPostfix(o: PostfixOptions): Promise<Peer> {
  const { confDir, queueDir, maillog } = writePostfixConfig(o);
  const pidFile = join(queueDir, 'pid', 'master.pid');

  // Creates the queue and data directories with the right owners and modes (from postfix-files).
  const perms = runSync(POSTFIX, ['-c', confDir, 'set-permissions'], 60_000);
  if (perms.status !== 0) throw new Error(`postfix set-permissions failed: ${perms.out}`);
  const check = runSync(POSTFIX, ['-c', confDir, 'check'], 60_000);
  if (check.status !== 0) throw new Error(`postfix check failed: ${check.out}`);

  let out = '';
  const child: ChildProcess = spawnTracked(POSTFIX, ['-c', confDir, 'start-fg'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let masterPid = 0;
  const readMasterPid = () => {
    try {
      return Number(readFileSync(pidFile, 'utf8').trim()) || 0;
    } catch {
      return 0;
    }
  };
  const log = () => {
    try {
      return readFileSync(maillog, 'utf8');
    } catch {
      return '';
    }
  };

  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    masterPid ||= readMasterPid();
    if (existsSync(pidFile)) runSync(POSTFIX, ['-c', confDir, 'stop'], 15_000);
    // The master we started (a descendant of our child) and our child itself, by PID.
    if (masterPid && treeStats(child.pid!).some((p) => p.pid === masterPid)) killPid(masterPid, 'SIGKILL');
    killPid(child.pid, 'SIGKILL');
  };
  const unregister = onCleanup('postfix', stopSync);

  try {
    await pollUntil(
      `postfix on 127.0.0.1:${o.smtpPort}`,
      async () => {
        masterPid = readMasterPid();
        return masterPid > 0 && (await smtpGreeting(o.smtpPort)).startsWith('220');
      },
      { timeoutMs: 30_000, abort: () => (child.exitCode !== null ? `postfix start-fg exited (${child.exitCode}): ${out}` : undefined) },
    );
  } catch (err) {
    stopSync();
    unregister();
    throw new Error(`${(err as Error).message}\n${tail(out + log())}`);
  }
  // The master must be ours: a descendant of the process we started.
  if (!treeStats(child.pid!).some((p) => p.pid === masterPid)) {
    stopSync();
    unregister();
    throw new Error(`postfix master pid ${masterPid} is not a child of our postfix start-fg (${child.pid})`);
  }

  return {
    name: 'postfix',
    smtpPort: o.smtpPort,
    rootPid: masterPid,
    memory: 'tree',
    info: {
      version: runSync(POSTCONF, ['-dh', 'mail_version']).out.trim(),
      command: `${POSTFIX} -c ${confDir} start-fg`,
      relay: `relayhost = [127.0.0.1]:${o.sinkPort}`,
      tuning: 'Postfix defaults (in_flow_delay 1s, 20 deliveries per destination, connection cache on demand)',
    },
    logTail: (n = 30) => tail(out + log(), n),
    async stop() {
      stopSync();
      unregister();
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}
