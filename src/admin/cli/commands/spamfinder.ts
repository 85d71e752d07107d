// `gatehouse spamfinder` (alias `spam`): learn|train (Bayes from .eml files, folders, mbox),
// check (verdicts without learning), status, and the company-wide allow / block lists.
import { CALIBRATION_MIN } from '../../../services/spamfinder/rules/calibrate.ts';
import type { Command } from 'commander';
import type { FilterListEntry } from '../../../store/store.ts';
import type { CheckResult } from '../../../services/spamfinder/control.ts';
import { readCorpus } from '../../../services/spamfinder/corpus.ts';
import type { CliContext } from '../context.ts';
import { isoTime, json, table, UsageError } from '../format.ts';

/** Mails per learn request, and bytes: the API's limits with room to spare. */
const BATCH_MAILS = 100;
const BATCH_BYTES = 16 * 1024 * 1024;

async function learn(ctx: CliContext, cls: 'spam' | 'ham', paths: string[]): Promise<{ learned: number; sent: number }> {
  let batch: string[] = [];
  let bytes = 0;
  let learned = 0;
  let sent = 0;
  const flush = async () => {
    if (!batch.length) return;
    const r = await ctx.api().post<{ learned: number; skipped: number }>('/api/v1/spamfinder/learn', { class: cls, mails: batch });
    learned += r.learned;
    sent += batch.length;
    batch = [];
    bytes = 0;
  };
  for await (const { mail } of readCorpus(paths)) {
    const b64 = mail.toString('base64');
    if (batch.length >= BATCH_MAILS || bytes + b64.length > BATCH_BYTES) await flush();
    batch.push(b64);
    bytes += b64.length;
  }
  await flush();
  return { learned, sent };
}

export function registerSpamfinderCommands(program: Command, ctx: CliContext): void {
  const sf = program.command('spamfinder').alias('spam').description('The spam filter: Bayes learning and the allow / block lists');

  sf.command('learn')
    .alias('train')
    .description('Teach the Bayes classifier spam and ham (.eml files, folders of them, mbox files)')
    .option('--spam <PATH...>', 'spam mails')
    .option('--ham <PATH...>', 'ham (good) mails')
    .option('--json', 'print the result as JSON')
    .action(async (o: { spam?: string[]; ham?: string[]; json?: boolean }) => {
      if (!o.spam?.length && !o.ham?.length) throw new UsageError('give --spam PATH… and/or --ham PATH…');
      const result: Record<string, { learned: number; sent: number }> = {};
      if (o.spam?.length) result.spam = await learn(ctx, 'spam', o.spam);
      if (o.ham?.length) result.ham = await learn(ctx, 'ham', o.ham);
      const status = await ctx.api().get<{ spam: number; ham: number; tokens: number; ready: boolean }>('/api/v1/spamfinder/bayes');
      if (o.json) return ctx.print(json({ ...result, status }));
      for (const [cls, r] of Object.entries(result)) ctx.print(`${cls}: learned ${r.learned} of ${r.sent} mail(s)${r.sent > r.learned ? ' (the rest were learned before)' : ''}`);
      ctx.print(`Bayes now knows ${status.spam} spam and ${status.ham} ham mails, ${status.tokens} tokens${status.ready ? '' : ' (not ready: needs more of both)'}`);
    });

  sf.command('check <PATH...>')
    .description('Verdict of the content filters for each mail (.eml files, folders, mbox), as spamassassin -t / rspamc do')
    .option('--json', 'one JSON object per line')
    .action(async (paths: string[], o: { json?: boolean }) => {
      let batch: { path: string; b64: string }[] = [];
      const flush = async () => {
        if (!batch.length) return;
        const { results } = await ctx.api().post<{ results: CheckResult[] }>('/api/v1/spamfinder/check', { mails: batch.map((m) => m.b64) });
        results.forEach((r, i) => {
          const path = batch[i].path;
          if (o.json) ctx.print(JSON.stringify({ path, ...r }));
          else ctx.print(`${path}: ${r.verdict}${r.score !== null ? ` ${r.score}` : ''}${r.filter ? ` ${r.filter}` : ''} — ${r.reason}`);
        });
        batch = [];
      };
      for await (const { path, mail } of readCorpus(paths)) {
        batch.push({ path, b64: mail.toString('base64') });
        if (batch.length >= BATCH_MAILS) await flush();
      }
      await flush();
    });

  sf.command('status')
    .description('What the Bayes classifier has learned')
    .option('--json', "print the API's JSON")
    .action(async (o: { json?: boolean }) => {
      const s = await ctx.api().get<{ spam: number; ham: number; tokens: number; ready: boolean; maxTokens: number; calibration?: { bias: number; bayes: number; bayesHam: number; examples: { spam: number; ham: number }; hamSources: number } | null }>('/api/v1/spamfinder/bayes');
      if (o.json) return ctx.print(json(s));
      ctx.print(`spam ${s.spam}, ham ${s.ham}, tokens ${s.tokens} of at most ${s.maxTokens}, ${s.ready ? 'ready' : 'not ready'}`);
      const c = s.calibration;
      ctx.print(
        c
          ? `calibrated to this site on ${c.examples.spam} spam + ${c.examples.ham} ham from ${c.hamSources} ham sources: bias ${c.bias}, Bayes weight ${c.bayes} (towards spam) / ${c.bayesHam} (towards ham)`
          : `not calibrated yet: the shipped weights apply (needs ${CALIBRATION_MIN.perClass} learned mails of each class, ham from ${CALIBRATION_MIN.hamSources} sources)`,
      );
    });

  sf.command('lists')
    .description('Allow- and block-list entries added through the API')
    .option('--list <NAME>', 'awl, dwl, nwl, swl, abl, dbl, nbl or sbl')
    .option('--json', "print the API's JSON")
    .action(async (o: { list?: string; json?: boolean }) => {
      const { entries } = await ctx.api().get<{ entries: FilterListEntry[] }>('/api/v1/spamfinder/lists', { list: o.list });
      if (o.json) return ctx.print(json(entries));
      if (!entries.length) return ctx.print('no entries');
      ctx.print(table(['ID', 'LIST', 'VALUE', 'ADDED', 'BY', 'COMMENT'], entries.map((e) => [String(e.id), e.list.toUpperCase(), e.value, isoTime(e.createdAt), e.createdBy, e.comment ?? ''])));
    });

  sf.command('add <LIST> <VALUE>')
    .description('Add an entry: LIST is awl|dwl|nwl|swl (allow) or abl|dbl|nbl|sbl (block)')
    .option('--comment <TEXT>', 'why')
    .action(async (list: string, value: string, o: { comment?: string }) => {
      const e = await ctx.api().post<FilterListEntry>('/api/v1/spamfinder/lists', { list: list.toLowerCase(), value, ...(o.comment ? { comment: o.comment } : {}) });
      ctx.print(`${e.list.toUpperCase()} entry ${e.id}: ${e.value}`);
    });

  sf.command('remove <ID>')
    .description('Remove a list entry by its id')
    .action(async (id: string) => {
      await ctx.api().delete<{ removed: number }>(`/api/v1/spamfinder/lists/${encodeURIComponent(id)}`);
      ctx.print(`removed entry ${id}`);
    });
}
