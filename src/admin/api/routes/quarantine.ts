// /api/v1/quarantine: the Spam, Virus and CISS quarantines: list (search, sort, page), show a
// mail with its verdict and tracking, and the admin decisions deliver (on after the spamfinder),
// delete, allow (deliver and put the sender on the AWL) and report (confirm as spam).
import type { FastifyInstance } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import { ControlError } from '../../../services/system-manager/control.ts';
import { QUARANTINES, QUARANTINE_SORTS, type QuarantineName, type SpamfinderControl } from '../../../services/spamfinder/control.ts';
import { problemResponses } from '../schemas.ts';
import { ACTOR } from './queues.ts';

export function spamfinderOf(control: ApplianceControl): SpamfinderControl {
  if (!control.spamfinder) throw new ControlError('SERVICE_NOT_FOUND', 'this appliance has no spamfinder');
  return control.spamfinder;
}

const nullableString = { type: ['string', 'null'] } as const;

const quarantinedSchema = {
  $id: 'QuarantinedMail',
  type: 'object',
  required: ['id', 'queue', 'receivedAt', 'size', 'sender', 'recipients', 'subject', 'filter', 'reason', 'score'],
  properties: {
    id: { type: 'string' },
    queue: { type: 'string' },
    receivedAt: { type: 'number' },
    size: { type: 'integer' },
    sender: { type: 'string' },
    recipients: { type: 'array', items: { type: 'string' } },
    subject: { type: 'string' },
    filter: { ...nullableString, description: 'The filter that caught the mail: ABL, DBL, NBL, SBL, FUZZY, SRC, DMARC, BAYES, VIRUS.' },
    reason: nullableString,
    score: { type: ['number', 'null'], description: 'Bayes spam probability when BAYES decided.' },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } } as const;

interface ListQuery {
  queue: QuarantineName;
  search?: string;
  sort?: (typeof QUARANTINE_SORTS)[number];
  order?: 'asc' | 'desc';
  limit: number;
  offset: number;
}

export function registerQuarantineRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(quarantinedSchema);

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/quarantine',
    {
      schema: {
        operationId: 'listQuarantine',
        tags: ['quarantine'],
        summary: 'Mails in one quarantine, newest first unless sorted otherwise',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            queue: { type: 'string', enum: QUARANTINES, default: 'spam' },
            search: { type: 'string', maxLength: 200, description: 'Text in sender, recipients, subject, filter or reason (case-insensitive).' },
            sort: { type: 'string', enum: QUARANTINE_SORTS, default: 'received' },
            order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['mails', 'total', 'limit', 'offset'],
            properties: { mails: { type: 'array', items: { $ref: 'QuarantinedMail#' } }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
          },
          ...problemResponses,
        },
      },
    },
    async (req) => ({ ...(await spamfinderOf(control).quarantine.list(req.query)), limit: req.query.limit, offset: req.query.offset }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/quarantine/:id',
    {
      schema: {
        operationId: 'getQuarantined',
        tags: ['quarantine'],
        summary: 'One quarantined mail with its verdict (envelope.meta.spamfinder) and tracking events',
        params: idParams,
        response: { 200: { $ref: 'MailDetail#' }, ...problemResponses },
      },
    },
    async (req) => spamfinderOf(control).quarantine.get(req.params.id),
  );

  app.post(
    '/api/v1/quarantine/reports',
    {
      schema: {
        operationId: 'sendQuarantineReports',
        tags: ['quarantine'],
        summary: 'Send the quarantine reports now (each local recipient with spam held since the last run gets one)',
        response: { 200: { type: 'object', required: ['reports', 'mails'], properties: { reports: { type: 'integer' }, mails: { type: 'integer' } } }, ...problemResponses },
      },
    },
    async () => spamfinderOf(control).quarantine.sendReports(ACTOR),
  );

  const actions = {
    deliver: { summary: 'Deliver a quarantined mail (it continues after the spamfinder; spam releases teach Bayes "ham")', run: (c: SpamfinderControl, id: string) => c.quarantine.deliver(id, ACTOR) },
    delete: { summary: 'Delete a quarantined mail', run: (c: SpamfinderControl, id: string) => c.quarantine.delete(id, ACTOR) },
    allow: { summary: 'Deliver a quarantined mail and put its sender on the address allow list (AWL)', run: async (c: SpamfinderControl, id: string) => (await c.quarantine.allow(id, ACTOR)).mail },
    report: { summary: 'Confirm a mail in the spam quarantine as spam: Bayes learns it, FUZZY keeps its fingerprint, it is deleted', run: (c: SpamfinderControl, id: string) => c.quarantine.report(id, ACTOR) },
  };
  for (const [action, { summary, run }] of Object.entries(actions)) {
    app.post<{ Params: { id: string } }>(
      `/api/v1/quarantine/:id/${action}`,
      {
        schema: {
          operationId: `${action}Quarantined`,
          tags: ['quarantine'],
          summary,
          params: idParams,
          response: { 200: { $ref: 'MailRecord#' }, ...problemResponses },
        },
      },
      async (req) => run(spamfinderOf(control), req.params.id),
    );
  }
}
