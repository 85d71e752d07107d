// /api/v1/portal: the encryption portal (portal-crypt) as an admin sees it: the mails waiting
// for recipients without keys (never their content or keys), deleting one, and forgetting a
// recipient's portal password. Both actions are written to the compliance log.
import type { FastifyInstance } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import { ControlError } from '../../../services/system-manager/control.ts';
import type { PortalControl } from '../../../services/portal-crypt/control.ts';
import { problemResponses } from '../schemas.ts';
import { ACTOR } from './queues.ts';

function portalOf(control: ApplianceControl): PortalControl {
  if (!control.portal) throw new ControlError('SERVICE_NOT_FOUND', 'this appliance has no encryption portal');
  return control.portal;
}

const messageSchema = {
  $id: 'PortalMessage',
  type: 'object',
  required: ['id', 'mailId', 'recipient', 'sender', 'subject', 'state', 'password', 'size', 'createdAt', 'expiresAt', 'openedAt', 'replies'],
  properties: {
    id: { type: 'string' },
    mailId: { type: 'string', description: 'The queue mail it came from (message tracking).' },
    recipient: { type: 'string' },
    sender: { type: 'string', description: 'Envelope sender; portal replies go there.' },
    subject: { type: 'string' },
    state: { type: 'string', enum: ['waiting', 'opened'], description: 'opened: the recipient has read it, and it is held under their password.' },
    password: { type: 'string', enum: ['recipient', 'sender'], description: "Whose password opens it: the recipient's own, or one the sender gave." },
    size: { type: 'integer' },
    createdAt: { type: 'number' },
    expiresAt: { type: 'number', description: 'The link stops working and the mail is deleted then.' },
    openedAt: { type: ['number', 'null'] },
    replies: { type: 'integer' },
  },
} as const;

export function registerPortalRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(messageSchema);

  app.get<{ Querystring: { recipient?: string; limit?: number; offset?: number } }>(
    '/api/v1/portal/messages',
    {
      schema: {
        operationId: 'listPortalMessages',
        tags: ['portal'],
        summary: 'Mails in the encryption portal, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { recipient: { type: 'string', maxLength: 320 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, offset: { type: 'integer', minimum: 0, default: 0 } },
        },
        response: { 200: { type: 'object', required: ['messages'], properties: { messages: { type: 'array', items: { $ref: 'PortalMessage#' } } } }, ...problemResponses },
      },
    },
    async (req) => ({ messages: await portalOf(control).list(req.query) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/portal/messages/:id',
    {
      schema: {
        operationId: 'deletePortalMessage',
        tags: ['portal'],
        summary: 'Delete a mail from the encryption portal (its link stops working)',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' } } },
        response: { 200: { type: 'object', required: ['deleted'], properties: { deleted: { type: 'string' } } }, ...problemResponses },
      },
    },
    async (req) => {
      await portalOf(control).delete(req.params.id, ACTOR);
      return { deleted: req.params.id };
    },
  );

  app.delete<{ Params: { address: string } }>(
    '/api/v1/portal/accounts/:address',
    {
      schema: {
        operationId: 'resetPortalPassword',
        tags: ['portal'],
        summary: "Forget a recipient's portal password: their next new mail asks them to set one",
        params: { type: 'object', required: ['address'], properties: { address: { type: 'string', minLength: 3, maxLength: 320 } } },
        response: { 200: { type: 'object', required: ['reset'], properties: { reset: { type: 'string' } } }, ...problemResponses },
      },
    },
    async (req) => {
      await portalOf(control).resetPassword(req.params.address, ACTOR);
      return { reset: req.params.address.toLowerCase() };
    },
  );
}
