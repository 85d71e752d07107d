// /api/v1/queues and /api/v1/mails: queue counts, mail listing and detail, and the admin moves
// (hold, release, delete, retry, flush). Every move is recorded by the control under ACTOR.
import type { FastifyInstance } from 'fastify';
import { ALL_QUEUES, type MailRecord, type QueueName } from '../../../core/mail.ts';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import { problemResponses } from '../schemas.ts';

/** Who the tracking events name for moves made through the API. */
export const ACTOR = 'admin-api';

const MAIL_ACTIONS: Record<string, { summary: string; run: (c: ApplianceControl, id: string) => Promise<MailRecord> }> = {
  hold: { summary: 'Put a mail on hold', run: (c, id) => c.queue.hold(id, ACTOR) },
  release: { summary: 'Release a held mail to the queue it was held from', run: (c, id) => c.queue.release(id, ACTOR) },
  delete: { summary: 'Delete a mail (it moves to the final state "deleted"; tracking is kept)', run: (c, id) => c.queue.delete(id, ACTOR) },
  retry: { summary: 'Make a deferred mail ready for its stage now', run: (c, id) => c.queue.retry(id, ACTOR) },
};

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

const countSchema = { type: 'object', required: ['total', 'deferred'], properties: { total: { type: 'integer' }, deferred: { type: 'integer' } } } as const;

interface MailsQuery {
  queue?: QueueName;
  deferred?: boolean;
  domain?: string;
  limit: number;
  offset: number;
}

export function registerQueueRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.get(
    '/api/v1/queues',
    {
      schema: {
        operationId: 'queueCounts',
        tags: ['queues'],
        summary: 'Mail counts per queue (every queue is listed, empty ones with zeros)',
        response: {
          200: { type: 'object', required: ['queues'], properties: { queues: { type: 'object', additionalProperties: countSchema } } },
          ...problemResponses,
        },
      },
    },
    async () => {
      const counts = await control.queue.counts();
      const queues: Record<string, { total: number; deferred: number }> = {};
      for (const q of ALL_QUEUES) queues[q] = counts[q] ?? { total: 0, deferred: 0 };
      return { queues: { ...queues, ...counts } };
    },
  );

  app.get<{ Querystring: MailsQuery }>(
    '/api/v1/mails',
    {
      schema: {
        operationId: 'listMails',
        tags: ['queues'],
        summary: 'List mails, oldest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            queue: { type: 'string', enum: ALL_QUEUES },
            deferred: { type: 'boolean', description: 'true: only deferred mail (not before a later time); false: only ready mail.' },
            domain: { type: 'string', minLength: 1, maxLength: 253, description: 'Recipient domain.' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['mails', 'limit', 'offset'],
            properties: { mails: { type: 'array', items: { $ref: 'MailRecord#' } }, limit: { type: 'integer' }, offset: { type: 'integer' } },
          },
          ...problemResponses,
        },
      },
    },
    async (req) => {
      const { limit, offset, ...rest } = req.query;
      return { mails: await control.queue.list({ ...rest, limit, offset }), limit, offset };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/mails/:id',
    {
      schema: {
        operationId: 'getMail',
        tags: ['queues'],
        summary: 'One mail with its tracking events',
        params: idParams,
        response: { 200: { $ref: 'MailDetail#' }, ...problemResponses },
      },
    },
    async (req) => control.queue.get(req.params.id),
  );

  for (const [action, { summary, run }] of Object.entries(MAIL_ACTIONS)) {
    app.post<{ Params: { id: string } }>(
      `/api/v1/mails/:id/${action}`,
      {
        schema: {
          operationId: `${action}Mail`,
          tags: ['queues'],
          summary,
          params: idParams,
          response: { 200: { $ref: 'MailRecord#' }, ...problemResponses },
        },
      },
      async (req) => run(control, req.params.id),
    );
  }

  app.post<{ Body: { domain?: string } }>(
    '/api/v1/queues/deliver/flush',
    {
      // The body is optional: `POST …/flush` with none flushes every domain.
      preValidation: async (req) => {
        req.body ??= {};
      },
      schema: {
        operationId: 'flushDeliver',
        tags: ['queues'],
        summary: 'Make deferred mail in the deliver queue ready now (optionally for one recipient domain)',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { domain: { type: 'string', minLength: 1, maxLength: 253 } },
        },
        response: { 200: { type: 'object', required: ['flushed'], properties: { flushed: { type: 'integer' } } }, ...problemResponses },
      },
    },
    async (req) => ({ flushed: await control.queue.flush(req.body.domain, ACTOR) }),
  );
}
