// `gatehouse compliance list|verify`: read the compliance log, newest first, and verify its hash
// chain. verify exits 1 when the chain is broken and names every record that was changed,
// removed or moved (on stderr; the full report is on stdout).
import type { Command } from 'commander';
import type { ComplianceEntry } from '../../../services/compliance-log/index.ts';
import type { ChainReport } from '../../../services/compliance-log/hash-chain.ts';
import type { CliContext } from '../context.ts';
import { isoTime, json, parseInstant, positiveInt, table } from '../format.ts';

interface ListOptions {
  category?: string;
  since?: string;
  until?: string;
  before?: number;
  limit?: number;
  json?: boolean;
}

/** Long verifications (millions of records) outlast the default request timeout. */
const VERIFY_TIMEOUT_MS = 60 * 60_000;

export class ChainBrokenError extends Error {
  constructor(what: string, r: ChainReport) {
    const named = r.problems.slice(0, 5).map((p) => p.detail);
    const more = r.problems.length > 5 || r.truncated ? `; and ${r.truncated ? 'more' : r.problems.length - 5} more` : '';
    super(`${what} fails verification: ${named.join('; ')}${more}`);
    this.name = 'ChainBrokenError';
  }
}

export function printChainReport(ctx: CliContext, what: string, r: ChainReport, unit: string): void {
  const head = r.head ? `head ${unit} ${r.head.seq} ${r.head.hash}` : 'empty';
  ctx.print(`${what}: ${r.count} ${unit}(s) read, ${r.ok ? 'chain intact' : `${r.problems.length}${r.truncated ? '+' : ''} problem(s)`}; ${head}`);
  for (const p of r.problems) ctx.print(`  ${p.kind.padEnd(12)} ${p.detail}`);
}

export function registerComplianceCommands(program: Command, ctx: CliContext): void {
  const compliance = program.command('compliance').description('The compliance log (append-only, hash-chained)');

  compliance
    .command('list')
    .description('Compliance records, newest first')
    .option('--category <NAME>', 'only this category (mail, archive, export, deletion, legal-hold, policy, keys, service, login, admin, remote-support)')
    .option('--since <WHEN>', 'a duration back from now (30m, 1h, 2d) or an ISO 8601 date-time')
    .option('--until <WHEN>', 'same forms as --since')
    .option('--before <SEQ>', 'only records before this seq (the next page)', positiveInt)
    .option('--limit <N>', 'at most this many records (default 100)', positiveInt)
    .option('--json', 'print the API\'s JSON')
    .action(async (o: ListOptions) => {
      const now = ctx.now();
      const { records } = await ctx.api().get<{ records: ComplianceEntry[] }>('/api/v1/compliance', {
        category: o.category,
        since: o.since === undefined ? undefined : parseInstant('--since', o.since, now),
        until: o.until === undefined ? undefined : parseInstant('--until', o.until, now),
        before: o.before,
        limit: o.limit,
      });
      if (o.json) return ctx.print(json(records));
      if (!records.length) return ctx.print('no records');
      ctx.print(
        table(
          ['SEQ', 'TIME', 'CATEGORY', 'ACTION', 'ACTOR', 'SUBJECT', 'DETAIL'],
          records.map((r) => [String(r.seq), isoTime(r.at), r.category, r.action, r.actor, r.subject ?? '-', r.detail ? JSON.stringify(r.detail) : '']),
        ),
      );
    });

  compliance
    .command('verify')
    .description('Verify the hash chain; exits 1 and names each changed, missing or moved record when it is broken')
    .option('--json', 'print the API\'s JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await ctx.api().post<ChainReport>('/api/v1/compliance/verify', undefined, { timeoutMs: VERIFY_TIMEOUT_MS });
      if (o.json) ctx.print(json(r));
      else printChainReport(ctx, 'compliance log', r, 'record');
      if (!r.ok) throw new ChainBrokenError('the compliance log', r);
    });
}
