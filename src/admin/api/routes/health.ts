// GET /api/v1/health: the one route without a token, for load balancers and monitoring.
// 200 when the appliance is healthy, 503 (same body) when not, so a plain HTTP check suffices.
import type { FastifyInstance } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';

const healthSchema = {
  type: 'object',
  required: ['ok', 'version', 'hostname', 'uptime', 'maintenance'],
  properties: {
    ok: { type: 'boolean' },
    version: { type: 'string' },
    hostname: { type: 'string' },
    uptime: { type: 'number', description: 'How long the appliance has been up, as the control reports it.' },
    maintenance: { type: 'boolean' },
  },
} as const;

export const HEALTH_ROUTE = '/api/v1/health';

export function registerHealthRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.get(
    HEALTH_ROUTE,
    {
      schema: {
        operationId: 'health',
        tags: ['health'],
        summary: 'Health of the appliance (no token needed)',
        security: [],
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    async (_req, reply) => {
      const h = control.health();
      return reply.code(h.ok ? 200 : 503).send(h);
    },
  );
}
