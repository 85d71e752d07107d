// /api/v1/archive: search the archive (query language of mail-depot/query.ts, newest first, 50 a
// page), export a search as mbox or a zip of .eml files, view a message (headers, text, attachments, every arrival),
// fetch the raw mail, verify the whole archive; legal holds and expiry in archive-holds.ts. A user
// sees only their own mail, an auditor only what an audit grant allows (audit.ts). Every call is written to the compliance log by the archive itself.
import type { FastifyInstance } from 'fastify';
import { ControlError, type ApplianceControl } from '../../../services/system-manager/control.ts';
import type { ArchiveControl } from '../../../services/mail-depot/archive-access.ts';
import { problemResponses } from '../schemas.ts';
import { callerName, registerArchiveHoldRoutes } from './archive-holds.ts';
import { registerAuditRoutes, scopeOf } from './audit.ts';
import { ARCHIVE_PROBLEM_KINDS } from '../../../services/mail-depot/archive-verify.ts';

const epochMs = { type: 'number', description: 'Milliseconds since the Unix epoch.' } as const;

const messageProperties = {
  id: { type: 'string' },
  contentHash: { type: 'string', description: 'SHA-256 (hex) of the mail as archived.' },
  size: { type: 'integer' },
  storedSize: { type: 'integer', description: 'Bytes on disk (compressed and encrypted).' },
  compression: { type: 'string' },
  keyId: { type: 'string' },
  archivedAt: epochMs,
  date: { ...epochMs, description: 'The Date header, or the arrival time when it has none.' },
  from: { type: 'string' },
  to: { type: 'string' },
  cc: { type: 'string' },
  subject: { type: 'string' },
  messageId: { type: 'string' },
  attachments: { type: 'array', items: { type: 'string' } },
  retainUntil: { ...epochMs, description: 'Retention: the message may be deleted from this time on, never earlier.' },
} as const;
const messageRequired = Object.keys(messageProperties);

const archivedMessageSchema = { $id: 'ArchivedMessage', type: 'object', required: messageRequired, properties: messageProperties } as const;

const entrySchema = {
  $id: 'ArchiveEntry',
  type: 'object',
  required: ['seq', 'at', 'archiveId', 'contentHash', 'mailId', 'receivedAt', 'direction', 'source', 'sender', 'recipients', 'clientIp', 'trace', 'prevHash', 'hash'],
  properties: {
    seq: { type: 'integer' },
    at: epochMs,
    archiveId: { type: 'string' },
    contentHash: { type: 'string' },
    mailId: { type: ['string', 'null'], description: 'Queue id of this arrival.' },
    receivedAt: epochMs,
    direction: { type: 'string' },
    source: { type: 'string' },
    sender: { type: 'string' },
    recipients: { type: 'array', items: { type: 'string' } },
    clientIp: { type: ['string', 'null'] },
    trace: { type: ['string', 'null'], description: 'The gateway\'s own Received: header of this arrival.' },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
} as const;

const viewSchema = {
  type: 'object',
  required: [...messageRequired, 'headers', 'text', 'attachmentParts', 'partial', 'deliveries'],
  properties: {
    ...messageProperties,
    headers: { type: 'array', items: { type: 'array', items: { type: 'string' } }, description: '[name, value] pairs in message order.' },
    text: { type: 'string' },
    attachmentParts: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, contentType: { type: 'string' }, size: { type: 'integer' } } },
    },
    partial: { type: ['string', 'null'], description: 'Why the text is not complete (size limits), or null.' },
    deliveries: { type: 'array', items: { $ref: 'ArchiveEntry#' } },
  },
} as const;

const verifySchema = {
  type: 'object',
  required: ['ok', 'messages', 'deleted', 'chain', 'deletions', 'problems', 'truncated'],
  properties: {
    ok: { type: 'boolean' },
    messages: { type: 'integer' },
    deleted: { type: 'integer', description: 'Messages the expiry job deleted; their chain entries stay, each proven by a tombstone recorded in the compliance log.' },
    chain: { $ref: 'ChainReport#' },
    deletions: { $ref: 'ChainReport#' },
    problems: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'detail'],
        properties: {
          kind: { type: 'string', enum: ARCHIVE_PROBLEM_KINDS },
          archiveId: { type: 'string' },
          seq: { type: 'integer' },
          detail: { type: 'string' },
        },
      },
    },
    truncated: { type: 'boolean' },
  },
} as const;

const importJobSchema = {
  $id: 'ArchiveImportJob',
  type: 'object',
  required: ['id', 'path', 'format', 'state', 'cursor', 'read', 'archived', 'duplicates', 'malformed', 'skipped', 'bytesDone', 'bytesTotal', 'startedAt', 'updatedAt', 'error'],
  properties: {
    id: { type: 'string' },
    path: { type: 'string' },
    format: { type: 'string', enum: ['mbox', 'eml', 'maildir'] },
    state: { type: 'string', enum: ['running', 'done', 'failed', 'interrupted'] },
    cursor: { type: 'object', properties: { offset: { type: 'integer' }, index: { type: 'integer' } } },
    read: { type: 'integer', description: 'Mails read from the source.' },
    archived: { type: 'integer', description: 'New content archived.' },
    duplicates: { type: 'integer', description: 'Content already archived (one more arrival linked).' },
    malformed: { type: 'integer', description: 'Archived as they are, though no header could be read.' },
    skipped: { type: 'integer', description: 'Read again after a resume, already archived before.' },
    bytesDone: { type: 'integer' },
    bytesTotal: { type: 'integer' },
    startedAt: epochMs,
    updatedAt: epochMs,
    error: { type: ['string', 'null'] },
  },
} as const;

const grantParam = { type: 'string', minLength: 1, maxLength: 64, description: 'Auditors: the audit grant to use (needed when more than one is in force).' } as const;
const grantQuerystring = { type: 'object', additionalProperties: false, properties: { grant: grantParam } } as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

export function archiveOf(control: ApplianceControl): ArchiveControl {
  if (!control.archive) throw new ControlError('SERVICE_NOT_FOUND', 'this appliance has no mail-depot');
  return control.archive;
}

export function registerArchiveRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(archivedMessageSchema);
  app.addSchema(entrySchema);
  app.addSchema(importJobSchema);
  registerArchiveHoldRoutes(app, control);
  registerAuditRoutes(app, control);

  app.post<{ Body: { path: string; format?: 'mbox' | 'eml' | 'maildir' } }>(
    '/api/v1/archive/imports',
    {
      schema: {
        operationId: 'startArchiveImport',
        tags: ['archive'],
        summary: 'Start importing an mbox file, a folder of .eml files or a Maildir on the appliance into the archive',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['path'],
          properties: {
            path: { type: 'string', minLength: 1, maxLength: 4096, description: 'Absolute path on the appliance.' },
            format: { type: 'string', enum: ['mbox', 'eml', 'maildir'], description: 'Default: a file is mbox, a folder with cur/ and new/ a Maildir, another folder .eml files.' },
          },
        },
        response: { 202: { $ref: 'ArchiveImportJob#' }, ...problemResponses },
      },
    },
    async (req, reply) => reply.code(202).send(await archiveOf(control).imports.start(req.body.path, req.body.format, callerName(req))),
  );

  app.get(
    '/api/v1/archive/imports',
    {
      schema: {
        operationId: 'listArchiveImports',
        tags: ['archive'],
        summary: 'Archive import jobs and their progress',
        response: { 200: { type: 'object', required: ['imports'], properties: { imports: { type: 'array', items: { $ref: 'ArchiveImportJob#' } } } }, ...problemResponses },
      },
    },
    async () => ({ imports: await archiveOf(control).imports.list() }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/archive/imports/:id',
    {
      schema: {
        operationId: 'getArchiveImport',
        tags: ['archive'],
        summary: 'One archive import job and its progress',
        params: idParams,
        response: { 200: { $ref: 'ArchiveImportJob#' }, ...problemResponses },
      },
    },
    async (req) => archiveOf(control).imports.get(req.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/archive/imports/:id/resume',
    {
      schema: {
        operationId: 'resumeArchiveImport',
        tags: ['archive'],
        summary: 'Resume an interrupted or failed import from its last checkpoint (nothing is archived twice)',
        params: idParams,
        response: { 200: { $ref: 'ArchiveImportJob#' }, ...problemResponses },
      },
    },
    async (req) => archiveOf(control).imports.resume(req.params.id, callerName(req)),
  );

  app.get<{ Querystring: { q: string; page: number; grant?: string } }>(
    '/api/v1/archive/search',
    {
      schema: {
        operationId: 'searchArchive',
        tags: ['archive'],
        summary: 'Search the archive, newest first',
        description:
          'Query language: from:, to:, subject:, body:, attachment:, before:YYYY-MM-DD, after:YYYY-MM-DD, has:attachment, "quoted phrases", free words, -word to exclude. Terms are ANDed; an empty query lists everything.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            q: { type: 'string', maxLength: 2000, default: '' },
            page: { type: 'integer', minimum: 1, maximum: 100000, default: 1 },
            grant: grantParam,
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['query', 'page', 'pageSize', 'total', 'messages'],
            properties: {
              query: { type: 'string' },
              page: { type: 'integer' },
              pageSize: { type: 'integer' },
              total: { type: 'integer' },
              messages: { type: 'array', items: { $ref: 'ArchivedMessage#' } },
            },
          },
          ...problemResponses,
        },
      },
    },
    async (req) => archiveOf(control).search(req.query.q, req.query.page, callerName(req), await scopeOf(req, control, req.query.grant)),
  );

  app.get<{ Querystring: { q: string; format: 'mbox' | 'zip'; grant?: string } }>(
    '/api/v1/archive/export',
    {
      schema: {
        operationId: 'exportArchive',
        tags: ['archive'],
        summary: 'Every message a query finds, oldest first, as one mbox (mboxrd) or a zip of .eml files; each mail checked on read',
        description: 'Header x-gatehouse-messages: how many messages the export holds. A mail that fails its integrity check breaks the download off.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { q: { type: 'string', maxLength: 2000, default: '' }, format: { type: 'string', enum: ['mbox', 'zip'], default: 'mbox' }, grant: grantParam },
        },
        response: { 200: { type: 'string', description: 'application/mbox or application/zip' }, ...problemResponses },
      },
    },
    async (req, reply) => {
      const r = await archiveOf(control).export(req.query.q, req.query.format, callerName(req), await scopeOf(req, control, req.query.grant));
      return reply.type(r.format === 'zip' ? 'application/zip' : 'application/mbox').header('x-gatehouse-messages', r.total).send(r.body);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { grant?: string } }>(
    '/api/v1/archive/:id',
    {
      schema: {
        operationId: 'getArchivedMessage',
        tags: ['archive'],
        summary: 'An archived message: headers, text, attachments and every arrival (checked on read)',
        params: idParams,
        querystring: grantQuerystring,
        response: { 200: viewSchema, ...problemResponses },
      },
    },
    async (req) => archiveOf(control).get(req.params.id, callerName(req), await scopeOf(req, control, req.query.grant)),
  );

  app.get<{ Params: { id: string }; Querystring: { grant?: string } }>(
    '/api/v1/archive/:id/raw',
    {
      schema: {
        operationId: 'getArchivedMessageRaw',
        tags: ['archive'],
        summary: 'The archived mail as it was received (message/rfc822), checked on read',
        params: idParams,
        querystring: grantQuerystring,
        response: { 200: { type: 'string', description: 'The mail (message/rfc822).' }, ...problemResponses },
      },
    },
    async (req, reply) => {
      const r = await archiveOf(control).raw(req.params.id, callerName(req), await scopeOf(req, control, req.query.grant));
      return reply.type('message/rfc822').header('content-length', r.size).send(r.body);
    },
  );

  app.post<{ Params: { id: string }; Body: { to?: string[] } }>(
    '/api/v1/archive/:id/redeliver',
    {
      schema: {
        operationId: 'redeliverArchivedMessage',
        tags: ['archive'],
        summary: 'Put an archived mail back into the mail flow (deliver stage) for its original recipients, or for the addresses in `to`',
        description: 'The mail is read through its integrity checks into a new queue mail (null sender, header X-Gatehouse-Redelivered); track it with GET /api/v1/mails/{mailId}. Recorded in the compliance log.',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { to: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 3, maxLength: 320 } } },
        },
        response: {
          202: {
            type: 'object',
            required: ['archiveId', 'mailId', 'recipients'],
            properties: { archiveId: { type: 'string' }, mailId: { type: 'string' }, recipients: { type: 'array', items: { type: 'string' } } },
          },
          ...problemResponses,
        },
      },
    },
    async (req, reply) => reply.code(202).send(await archiveOf(control).redeliver(req.params.id, req.body?.to, callerName(req))),
  );

  app.post(
    '/api/v1/archive/verify',
    {
      schema: {
        operationId: 'verifyArchive',
        tags: ['archive'],
        summary: 'Verify every archived mail (integrity checks), the index and the chain of arrivals',
        response: { 200: verifySchema, ...problemResponses },
      },
    },
    async (req) => archiveOf(control).verify(callerName(req)),
  );
}
