// /api/v1/compliance: read the compliance log (newest first, by category and time) and verify
// its hash chain. A broken chain is a 200 answer with ok: false and the problems, each naming
// the record; the verification itself is recorded in the log.
import type { FastifyInstance } from 'fastify';
import { ControlError, type ApplianceControl } from '../../../services/system-manager/control.ts';
import type { ComplianceControl } from '../../../services/compliance-log/control.ts';
import { COMPLIANCE_CATEGORIES } from '../../../services/compliance-log/index.ts';
import { ApiError } from '../errors.ts';
import { problemResponses } from '../schemas.ts';
import { ACTOR } from './queues.ts';

const hash = { type: 'string', description: 'SHA-256, hex.' } as const;

const recordSchema = {
  $id: 'ComplianceRecord',
  type: 'object',
  required: ['seq', 'at', 'category', 'action', 'actor', 'subject', 'detail', 'prevHash', 'hash'],
  properties: {
    seq: { type: 'integer' },
    at: { type: 'number', description: 'Milliseconds since the Unix epoch.' },
    category: { type: 'string', enum: COMPLIANCE_CATEGORIES },
    action: { type: 'string' },
    actor: { type: 'string' },
    subject: { type: ['string', 'null'] },
    detail: { description: 'What else was recorded (an object, or null).' },
    prevHash: hash,
    hash,
  },
} as const;

const chainProblemSchema = {
  type: 'object',
  required: ['seq', 'kind', 'detail'],
  properties: {
    seq: { type: 'integer' },
    toSeq: { type: 'integer', description: 'Last seq of a run of missing links.' },
    kind: { type: 'string', enum: ['changed', 'missing', 'out-of-order', 'duplicate', 'relinked'] },
    detail: { type: 'string' },
  },
} as const;

export const chainReportSchema = {
  $id: 'ChainReport',
  type: 'object',
  required: ['ok', 'count', 'head', 'problems', 'truncated'],
  properties: {
    ok: { type: 'boolean' },
    count: { type: 'integer', description: 'Links read.' },
    head: {
      type: ['object', 'null'],
      properties: { seq: { type: 'integer' }, hash },
      description: 'The newest link: compare with an earlier head to notice links removed at the end.',
    },
    problems: { type: 'array', items: chainProblemSchema },
    truncated: { type: 'boolean', description: 'More problems were found than listed.' },
  },
} as const;

interface ListQuery {
  category?: string;
  since?: string;
  until?: string;
  before?: number;
  limit: number;
}

function instant(field: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new ApiError('VALIDATION', `query parameter "${field}" must be an ISO 8601 date-time or epoch milliseconds`);
  return ms;
}

function compliance(control: ApplianceControl): ComplianceControl {
  if (!control.compliance) throw new ControlError('SERVICE_NOT_FOUND', 'this appliance has no compliance-log');
  return control.compliance;
}

export function registerComplianceRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(recordSchema);
  app.addSchema(chainReportSchema);

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/compliance',
    {
      schema: {
        operationId: 'listCompliance',
        tags: ['compliance'],
        summary: 'Compliance log records, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            category: { type: 'string', enum: COMPLIANCE_CATEGORIES },
            since: { type: 'string', description: 'ISO 8601 date-time or epoch milliseconds.' },
            until: { type: 'string', description: 'ISO 8601 date-time or epoch milliseconds.' },
            before: { type: 'integer', minimum: 1, description: 'Only records with a lower seq (the next page).' },
            limit: { type: 'integer', minimum: 1, maximum: 5000, default: 100 },
          },
        },
        response: {
          200: { type: 'object', required: ['records'], properties: { records: { type: 'array', items: { $ref: 'ComplianceRecord#' } } } },
          ...problemResponses,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const records = await compliance(control).list({
        category: q.category,
        since: instant('since', q.since),
        until: instant('until', q.until),
        beforeSeq: q.before,
        limit: q.limit,
      });
      return { records };
    },
  );

  app.post(
    '/api/v1/compliance/verify',
    {
      schema: {
        operationId: 'verifyCompliance',
        tags: ['compliance'],
        summary: 'Verify the hash chain of the compliance log (ok: false names each changed, missing or moved record)',
        response: { 200: { $ref: 'ChainReport#' }, ...problemResponses },
      },
    },
    async () => compliance(control).verify(ACTOR),
  );
}
