// /api/v1/remote-support: start a support session for a set time (the answer carries the
// one-time session code to give the support engineer), see it, stop it. The support side can
// never reach these routes through its own tunnel (see remote-support/request-policy.ts).
import type { FastifyInstance } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import { ControlError } from '../../../services/system-manager/control.ts';
import type { RemoteSupportControl, SupportRights } from '../../../services/remote-support/control.ts';
import { problemResponses } from '../schemas.ts';
import { ACTOR } from './queues.ts';

const nullableString = { type: ['string', 'null'] } as const;

const statusSchema = {
  $id: 'RemoteSupportStatus',
  type: 'object',
  required: ['active', 'configured', 'endpoint', 'session', 'lastEnded'],
  properties: {
    active: { type: 'boolean' },
    configured: { type: 'boolean', description: 'remoteSupport.endpoint is set.' },
    endpoint: nullableString,
    session: {
      type: ['object', 'null'],
      required: ['id', 'code', 'rights', 'startedAt', 'expiresAt', 'startedBy', 'connected', 'authenticated', 'requests', 'lastError'],
      properties: {
        id: { type: 'string', description: 'Public session id the endpoint pairs the engineer with.' },
        code: { type: 'string', description: 'One-time session code for the support engineer (valid for this session only).' },
        rights: { type: 'string', enum: ['read-only', 'full'] },
        startedAt: { type: 'number' },
        expiresAt: { type: 'number', description: 'The session ends by itself at this time (ms since the epoch).' },
        startedBy: { type: 'string' },
        connected: { type: 'boolean' },
        authenticated: { type: 'boolean' },
        requests: { type: 'integer' },
        lastError: nullableString,
      },
    },
    lastEnded: {
      type: ['object', 'null'],
      required: ['id', 'endedAt', 'reason'],
      properties: { id: { type: 'string' }, endedAt: { type: 'number' }, reason: { type: 'string' } },
    },
  },
} as const;

interface StartBody {
  durationMinutes?: number;
  durationSeconds?: number;
  rights?: SupportRights;
}

function support(control: ApplianceControl): RemoteSupportControl {
  if (!control.remoteSupport) throw new ControlError('SERVICE_NOT_FOUND', 'this appliance has no remote-support service');
  return control.remoteSupport;
}

export function registerRemoteSupportRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(statusSchema);

  app.get(
    '/api/v1/remote-support',
    { schema: { operationId: 'remoteSupportStatus', tags: ['remote-support'], summary: 'The support session, if one runs', response: { 200: { $ref: 'RemoteSupportStatus#' }, ...problemResponses } } },
    async () => support(control).status(),
  );

  app.post<{ Body: StartBody | undefined }>(
    '/api/v1/remote-support/start',
    {
      schema: {
        operationId: 'startRemoteSupport',
        tags: ['remote-support'],
        summary: 'Start a support session: the gateway connects out to the support endpoint; the answer has the session code',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            durationMinutes: { type: 'integer', minimum: 1, description: 'Session length (default 60; at most remoteSupport.maxDuration).' },
            durationSeconds: { type: 'integer', minimum: 1, description: 'Session length in seconds, instead of durationMinutes.' },
            rights: { type: 'string', enum: ['read-only', 'full'], description: 'read-only (default): GET only; full: every admin API call.' },
          },
        },
        response: { 200: { $ref: 'RemoteSupportStatus#' }, ...problemResponses },
      },
    },
    async (req) => {
      const b = req.body ?? {};
      const durationMs = b.durationSeconds !== undefined ? b.durationSeconds * 1000 : b.durationMinutes !== undefined ? b.durationMinutes * 60_000 : undefined;
      return support(control).start({ durationMs, rights: b.rights }, ACTOR);
    },
  );

  app.post(
    '/api/v1/remote-support/stop',
    { schema: { operationId: 'stopRemoteSupport', tags: ['remote-support'], summary: 'End the support session now (the tunnel is cut at once)', response: { 200: { $ref: 'RemoteSupportStatus#' }, ...problemResponses } } },
    async () => support(control).stop(ACTOR),
  );
}
