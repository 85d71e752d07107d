// /api/v1/tokens: named API tokens for scripts (list, create, revoke). Admin only (auth/access.ts).
// Promises: a token is returned once, by the create call, and never again; lists show no token
// or hash; creating and revoking are recorded in the compliance log by ApiTokenControl.
import type { FastifyInstance } from 'fastify';
import type { ApiTokenControl } from '../../auth/api-tokens.ts';
import { USER_ROLES } from '../../auth/roles.ts';
import type { UserRole } from '../../../store/store.ts';
import { problemResponses } from '../schemas.ts';
import { actorOf } from './users.ts';

const tokenProperties = {
  name: { type: 'string' },
  role: { type: 'string', enum: USER_ROLES },
  createdAt: { type: 'integer' },
  createdBy: { type: 'string' },
  lastUsedAt: { type: ['integer', 'null'], description: 'Last request made with it (updated at most once a minute).' },
} as const;
const tokenSchema = { type: 'object', required: Object.keys(tokenProperties), properties: tokenProperties } as const;
const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

export function registerTokenRoutes(app: FastifyInstance, tokens: ApiTokenControl): void {
  app.get(
    '/api/v1/tokens',
    {
      schema: {
        operationId: 'listApiTokens',
        tags: ['tokens'],
        summary: 'List the named API tokens (never the tokens themselves)',
        response: { 200: { type: 'object', required: ['tokens'], properties: { tokens: { type: 'array', items: tokenSchema } } }, ...problemResponses },
      },
    },
    async () => ({ tokens: await tokens.list() }),
  );

  app.post<{ Body: { name: string; role: UserRole } }>(
    '/api/v1/tokens',
    {
      schema: {
        operationId: 'createApiToken',
        tags: ['tokens'],
        summary: 'Create a named API token with a role; the token is in this answer only',
        description: 'Send it as `Authorization: Bearer <token>`; it may call what its role may.',
        body: {
          type: 'object',
          required: ['name', 'role'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, role: { type: 'string', enum: USER_ROLES } },
        },
        response: { 201: { type: 'object', required: [...Object.keys(tokenProperties), 'token'], properties: { ...tokenProperties, token: { type: 'string' } } }, ...problemResponses },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(await tokens.create(req.body.name, req.body.role, actorOf(req)));
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/api/v1/tokens/:name',
    { schema: { operationId: 'revokeApiToken', tags: ['tokens'], summary: 'Revoke a named API token (it stops working at once)', params: nameParams, response: { 204: { type: 'null' }, ...problemResponses } } },
    async (req, reply) => {
      await tokens.revoke(req.params.name, actorOf(req));
      return reply.code(204).send();
    },
  );
}
