// JSON schemas shared by the routes. They validate requests, serialise responses (a field not
// listed here is not sent: the schema is the published contract) and become the OpenAPI
// document's components. Free-form parts (envelope meta, event detail, log data) stay `{}`.
import { ALL_QUEUES } from '../../core/mail.ts';
import { problemSchema } from './errors.ts';

const nullableString = { type: ['string', 'null'] } as const;
const epochMs = { type: 'number', description: 'Milliseconds since the Unix epoch.' } as const;

export const serviceStatusSchema = {
  $id: 'ServiceStatus',
  type: 'object',
  required: ['name', 'kind', 'description', 'state', 'since', 'lastError', 'enabled', 'configured', 'essential', 'deactivatable', 'stages'],
  properties: {
    name: { type: 'string' },
    kind: { type: 'string', enum: ['infrastructure', 'ingress', 'pipeline', 'egress', 'auxiliary'] },
    description: { type: 'string' },
    state: { type: 'string', enum: ['stopped', 'starting', 'running', 'stopping', 'failed'] },
    since: { ...epochMs, description: 'When the service entered its current state (ms since the epoch).' },
    lastError: nullableString,
    enabled: { type: 'boolean', description: 'False when an admin deactivated the service.' },
    configured: { type: 'boolean' },
    essential: { type: 'boolean' },
    deactivatable: { type: 'boolean' },
    stages: { type: 'array', items: { type: 'string' } },
  },
} as const;

const recipientSchema = {
  type: 'object',
  required: ['address', 'status'],
  properties: {
    address: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed', 'deferred'] },
    response: { type: 'string' },
    notify: { type: 'array', items: { type: 'string' } },
    orcpt: { type: 'string' },
  },
} as const;

const envelopeSchema = {
  type: 'object',
  required: ['sender', 'recipients', 'direction', 'source'],
  properties: {
    sender: { type: 'string', description: 'Return path; "" is the null sender.' },
    recipients: { type: 'array', items: recipientSchema },
    direction: { type: 'string', enum: ['inbound', 'outbound', 'internal'] },
    source: { type: 'string' },
    clientIp: { type: 'string' },
    helo: { type: 'string' },
    authUser: { type: 'string' },
    ret: { type: 'string', enum: ['FULL', 'HDRS'] },
    envid: { type: 'string' },
    meta: { description: 'Facts stages left for later stages (verdicts, auth results).' },
  },
} as const;

const mailProperties = {
  id: { type: 'string' },
  queue: { type: 'string', enum: ALL_QUEUES },
  envelope: envelopeSchema,
  size: { type: 'integer' },
  receivedAt: epochMs,
  queuedAt: epochMs,
  notBefore: epochMs,
  attempts: { type: 'integer' },
  heldFrom: { type: ['string', 'null'], description: 'Queue the mail was in before it was held.' },
  lastReason: nullableString,
  delayNotified: { type: 'boolean' },
} as const;
const mailRequired = ['id', 'queue', 'envelope', 'size', 'receivedAt', 'queuedAt', 'notBefore', 'attempts', 'delayNotified'];

export const mailRecordSchema = { $id: 'MailRecord', type: 'object', required: mailRequired, properties: mailProperties } as const;

export const trackingEventSchema = {
  $id: 'TrackingEvent',
  type: 'object',
  required: ['mailId', 'at', 'queue', 'event', 'actor'],
  properties: {
    mailId: { type: 'string' },
    at: epochMs,
    queue: { type: 'string', description: 'Queue the mail was in after the event.' },
    event: { type: 'string' },
    actor: { type: 'string' },
    detail: {},
  },
} as const;

export const mailDetailSchema = {
  $id: 'MailDetail',
  type: 'object',
  required: [...mailRequired, 'events'],
  properties: { ...mailProperties, events: { type: 'array', items: { $ref: 'TrackingEvent#' } } },
} as const;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export const logRecordSchema = {
  $id: 'LogRecord',
  type: 'object',
  required: ['id', 'at', 'level', 'service', 'msg'],
  properties: {
    id: { type: 'integer' },
    at: epochMs,
    level: { type: 'string', enum: LOG_LEVELS },
    service: { type: 'string' },
    msg: { type: 'string' },
    mailId: nullableString,
    data: {},
  },
} as const;

export const SHARED_SCHEMAS = [problemSchema, serviceStatusSchema, mailRecordSchema, trackingEventSchema, mailDetailSchema, logRecordSchema];

/** Problem responses every authenticated route may give, for the OpenAPI document and serialisation. */
export const problemResponses = {
  '4xx': { $ref: 'Problem#' },
  '5xx': { $ref: 'Problem#' },
} as const;
