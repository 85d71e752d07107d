// /api/v1/pop3/mailboxes: the POP3 mailboxes pop3-proxy fetches, their status (last fetch,
// count, last error), a fetch on demand, and mailboxes kept by the appliance (PUT / DELETE;
// the ones in the config file are changed there). Passwords are accepted, never returned.
import type { FastifyInstance } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import { ControlError } from '../../../services/system-manager/control.ts';
import type { Pop3Control } from '../../../services/pop3-proxy/control.ts';
import { problemResponses } from '../schemas.ts';
import { ACTOR } from './queues.ts';

const nullableNumber = { type: ['number', 'null'] } as const;
const nullableString = { type: ['string', 'null'] } as const;

export const mailboxStatusSchema = {
  $id: 'Pop3MailboxStatus',
  type: 'object',
  required: ['name', 'source', 'host', 'port', 'tls', 'user', 'deliverTo', 'keep', 'interval', 'state', 'lastFetchAt', 'lastSuccessAt', 'lastCount', 'totalFetched', 'onServer', 'lastError', 'lastErrorCode', 'nextFetchAt'],
  properties: {
    name: { type: 'string' },
    source: { type: 'string', enum: ['config', 'api'], description: 'Where the mailbox is defined.' },
    host: { type: 'string' },
    port: { type: 'integer' },
    tls: { type: 'string', enum: ['implicit', 'starttls', 'none'] },
    user: { type: 'string' },
    deliverTo: { type: 'string' },
    keep: { type: 'boolean', description: 'Mail stays on the server (false: deleted there once durable here).' },
    interval: { type: 'integer', description: 'Seconds between fetches.' },
    state: { type: 'string', enum: ['idle', 'fetching', 'stopped'] },
    lastFetchAt: { ...nullableNumber, description: 'When the last fetch ended (ms since the epoch).' },
    lastSuccessAt: nullableNumber,
    lastCount: { type: 'integer', description: 'Mails the last successful fetch brought in.' },
    totalFetched: { type: 'integer' },
    onServer: { type: ['integer', 'null'], description: 'Messages on the server at the last successful fetch.' },
    lastError: nullableString,
    lastErrorCode: { ...nullableString, description: 'POP3_AUTH, POP3_CONNECT, POP3_TLS, POP3_TIMEOUT, POP3_NO_STLS, POP3_NO_UIDL, POP3_ERR, POP3_PROTOCOL, POP3_CONFIG or INTERNAL.' },
    nextFetchAt: nullableNumber,
  },
} as const;

const fetchReportSchema = {
  type: 'object',
  required: ['ok', 'fetched', 'deleted', 'skipped', 'error', 'mailbox'],
  properties: {
    ok: { type: 'boolean' },
    fetched: { type: 'integer', description: 'New mails brought into the flow.' },
    deleted: { type: 'integer', description: 'Messages deleted on the server.' },
    skipped: { type: 'integer', description: 'Messages left on the server because they exceed smtp.maxMessageSize.' },
    error: nullableString,
    mailbox: { $ref: 'Pop3MailboxStatus#' },
  },
} as const;

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** The fields of one entry of `pop3.mailboxes` in the config; checked by the same schema. */
const mailboxBody = {
  type: 'object',
  description: 'A mailbox as in `pop3.mailboxes` of the config file (name from the path).',
  required: ['host', 'user', 'deliverTo'],
  additionalProperties: false,
  properties: {
    host: { type: 'string' },
    port: { type: 'integer' },
    tls: { type: 'string', enum: ['implicit', 'starttls', 'none'] },
    insecure: { type: 'boolean' },
    user: { type: 'string' },
    password: { type: 'string' },
    passwordFile: { type: 'string' },
    interval: { anyOf: [{ type: 'integer' }, { type: 'string' }], description: 'Seconds, or a duration such as "5m".' },
    keep: { type: 'boolean' },
    deliverTo: { type: 'string' },
    ca: { type: 'string' },
    trustCertificate: { type: 'string' },
    timeout: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
  },
} as const;

function pop3(control: ApplianceControl): Pop3Control {
  if (!control.pop3) throw new ControlError('SERVICE_NOT_FOUND', 'this appliance has no pop3-proxy');
  return control.pop3;
}

export function registerPop3Routes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(mailboxStatusSchema);

  app.get(
    '/api/v1/pop3/mailboxes',
    {
      schema: {
        operationId: 'listPop3Mailboxes',
        tags: ['pop3'],
        summary: 'The POP3 mailboxes and their fetch status',
        response: {
          200: { type: 'object', required: ['mailboxes'], properties: { mailboxes: { type: 'array', items: { $ref: 'Pop3MailboxStatus#' } } } },
          ...problemResponses,
        },
      },
    },
    async () => ({ mailboxes: await pop3(control).list() }),
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/pop3/mailboxes/:name',
    {
      schema: { operationId: 'getPop3Mailbox', tags: ['pop3'], summary: 'One POP3 mailbox and its status', params: nameParams, response: { 200: { $ref: 'Pop3MailboxStatus#' }, ...problemResponses } },
    },
    async (req) => pop3(control).get(req.params.name),
  );

  app.post<{ Params: { name: string } }>(
    '/api/v1/pop3/mailboxes/:name/fetch',
    {
      schema: {
        operationId: 'fetchPop3Mailbox',
        tags: ['pop3'],
        summary: 'Fetch a mailbox now and wait for the result (a failed fetch answers 200 with ok: false)',
        params: nameParams,
        response: { 200: fetchReportSchema, ...problemResponses },
      },
    },
    async (req) => pop3(control).fetch(req.params.name, ACTOR),
  );

  app.put<{ Params: { name: string }; Body: Record<string, unknown> }>(
    '/api/v1/pop3/mailboxes/:name',
    {
      schema: {
        operationId: 'putPop3Mailbox',
        tags: ['pop3'],
        summary: 'Add or replace a mailbox kept by the appliance',
        params: nameParams,
        body: mailboxBody,
        response: { 200: { $ref: 'Pop3MailboxStatus#' }, ...problemResponses },
      },
    },
    async (req) => pop3(control).put({ ...req.body, name: req.params.name }, ACTOR),
  );

  app.delete<{ Params: { name: string } }>(
    '/api/v1/pop3/mailboxes/:name',
    {
      schema: {
        operationId: 'deletePop3Mailbox',
        tags: ['pop3'],
        summary: 'Remove a mailbox kept by the appliance (its fetched UIDLs are kept)',
        params: nameParams,
        response: { 204: { type: 'null', description: 'Removed.' }, ...problemResponses },
      },
    },
    async (req, reply) => {
      await pop3(control).remove(req.params.name, ACTOR);
      return reply.code(204).send();
    },
  );
}
