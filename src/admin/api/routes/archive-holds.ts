// /api/v1/archive/holds and /api/v1/archive/expire: legal holds (by message or by query; a hold
// by query also covers mail archived later) and the expiry job on demand. Every hold change and
// every deletion is written to the compliance log by the archive itself.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import { problemResponses } from '../schemas.ts';
import { archiveOf } from './archive.ts';
import { ACTOR } from './queues.ts';
import { callerOf } from '../caller.ts';

const epochMs = { type: 'number', description: 'Milliseconds since the Unix epoch.' } as const;

const holdSchema = {
  $id: 'ArchiveHold',
  type: 'object',
  required: ['id', 'archiveId', 'query', 'reason', 'createdBy', 'createdAt', 'removedBy', 'removedAt'],
  properties: {
    id: { type: 'string' },
    archiveId: { type: ['string', 'null'], description: 'The message this hold is on (or null for a hold by query).' },
    query: { type: ['string', 'null'], description: 'Every message this query finds is held, mail archived later included.' },
    reason: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: epochMs,
    removedBy: { type: ['string', 'null'] },
    removedAt: { type: ['number', 'null'] },
  },
} as const;

/** Who is calling: the console user, "token:NAME", or "admin-api" for the appliance token. */
export const callerName = (req: FastifyRequest): string => callerOf(req)?.name ?? ACTOR;

export function registerArchiveHoldRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(holdSchema);

  app.get<{ Querystring: { all: boolean } }>(
    '/api/v1/archive/holds',
    {
      schema: {
        operationId: 'listArchiveHolds',
        tags: ['archive'],
        summary: 'Legal holds in force (all=true: removed ones too), oldest first',
        querystring: { type: 'object', additionalProperties: false, properties: { all: { type: 'boolean', default: false } } },
        response: { 200: { type: 'object', required: ['holds'], properties: { holds: { type: 'array', items: { $ref: 'ArchiveHold#' } } } }, ...problemResponses },
      },
    },
    async (req) => ({ holds: await archiveOf(control).holds.list(req.query.all) }),
  );

  app.post<{ Body: { archiveId?: string; query?: string; reason: string } }>(
    '/api/v1/archive/holds',
    {
      schema: {
        operationId: 'addArchiveHold',
        tags: ['archive'],
        summary: 'Place a legal hold on one message (archiveId) or on every message a query finds (query); held mail is not deleted when its retention ends',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['reason'],
          properties: {
            archiveId: { type: 'string', minLength: 1, maxLength: 64 },
            query: { type: 'string', minLength: 1, maxLength: 2000 },
            reason: { type: 'string', minLength: 1, maxLength: 1000 },
          },
        },
        response: { 201: { $ref: 'ArchiveHold#' }, ...problemResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await archiveOf(control).holds.add(req.body, callerName(req))),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/archive/holds/:id',
    {
      schema: {
        operationId: 'removeArchiveHold',
        tags: ['archive'],
        summary: 'Lift a legal hold (it stays listed with all=true, marked removed)',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } },
        response: { 200: { $ref: 'ArchiveHold#' }, ...problemResponses },
      },
    },
    async (req) => archiveOf(control).holds.remove(req.params.id, callerName(req)),
  );

  app.post(
    '/api/v1/archive/expire',
    {
      schema: {
        operationId: 'expireArchive',
        tags: ['archive'],
        summary: 'Run the expiry job now: delete every message whose retention has ended and that no legal hold covers',
        response: {
          200: {
            type: 'object',
            required: ['expired', 'deleted', 'held'],
            properties: {
              expired: { type: 'integer', description: 'Messages whose retention had ended.' },
              deleted: { type: 'integer' },
              held: { type: 'integer', description: 'Expired, but kept by a legal hold.' },
            },
          },
          ...problemResponses,
        },
      },
    },
    async (req) => archiveOf(control).expire(callerName(req)),
  );
}
