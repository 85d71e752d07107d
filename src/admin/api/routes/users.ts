// /api/v1/users: the console's local users (list, add, delete, change password). Admin only
// (see auth/access.ts). Promises: hashes never leave the appliance; a deleted user's or changed
// password's sessions end at once; each change is recorded in the compliance log by UserControl.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UserControl } from '../../auth/users.ts';
import { USER_ROLES } from '../../auth/users.ts';
import type { SessionManager } from '../../auth/sessions.ts';
import type { UserRole } from '../../../store/store.ts';
import { problemResponses } from '../schemas.ts';

const userSchema = {
  type: 'object',
  required: ['name', 'role', 'createdAt', 'updatedAt'],
  properties: { name: { type: 'string' }, role: { type: 'string', enum: USER_ROLES }, email: { type: 'string', nullable: true }, source: { type: 'string', enum: ['local', 'ldap'] }, createdAt: { type: 'integer' }, updatedAt: { type: 'integer' } },
} as const;
const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;

/** The caller's name as the compliance log shows it (set by the server's auth hook). */
export function actorOf(req: FastifyRequest): string {
  return (req as FastifyRequest & { actor?: string }).actor ?? 'admin-api';
}

export function registerUserRoutes(app: FastifyInstance, users: UserControl, sessions: SessionManager): void {
  app.get(
    '/api/v1/users',
    {
      schema: {
        operationId: 'listUsers',
        tags: ['users'],
        summary: 'List the console users',
        response: { 200: { type: 'object', required: ['users'], properties: { users: { type: 'array', items: userSchema } } }, ...problemResponses },
      },
    },
    async () => ({ users: await users.list() }),
  );

  app.post<{ Body: { name: string; role: UserRole; email?: string; password: string } }>(
    '/api/v1/users',
    {
      schema: {
        operationId: 'addUser',
        tags: ['users'],
        summary: 'Add a console user',
        body: {
          type: 'object',
          required: ['name', 'role', 'password'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, role: { type: 'string', enum: USER_ROLES }, email: { type: 'string', maxLength: 320 }, password },
        },
        response: { 201: userSchema, ...problemResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await users.add(req.body, actorOf(req))),
  );

  app.delete<{ Params: { name: string } }>(
    '/api/v1/users/:name',
    { schema: { operationId: 'deleteUser', tags: ['users'], summary: 'Delete a console user', params: nameParams, response: { 204: { type: 'null' }, ...problemResponses } } },
    async (req, reply) => {
      await users.remove(req.params.name, actorOf(req));
      await sessions.destroyUser(req.params.name);
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { name: string }; Body: { password: string } }>(
    '/api/v1/users/:name/password',
    {
      schema: {
        operationId: 'setUserPassword',
        tags: ['users'],
        summary: "Set a console user's password",
        params: nameParams,
        body: { type: 'object', required: ['password'], additionalProperties: false, properties: { password } },
        response: { 204: { type: 'null' }, ...problemResponses },
      },
    },
    async (req, reply) => {
      await users.setPassword(req.params.name, req.body.password, actorOf(req));
      await sessions.destroyUser(req.params.name);
      return reply.code(204).send();
    },
  );
}
