// Test harness for the spamfinder stage: a real SQLite store and the real stage, a mail put in
// the body store and processed as the flow engine would, without the engine's queues.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import type { ClaimedMail } from '../../store/store.ts';
import type { Envelope } from '../../core/mail.ts';
import type { StageContext } from '../../flow/stage.ts';
import { testLogger } from '../smtp-sender/test-peers.ts';
import { BayesFilter } from './bayes/bayes-filter.ts';
import { spamfinderConfigSchema } from './config.ts';
import { FilterLists } from './lists.ts';
import { createSpamfinderStage, type SpamVerdict } from './stage.ts';

export type Store = ReturnType<typeof openSqliteStore>;

export interface StageRun {
  queue: string;
  verdict: SpamVerdict;
  /** The body the mail goes on with (a rewritten one, or the original). */
  body: string;
  /** The recipients this mail goes on with. */
  recipients: string[];
  /** Copies the stage split off for recipients owed another treatment, each put through the stage as the flow would. */
  copies: StageRun[];
}

/** Runs `fn` with a spamfinder stage over a fresh SQLite store; `run` puts one mail through it. */
export async function withStage(
  fn: (s: { store: Store; run: (from: string, to: string[], subject?: string, o?: { source?: string; raw?: string }) => Promise<StageRun> }) => Promise<void>,
  configInput: unknown = { lists: { dbl: ['bulk.test'] } },
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-stage-'));
  const store = openSqliteStore(dir);
  const config = spamfinderConfigSchema.parse(configInput);
  const lists = new FilterLists(config.lists, store.spam, 0);
  const stage = createSpamfinderStage({ config, hostname: 'gate.example.test', lists, bayes: new BayesFilter(store.spam, config.bayes), scanner: null, fuzzy: null, callout: null, ciss: null });
  let n = 0;
  const run = async (from: string, to: string[], subject = 'Hello', o: { source?: string; raw?: string } = {}): Promise<StageRun> => {
    const envelope: Envelope = { sender: from, recipients: to.map((address) => ({ address, status: 'pending' })), direction: 'inbound', source: o.source ?? 'smtp', clientIp: '198.51.100.7' };
    return put(envelope, Buffer.from(o.raw ?? `From: ${from}\r\nTo: ${to.join(', ')}\r\nSubject: ${subject}\r\n\r\nHello there.\r\n`, 'latin1'));
  };
  const put = async (envelope: Envelope, raw: Buffer): Promise<StageRun> => {
    const id = `stage-mail-${++n}`;
    const w = await store.bodies.create(id);
    await w.write(raw);
    await w.commit();
    const mail: ClaimedMail = {
      id,
      queue: 'spamfinder',
      envelope,
      size: 100,
      receivedAt: Date.now(),
      queuedAt: Date.now(),
      bodyKey: id,
      leaseOwner: 'test',
      leaseUntil: Date.now() + 60_000,
    } as ClaimedMail;
    const ctx: StageContext = { openBody: () => store.bodies.open(id), readBody: () => store.bodies.read(id), bodies: store.bodies, log: testLogger(), signal: new AbortController().signal };
    const r = await stage.process(mail, ctx);
    const queue = r.outcome.kind === 'hold' ? r.outcome.queue : r.outcome.kind;
    const body = (await store.bodies.read(r.bodyKey ?? id)).toString('latin1');
    const copies: StageRun[] = [];
    for (const g of r.generated ?? []) if (g.queue === 'spamfinder') copies.push(await put(g.envelope, g.body));
    return { queue, verdict: r.envelope!.meta!.spamfinder as SpamVerdict, body, recipients: r.envelope!.recipients.map((x) => x.address), copies };
  };
  try {
    await fn({ store, run });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

