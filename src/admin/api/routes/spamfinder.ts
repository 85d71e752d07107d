// /api/v1/spamfinder: the company-wide allow and block lists (AWL/DWL/NWL/SWL, ABL/DBL/NBL/SBL),
// the Bayes classifier's state, and learning from mails the client sends (the CLI's
// `gatehouse spamfinder learn`; mails travel base64-encoded in batches).
import type { FastifyInstance } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import { LIST_NAMES } from '../../../services/spamfinder/lists.ts';
import type { FilterListName } from '../../../store/store.ts';
import { problemResponses } from '../schemas.ts';
import { ACTOR } from './queues.ts';
import { spamfinderOf } from './quarantine.ts';

/** One learn request: enough for a batch of mails cut at the classifier's input size. */
export const LEARN_BODY_LIMIT = 32 * 1024 * 1024;
export const LEARN_BATCH = 200;

const entrySchema = {
  $id: 'FilterListEntry',
  type: 'object',
  required: ['id', 'list', 'value', 'owner', 'comment', 'createdAt', 'createdBy'],
  properties: {
    id: { type: 'integer' },
    list: { type: 'string', enum: LIST_NAMES },
    value: { type: 'string' },
    owner: { type: 'string', description: '"" for company-wide entries.' },
    comment: { type: ['string', 'null'] },
    createdAt: { type: 'number' },
    createdBy: { type: 'string' },
  },
} as const;

const bayesStatus = {
  type: 'object',
  required: ['spam', 'ham', 'tokens', 'ready', 'maxTokens'],
  properties: {
    spam: { type: 'integer', description: 'Mails learned as spam.' },
    ham: { type: 'integer', description: 'Mails learned as ham.' },
    tokens: { type: 'integer', description: 'Tokens in the table (bounded by maxTokens).' },
    ready: { type: 'boolean', description: 'Enough of both classes learned for BAYES to give verdicts.' },
    maxTokens: { type: 'integer' },
    calibration: {
      type: ['object', 'null'],
      description: 'The Bayes side of the content filter fitted to this site (null: not enough learned mail yet, the shipped weights apply).',
      properties: {
        bias: { type: 'number' },
        bayes: { type: 'number', description: 'Weight of the Bayes score when it leans to spam.' },
        bayesHam: { type: 'number', description: 'Weight when it leans to ham.' },
        examples: { type: 'object', properties: { spam: { type: 'integer' }, ham: { type: 'integer' } } },
        hamSources: { type: 'integer', description: 'Distinct ham sources (lists, sender sites) in the sample.' },
        at: { type: 'integer', description: 'When it was fitted (ms since 1970).' },
      },
    },
  },
} as const;

export function registerSpamfinderRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(entrySchema);

  app.get<{ Querystring: { list?: FilterListName } }>(
    '/api/v1/spamfinder/lists',
    {
      schema: {
        operationId: 'listFilterEntries',
        tags: ['spamfinder'],
        summary: 'Allow- and block-list entries added through the API (the config file has its own)',
        querystring: { type: 'object', additionalProperties: false, properties: { list: { type: 'string', enum: LIST_NAMES } } },
        response: { 200: { type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: { $ref: 'FilterListEntry#' } } } }, ...problemResponses },
      },
    },
    async (req) => ({ entries: await spamfinderOf(control).lists.list(req.query.list) }),
  );

  app.post<{ Body: { list: FilterListName; value: string; comment?: string } }>(
    '/api/v1/spamfinder/lists',
    {
      schema: {
        operationId: 'addFilterEntry',
        tags: ['spamfinder'],
        summary: 'Add an allow- or block-list entry (an existing equal entry is returned)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['list', 'value'],
          properties: { list: { type: 'string', enum: LIST_NAMES }, value: { type: 'string', minLength: 1, maxLength: 320 }, comment: { type: 'string', maxLength: 500 } },
        },
        response: { 200: { $ref: 'FilterListEntry#' }, ...problemResponses },
      },
    },
    async (req) => spamfinderOf(control).lists.add(req.body.list, req.body.value, req.body.comment ?? null, ACTOR),
  );

  app.delete<{ Params: { id: number } }>(
    '/api/v1/spamfinder/lists/:id',
    {
      schema: {
        operationId: 'removeFilterEntry',
        tags: ['spamfinder'],
        summary: 'Remove an allow- or block-list entry',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
        response: { 200: { type: 'object', required: ['removed'], properties: { removed: { type: 'integer' } } }, ...problemResponses },
      },
    },
    async (req) => {
      await spamfinderOf(control).lists.remove(req.params.id, ACTOR);
      return { removed: req.params.id };
    },
  );

  app.get(
    '/api/v1/spamfinder/bayes',
    {
      schema: { operationId: 'bayesStatus', tags: ['spamfinder'], summary: 'What the Bayes classifier has learned', response: { 200: bayesStatus, ...problemResponses } },
    },
    async () => spamfinderOf(control).bayes.status(),
  );

  app.post<{ Body: { mails: string[] } }>(
    '/api/v1/spamfinder/check',
    {
      bodyLimit: LEARN_BODY_LIMIT,
      schema: {
        operationId: 'spamCheck',
        tags: ['spamfinder'],
        summary: 'Verdicts of the content filters (lists, Bayes) for mails sent here, as if they came in from outside; nothing is learned or stored',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['mails'],
          properties: { mails: { type: 'array', minItems: 1, maxItems: LEARN_BATCH, items: { type: 'string', description: 'The raw mail, base64.' } } },
        },
        response: {
          200: {
            type: 'object',
            required: ['results'],
            properties: {
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['verdict', 'filter', 'reason', 'score', 'subject', 'from'],
                  properties: {
                    verdict: { type: 'string', enum: ['spam', 'clean', 'allowed'] },
                    filter: { type: ['string', 'null'] },
                    reason: { type: 'string' },
                    score: { type: ['number', 'null'] },
                    subject: { type: 'string' },
                    from: { type: 'string' },
                  },
                },
              },
            },
          },
          ...problemResponses,
        },
      },
    },
    async (req) => ({ results: await spamfinderOf(control).check(req.body.mails.map((m) => Buffer.from(m, 'base64'))) }),
  );

  app.post<{ Body: { class: 'spam' | 'ham'; mails: string[] } }>(
    '/api/v1/spamfinder/learn',
    {
      bodyLimit: LEARN_BODY_LIMIT,
      schema: {
        operationId: 'bayesLearn',
        tags: ['spamfinder'],
        summary: 'Teach Bayes a batch of mails of one class (a mail learned before as the same class is skipped; as the other class, moved)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['class', 'mails'],
          properties: {
            class: { type: 'string', enum: ['spam', 'ham'] },
            mails: { type: 'array', minItems: 1, maxItems: LEARN_BATCH, items: { type: 'string', description: 'The raw mail, base64.' } },
          },
        },
        response: { 200: { type: 'object', required: ['learned', 'skipped'], properties: { learned: { type: 'integer' }, skipped: { type: 'integer' } } }, ...problemResponses },
      },
    },
    async (req) => spamfinderOf(control).bayes.learn(req.body.class, req.body.mails.map((m) => Buffer.from(m, 'base64')), ACTOR),
  );
}
