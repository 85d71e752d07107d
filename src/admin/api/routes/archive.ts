// /api/v1/archive: search the archive (query language of mail-depot/query.ts, newest first, 50 a
// page), export a search as mbox, view a message (headers, text, attachments, every arrival),
// fetch the raw mail, verify the whole archive. Every call is written to the compliance log by the archive itself.
import type { FastifyInstance } from 'fastify';
import { ControlError, type ApplianceControl } from '../../../services/system-manager/control.ts';
import type { ArchiveControl } from '../../../services/mail-depot/archive-access.ts';
import { problemResponses } from '../schemas.ts';
import { ACTOR } from './queues.ts';

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
  required: ['ok', 'messages', 'chain', 'problems', 'truncated'],
  properties: {
    ok: { type: 'boolean' },
    messages: { type: 'integer' },
    chain: { $ref: 'ChainReport#' },
    problems: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'detail'],
        properties: {
          kind: { type: 'string', enum: ['corrupt', 'not-indexed', 'index-orphan', 'unchained', 'entry-without-message', 'entry-mismatch'] },
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

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

function archive(control: ApplianceControl): ArchiveControl {
  if (!control.archive) throw new ControlError('SERVICE_NOT_FOUND', 'this appliance has no mail-depot');
  return control.archive;
}

export function registerArchiveRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(archivedMessageSchema);
  app.addSchema(entrySchema);
  app.addSchema(importJobSchema);

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
    async (req, reply) => reply.code(202).send(await archive(control).imports.start(req.body.path, req.body.format, ACTOR)),
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
    async () => ({ imports: await archive(control).imports.list() }),
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
    async (req) => archive(control).imports.get(req.params.id),
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
    async (req) => archive(control).imports.resume(req.params.id, ACTOR),
  );

  app.get<{ Querystring: { q: string; page: number } }>(
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
    async (req) => archive(control).search(req.query.q, req.query.page, ACTOR),
  );

  app.get<{ Querystring: { q: string; format: 'mbox' } }>(
    '/api/v1/archive/export',
    {
      schema: {
        operationId: 'exportArchive',
        tags: ['archive'],
        summary: 'Every message a query finds, oldest first, as one mbox (mboxrd); each mail checked on read',
        description: 'Header x-gatehouse-messages: how many messages the export holds. A mail that fails its integrity check breaks the download off.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { q: { type: 'string', maxLength: 2000, default: '' }, format: { type: 'string', enum: ['mbox'], default: 'mbox' } },
        },
        response: { 200: { type: 'string', description: 'application/mbox' }, ...problemResponses },
      },
    },
    async (req, reply) => {
      const r = await archive(control).export(req.query.q, req.query.format, ACTOR);
      return reply.type('application/mbox').header('x-gatehouse-messages', r.total).send(r.body);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/archive/:id',
    {
      schema: {
        operationId: 'getArchivedMessage',
        tags: ['archive'],
        summary: 'An archived message: headers, text, attachments and every arrival (checked on read)',
        params: idParams,
        response: { 200: viewSchema, ...problemResponses },
      },
    },
    async (req) => archive(control).get(req.params.id, ACTOR),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/archive/:id/raw',
    {
      schema: {
        operationId: 'getArchivedMessageRaw',
        tags: ['archive'],
        summary: 'The archived mail as it was received (message/rfc822), checked on read',
        params: idParams,
        response: { 200: { type: 'string', description: 'The mail (message/rfc822).' }, ...problemResponses },
      },
    },
    async (req, reply) => {
      const r = await archive(control).raw(req.params.id, ACTOR);
      return reply.type('message/rfc822').header('content-length', r.size).send(r.body);
    },
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
    async () => archive(control).verify(ACTOR),
  );
}
