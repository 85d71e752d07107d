// A Gatehouse cluster for e2e tests: a throwaway PostgreSQL (one per test file), a fresh
// database per cluster, and N gateway processes pointed at it with distinct node ids, data dirs
// and ports; plus a tracked SMTP load (nodemailer) that knows which mails got a 250.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { startGateway, type Gateway } from './gateway.ts';
import type { Postgres } from './postgres.ts';
import { removeTempDir, tempDir } from './tmp.ts';

/** The key files every node of an appliance must share (made by the first start otherwise). */
const SHARED_KEYS = ['archive.key', 'sealer.key', 'portal.key'];

export interface Cluster {
  url: string;
  nodes: Gateway[];
  dispose(): Promise<void>;
}

/**
 * Starts `count` nodes (node-a, node-b, …) together on a new database of `pg`, each with `config`;
 * unless `config.hostname` is set, a node greets as `<node id>.cluster.test` (so the sink's
 * EHLO name tells which node delivered a mail).
 */
export async function startCluster(pg: Postgres, config: Record<string, unknown>, count = 2): Promise<Cluster> {
  const url = await pg.createDatabase();
  const ids = Array.from({ length: count }, (_, i) => `node-${String.fromCharCode(97 + i)}`);
  // Each node has its own data directory, holding the same key files (as docs/cluster.md says:
  // the archive, sealer and portal keys are files, copied to every node).
  const base = await tempDir('gatehouse-cluster-');
  const keys = Object.fromEntries(SHARED_KEYS.map((k) => [k, randomBytes(32).toString('base64') + '\n']));
  const dataDirs = ids.map((id) => {
    const dir = join(base, id);
    mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
    for (const [k, v] of Object.entries(keys)) writeFileSync(join(dir, 'keys', k), v, { mode: 0o600 });
    return dir;
  });
  // Started at once: the schema migration must run once even then (advisory lock).
  const started = await Promise.allSettled(
    ids.map((nodeId, i) => startGateway({ config: { hostname: `${nodeId}.cluster.test`, ...config, nodeId, database: { url } }, dataDir: dataDirs[i], startTimeoutMs: 60_000 })),
  );
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const dispose = async () => {
    await Promise.all(nodes.map((n) => n.dispose().catch(() => undefined)));
    await removeTempDir(base);
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await dispose();
    throw failed.reason;
  }
  return { url, nodes, dispose };
}

export interface TrackedLoad {
  /** Message-ID → queue id, for every mail answered 250. */
  acked: Map<string, string>;
  /** Message-ID → the error, for every mail refused or cut off (never acknowledged). */
  refused: Map<string, string>;
}

/**
 * Sends `count` mails to `port` over `connections` pooled connections, each with its own
 * Message-ID (`<tag-i@load.test>`); `onAck` is told of every acknowledgement (a test kills a node
 * or the database from there). Resolves when every mail was answered or refused.
 */
export async function sendTracked(
  port: number,
  count: number,
  o: { tag: string; to?: string; connections?: number; onAck?: (acked: number) => void; load?: TrackedLoad },
): Promise<TrackedLoad> {
  const load = o.load ?? { acked: new Map(), refused: new Map() };
  const transport = createTransport({ host: '127.0.0.1', port, pool: true, maxConnections: o.connections ?? 5, maxMessages: 50, ignoreTLS: true, socketTimeout: 30_000 });
  try {
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const messageId = `<${o.tag}-${i}@load.test>`;
        try {
          const info = await transport.sendMail({ from: 'load@example.test', to: o.to ?? 'rcpt@example.test', subject: `${o.tag} ${i}`, text: 'x'.repeat(1500), messageId });
          const id = /queued as ([0-9a-z]{20})/.exec(info.response)?.[1] ?? '';
          load.acked.set(messageId, id);
          o.onAck?.(load.acked.size);
        } catch (err) {
          load.refused.set(messageId, (err as Error).message);
        }
      }),
    );
  } finally {
    transport.close();
  }
  return load;
}

/** How often each Message-ID arrived at the sink. */
export function arrivals(messages: { messageId?: string }[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const m of messages) if (m.messageId) seen.set(m.messageId, (seen.get(m.messageId) ?? 0) + 1);
  return seen;
}
