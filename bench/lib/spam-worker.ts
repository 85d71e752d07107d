// One scanning thread of the spam benchmark: opens the trained store (the appliance's SQLite
// store, read by the appliance's BayesFilter), then reads, tokenises and scores its share of the
// test mails exactly as the spamfinder stage does (FUZZY, then BAYES with the rule layer). Reports a score per mail and its CPU time.
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { spamfinderConfigSchema } from '../../src/services/spamfinder/config.ts';
import { contentVerdict } from '../../src/services/spamfinder/rules/content-filter.ts';
import { BayesFilter } from '../../src/services/spamfinder/bayes/bayes-filter.ts';
import { mailTokens } from '../../src/services/spamfinder/bayes/tokens.ts';
import { FuzzyFilter } from '../../src/services/fuzzy-filter/index.ts';
import { validateConfig } from '../../src/config/load.ts';

interface Job {
  dataDir: string;
  files: { group: string; path: string }[];
}

const job = workerData as Job;
const store = openSqliteStore(job.dataDir);
const cfg = spamfinderConfigSchema.parse({});
// With the settings: the site's calibration (fitted after training) is read as in the appliance.
const bayes = new BayesFilter(store.spam, cfg.bayes, store.settings);
const fuzzy = new FuzzyFilter({ config: validateConfig({}), store: store.spam, log: undefined as never });
await fuzzy.start();
// Loaded and opened: the clock starts when every thread is ready (start-up is not scanning).
parentPort!.postMessage({ ready: true });
await new Promise((resolve) => parentPort!.once('message', resolve));
const cpu0 = process.cpuUsage();
const results: { group: string; score: number; spam: boolean; filter: string | null }[] = [];
for (const f of job.files) {
  const raw = readFileSync(f.path);
  const mail = raw.subarray(0, 5).toString('latin1') === 'From ' ? raw.subarray(raw.indexOf(10) + 1) : raw;
  // As the spamfinder stage: FUZZY first, then BAYES with the rule layer (shipped defaults).
  const t = await mailTokens(mail);
  const fz = await fuzzy.check(t.text);
  const v = fz ? null : await contentVerdict(bayes, t, cfg);
  results.push({ group: f.group, score: v?.score ?? 0.5, spam: !!fz || (v?.spam ?? false), filter: fz ? 'FUZZY' : (v?.filter ?? null) });
}
const cpu = process.cpuUsage(cpu0);
await store.close();
parentPort!.postMessage({ results, cpuMs: (cpu.user + cpu.system) / 1000 });
