// /api/v1/services: the appliance's services, their state, and start/stop/activate actions.
// Activate and deactivate are setEnabled on the control: a deactivated service stays stopped.
import type { FastifyInstance } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import type { ServiceStatus } from '../../../services/service.ts';
import { problemResponses } from '../schemas.ts';

type Params = { name: string };

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64, description: 'Service name, e.g. smtp-receiver.' } },
} as const;

const ACTIONS: Record<string, { summary: string; run: (c: ApplianceControl, name: string) => Promise<ServiceStatus> }> = {
  start: { summary: 'Start a service', run: (c, n) => c.services.start(n) },
  stop: { summary: 'Stop a service', run: (c, n) => c.services.stop(n) },
  restart: { summary: 'Restart a service', run: (c, n) => c.services.restart(n) },
  activate: { summary: 'Activate a service (it may run again; not started by this call)', run: (c, n) => c.services.setEnabled(n, true) },
  deactivate: { summary: 'Deactivate a service (it is stopped and stays stopped)', run: (c, n) => c.services.setEnabled(n, false) },
};

export function registerServiceRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.get(
    '/api/v1/services',
    {
      schema: {
        operationId: 'listServices',
        tags: ['services'],
        summary: 'List the services and their state',
        response: {
          200: { type: 'object', required: ['services'], properties: { services: { type: 'array', items: { $ref: 'ServiceStatus#' } } } },
          ...problemResponses,
        },
      },
    },
    async () => ({ services: control.services.list() }),
  );

  app.get<{ Params: Params }>(
    '/api/v1/services/:name',
    {
      schema: {
        operationId: 'getService',
        tags: ['services'],
        summary: 'One service and its state',
        params: nameParams,
        response: { 200: { $ref: 'ServiceStatus#' }, ...problemResponses },
      },
    },
    async (req) => control.services.get(req.params.name),
  );

  for (const [action, { summary, run }] of Object.entries(ACTIONS)) {
    app.post<{ Params: Params }>(
      `/api/v1/services/:name/${action}`,
      {
        schema: {
          operationId: `${action}Service`,
          tags: ['services'],
          summary,
          params: nameParams,
          response: { 200: { $ref: 'ServiceStatus#' }, ...problemResponses },
        },
      },
      async (req) => run(control, req.params.name),
    );
  }
}
