// /api/v1/maintenance: maintenance mode stops the mail-handling services and keeps them stopped.
import type { FastifyInstance } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import { problemResponses } from '../schemas.ts';

const stateSchema = {
  type: 'object',
  required: ['enabled'],
  additionalProperties: false,
  properties: { enabled: { type: 'boolean', description: 'Maintenance mode on.' } },
} as const;

export function registerMaintenanceRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.get(
    '/api/v1/maintenance',
    {
      schema: {
        operationId: 'getMaintenance',
        tags: ['maintenance'],
        summary: 'Is maintenance mode on?',
        response: { 200: stateSchema, ...problemResponses },
      },
    },
    async () => ({ enabled: control.maintenance.get() }),
  );

  app.put<{ Body: { enabled: boolean } }>(
    '/api/v1/maintenance',
    {
      schema: {
        operationId: 'setMaintenance',
        tags: ['maintenance'],
        summary: 'Switch maintenance mode on or off',
        body: stateSchema,
        response: { 200: stateSchema, ...problemResponses },
      },
    },
    async (req) => {
      await control.maintenance.set(req.body.enabled);
      return { enabled: control.maintenance.get() };
    },
  );
}
