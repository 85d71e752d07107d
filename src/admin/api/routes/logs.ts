// GET /api/v1/logs: search the log database (service, level, mail id, time range, text).
import type { FastifyInstance } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import type { LogLevel } from '../../../store/store.ts';
import { ApiError } from '../errors.ts';
import { LOG_LEVELS, problemResponses } from '../schemas.ts';

interface LogsQuery {
  service?: string;
  level?: LogLevel;
  mail?: string;
  since?: string;
  until?: string;
  text?: string;
  limit: number;
}

const instant = {
  type: 'string',
  description: 'ISO 8601 date-time (e.g. 2025-01-31T08:00:00Z) or milliseconds since the epoch.',
} as const;

/** Accepts ISO 8601 or epoch milliseconds; the field name goes into the VALIDATION detail. */
function parseInstant(field: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new ApiError('VALIDATION', `query parameter "${field}" must be an ISO 8601 date-time or epoch milliseconds`);
  return ms;
}

export function registerLogRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.get<{ Querystring: LogsQuery }>(
    '/api/v1/logs',
    {
      schema: {
        operationId: 'queryLogs',
        tags: ['logs'],
        summary: 'Search the log records',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            service: { type: 'string', minLength: 1, maxLength: 64 },
            level: { type: 'string', enum: LOG_LEVELS, description: 'Level filter, as the log store applies it.' },
            mail: { type: 'string', minLength: 1, maxLength: 128, description: 'Mail id: the mail\'s log records (message tracking).' },
            since: instant,
            until: instant,
            text: { type: 'string', minLength: 1, maxLength: 256, description: 'Text the message contains.' },
            limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 },
          },
        },
        response: {
          200: { type: 'object', required: ['logs'], properties: { logs: { type: 'array', items: { $ref: 'LogRecord#' } } } },
          ...problemResponses,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const logs = await control.logs.query({
        service: q.service,
        level: q.level,
        mailId: q.mail,
        since: parseInstant('since', q.since),
        until: parseInstant('until', q.until),
        text: q.text,
        limit: q.limit,
      });
      return { logs };
    },
  );
}
