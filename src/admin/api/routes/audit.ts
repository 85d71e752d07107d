// /api/v1/audit/grants: audit sessions. An admin grants an auditor a scope of the archive (a
// query and a window of message dates) for a limited time, lists and revokes grants; an auditor
// lists their own. scopeOf() is what every archive read runs under: none for an admin, the own
// addresses for a user, the grant in force for an auditor (no grant: nothing).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ControlError, type ApplianceControl } from '../../../services/system-manager/control.ts';
import type { ArchiveScope } from '../../../services/mail-depot/archive-scope.ts';
import { problemResponses } from '../schemas.ts';
import { callerOf } from '../caller.ts';
import { archiveOf } from './archive.ts';
import { callerName } from './archive-holds.ts';

const epochMs = { type: 'number', description: 'Milliseconds since the Unix epoch.' } as const;

const grantSchema = {
  $id: 'AuditGrant',
  type: 'object',
  required: ['id', 'auditor', 'query', 'from', 'until', 'expiresAt', 'createdBy', 'createdAt', 'revokedBy', 'revokedAt'],
  properties: {
    id: { type: 'string' },
    auditor: { type: 'string', description: 'User name of the auditor (role auditor).' },
    query: { type: 'string', description: 'Archive query every search of the session is ANDed with ("" for all mail in the window).' },
    from: { ...epochMs, description: 'Window of message dates: from <= date.' },
    until: { ...epochMs, description: 'Window of message dates: date < until.' },
    expiresAt: { ...epochMs, description: 'The session ends here.' },
    createdBy: { type: 'string' },
    createdAt: epochMs,
    revokedBy: { type: ['string', 'null'] },
    revokedAt: { type: ['number', 'null'] },
  },
} as const;

/** The scope of the caller's archive reads (undefined: the whole archive, for an admin). */
export async function scopeOf(req: FastifyRequest, control: ApplianceControl, grant?: string): Promise<ArchiveScope | undefined> {
  const c = callerOf(req);
  if (!c || c.role === 'admin') return undefined;
  if (c.role === 'auditor') return archiveOf(control).audit.scopeFor(c.name, grant);
  // A user (and any other role let through): only mail their own address is in.
  const u = c.kind === 'session' && control.users ? await control.users.get(c.name) : null;
  return { kind: 'own', user: c.name, addresses: u?.email ? [u.email] : [] };
}

export function registerAuditRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(grantSchema);

  app.get<{ Querystring: { all: boolean } }>(
    '/api/v1/audit/grants',
    {
      schema: {
        operationId: 'listAuditGrants',
        tags: ['archive'],
        summary: 'Audit grants in force (all=true: ended ones too); an auditor sees only their own',
        querystring: { type: 'object', additionalProperties: false, properties: { all: { type: 'boolean', default: false } } },
        response: { 200: { type: 'object', required: ['grants'], properties: { grants: { type: 'array', items: { $ref: 'AuditGrant#' } } } }, ...problemResponses },
      },
    },
    async (req) => {
      const c = callerOf(req);
      const auditor = c && c.role !== 'admin' ? c.name : undefined;
      return { grants: await archiveOf(control).audit.list({ auditor, withEnded: req.query.all }) };
    },
  );

  app.post<{ Body: { auditor: string; query: string; from: number; until: number; expiresAt: number } }>(
    '/api/v1/audit/grants',
    {
      schema: {
        operationId: 'grantAudit',
        tags: ['archive'],
        summary: 'Grant an auditor a scope of the archive (a query and a window of message dates) until expiresAt; recorded in the compliance log',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['auditor', 'from', 'until', 'expiresAt'],
          properties: {
            auditor: { type: 'string', minLength: 1, maxLength: 200 },
            query: { type: 'string', maxLength: 2000, default: '' },
            from: epochMs,
            until: epochMs,
            expiresAt: epochMs,
          },
        },
        response: { 201: { $ref: 'AuditGrant#' }, ...problemResponses },
      },
    },
    async (req, reply) => {
      if (control.users) {
        const u = await control.users.get(req.body.auditor);
        if (!u || u.role !== 'auditor') throw new ControlError('AUDIT_GRANT_INVALID', `${req.body.auditor} is not a user with the auditor role`);
      }
      return reply.code(201).send(await archiveOf(control).audit.grant(req.body, callerName(req)));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/audit/grants/:id',
    {
      schema: {
        operationId: 'revokeAuditGrant',
        tags: ['archive'],
        summary: 'End an audit grant now; recorded in the compliance log',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } },
        response: { 200: { $ref: 'AuditGrant#' }, ...problemResponses },
      },
    },
    async (req) => archiveOf(control).audit.revoke(req.params.id, callerName(req)),
  );
}
