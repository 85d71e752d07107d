// /api/v1/services: the appliance's services, their state per node, and start/stop/activate
// actions on this node (default), another node (`?node=ID`) or every live node (`?node=all`).
// Activate and deactivate are setEnabled on the control: a deactivated service stays stopped.
import type { FastifyInstance } from 'fastify';
import { ControlError, type ApplianceControl } from '../../../services/system-manager/control.ts';
import type { NodeActionResult, NodeVerb } from '../../../services/system-manager/cluster-node.ts';
import type { ServiceStatus } from '../../../services/service.ts';
import { problemResponses } from '../schemas.ts';

type Params = { name: string };
type Query = { node?: string };

const nodeQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    node: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$',
      description: 'A node id (cluster), or `all`. Default: the node that answers.',
    },
  },
} as const;

const nodeServicesSchema = {
  type: 'object',
  required: ['node', 'self', 'alive', 'at', 'startedAt', 'version', 'maintenance', 'left', 'services'],
  properties: {
    node: { type: 'string' },
    self: { type: 'boolean', description: 'The node that answered this request.' },
    alive: { type: 'boolean', description: 'Heard from within three heartbeats (15 s) and not stopped.' },
    at: { type: 'number', description: 'Its last heartbeat (ms since the epoch); this node: now.' },
    startedAt: { type: 'number' },
    version: { type: 'string' },
    maintenance: { type: 'boolean' },
    left: { type: 'boolean', description: 'The node stopped cleanly; its services are shown as it left them.' },
    services: { type: 'array', items: { $ref: 'ServiceStatus#' } },
  },
} as const;

const allResultsSchema = {
  type: 'object',
  required: ['results'],
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['node', 'ok'],
        properties: {
          node: { type: 'string' },
          ok: { type: 'boolean' },
          status: { $ref: 'ServiceStatus#' },
          error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
} as const;

/** One node: its status (errors as problems); `all`: a result per node. */
async function onNode(c: ApplianceControl, node: string, verb: NodeVerb, name: string, local: () => Promise<ServiceStatus>): Promise<ServiceStatus | { results: NodeActionResult[] }> {
  if (!c.services.onNode) {
    // One node only: `all` and its own id are this node.
    if (node !== 'all' && node !== c.services.node) throw new ControlError('NODE_NOT_FOUND', `no node "${node}" in this appliance`);
    const status = await local();
    return node === 'all' ? { results: [{ node: c.services.node ?? 'local', ok: true, status }] } : status;
  }
  const results = await c.services.onNode(node, verb, name);
  if (node === 'all') return { results };
  const r = results[0];
  if (!r.ok) throw new ControlError(r.error.code as ControlError['code'], r.error.message);
  return r.status;
}

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64, description: 'Service name, e.g. smtp-receiver.' } },
} as const;

const ACTIONS: Record<NodeVerb, { summary: string; run: (c: ApplianceControl, name: string) => Promise<ServiceStatus> }> = {
  start: { summary: 'Start a service', run: (c, n) => c.services.start(n) },
  stop: { summary: 'Stop a service', run: (c, n) => c.services.stop(n) },
  restart: { summary: 'Restart a service', run: (c, n) => c.services.restart(n) },
  activate: { summary: 'Activate a service (it may run again; not started by this call)', run: (c, n) => c.services.setEnabled(n, true) },
  deactivate: { summary: 'Deactivate a service (it is stopped and stays stopped)', run: (c, n) => c.services.setEnabled(n, false) },
};

export function registerServiceRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.get<{ Querystring: Query }>(
    '/api/v1/services',
    {
      schema: {
        operationId: 'listServices',
        tags: ['services'],
        summary: 'List the services and their state, per node',
        description:
          '`services`: the services of the node that answers (or of `?node=ID`, as that node last published them). ' +
          '`nodes`: every node of the appliance with its services (one entry when the appliance is one node).',
        querystring: nodeQuery,
        response: {
          200: {
            type: 'object',
            required: ['services'],
            properties: {
              node: { type: 'string', description: 'The node whose services `services` lists.' },
              services: { type: 'array', items: { $ref: 'ServiceStatus#' } },
              nodes: { type: 'array', items: nodeServicesSchema },
            },
          },
          ...problemResponses,
        },
      },
    },
    async (req) => {
      const nodes = control.services.nodes ? await control.services.nodes() : undefined;
      const want = req.query.node;
      if (want && want !== 'all' && want !== control.services.node) {
        const n = nodes?.find((x) => x.node === want);
        if (!n) throw new ControlError('NODE_NOT_FOUND', `no node "${want}" in this appliance`);
        return { node: n.node, services: n.services, nodes };
      }
      return { node: control.services.node, services: control.services.list(), nodes };
    },
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

  for (const [action, { summary, run }] of Object.entries(ACTIONS) as [NodeVerb, (typeof ACTIONS)[NodeVerb]][]) {
    app.post<{ Params: Params; Querystring: Query }>(
      `/api/v1/services/:name/${action}`,
      {
        schema: {
          operationId: `${action}Service`,
          tags: ['services'],
          summary,
          description: 'On this node; `?node=ID` on another node (answered once it has applied it, NODE_TIMEOUT otherwise), `?node=all` on every live node (a result per node).',
          params: nameParams,
          querystring: nodeQuery,
          response: { 200: { anyOf: [{ $ref: 'ServiceStatus#' }, allResultsSchema] }, ...problemResponses },
        },
      },
      async (req) => {
        const local = () => run(control, req.params.name);
        return req.query.node === undefined ? local() : onNode(control, req.query.node, action, req.params.name, local);
      },
    );
  }
}
