// /api/v1/keys and /api/v1/sealer/policies: the mail-sealer's certificates and OpenPGP keys
// (list, show, import, export, issue, delete, the built-in CA's certificate) and its encryption
// policies (read, replace, reset to the config file's). Key files travel base64-encoded in JSON.
import type { FastifyInstance } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import { ControlError } from '../../../services/system-manager/control.ts';
import type { SealerControl } from '../../../services/mail-sealer/control.ts';
import { DIRECTIONS, ENCRYPT_MODES, METHODS, SIGN_MODES } from '../../../services/mail-sealer/config.ts';
import type { SealerKeyFilter } from '../../../store/store.ts';
import { problemResponses } from '../schemas.ts';
import { ACTOR } from './queues.ts';

/** A PKCS#12 bundle or key ring is small; 1 MiB leaves room for long chains and big key rings. */
const IMPORT_BODY_LIMIT = 1024 * 1024;

function sealerOf(control: ApplianceControl): SealerControl {
  if (!control.sealer) throw new ControlError('SERVICE_NOT_FOUND', 'this appliance has no mail-sealer');
  return control.sealer;
}

const nullableString = { type: ['string', 'null'] } as const;
const nullableMs = { type: ['number', 'null'], description: 'Milliseconds since the Unix epoch.' } as const;

const keySchema = {
  $id: 'SealerKey',
  type: 'object',
  required: ['id', 'kind', 'source', 'addresses', 'subject', 'issuer', 'serial', 'notBefore', 'notAfter', 'hasPrivateKey', 'isCa', 'createdAt'],
  properties: {
    id: { type: 'string', description: 'SHA-256 of the certificate, or the OpenPGP fingerprint (hex).' },
    kind: { type: 'string', enum: ['x509', 'pgp'] },
    source: { type: 'string', enum: ['import', 'issued', 'harvested', 'ca'] },
    addresses: { type: 'array', items: { type: 'string' }, description: 'Mail addresses ("@domain" for a domain key).' },
    subject: { type: 'string' },
    issuer: nullableString,
    serial: nullableString,
    notBefore: nullableMs,
    notAfter: nullableMs,
    hasPrivateKey: { type: 'boolean' },
    isCa: { type: 'boolean' },
    createdAt: { type: 'number' },
  },
} as const;

const policyProperties = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  direction: { type: 'string', enum: DIRECTIONS },
  senders: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 320 } },
  recipients: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 320 } },
  sign: { type: 'string', enum: SIGN_MODES },
  encrypt: { type: 'string', enum: ENCRYPT_MODES },
  method: { type: 'string', enum: METHODS },
  passEncrypted: { type: 'boolean' },
  markSignature: { type: 'string', enum: ['header', 'subject'] },
  excludeCalendar: { type: 'boolean' },
  onFailure: { type: 'string', enum: ['deliver', 'hold'] },
} as const;

const policySchema = {
  $id: 'SealerPolicy',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: policyProperties,
} as const;

const policySetSchema = {
  type: 'object',
  required: ['source', 'policies'],
  properties: {
    source: { type: 'string', enum: ['config', 'api'], description: 'api: set through this API, overriding the config file until reset.' },
    policies: { type: 'array', items: { $ref: 'SealerPolicy#' } },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-fA-F]{16,64}$' } } } as const;

export function registerKeyRoutes(app: FastifyInstance, control: ApplianceControl): void {
  app.addSchema(keySchema);
  app.addSchema(policySchema);
  const keys = { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: { $ref: 'SealerKey#' } } } } as const;

  app.get<{ Querystring: SealerKeyFilter }>(
    '/api/v1/keys',
    {
      schema: {
        operationId: 'listKeys',
        tags: ['keys'],
        summary: 'Certificates and OpenPGP keys of the mail-sealer, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { address: { type: 'string', maxLength: 320 }, kind: { type: 'string', enum: ['x509', 'pgp'] }, source: { type: 'string', enum: ['import', 'issued', 'harvested', 'ca'] } },
        },
        response: { 200: keys, ...problemResponses },
      },
    },
    async (req) => ({ keys: await sealerOf(control).keys.list(req.query) }),
  );

  app.get(
    '/api/v1/keys/ca',
    {
      schema: {
        operationId: 'caCertificate',
        tags: ['keys'],
        summary: "The built-in CA's certificate (PEM), for users and partners to trust",
        response: { 200: { type: 'object', required: ['certificate'], properties: { certificate: { type: 'string' } } }, ...problemResponses },
      },
    },
    async () => ({ certificate: await sealerOf(control).keys.ca() }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/keys/:id',
    { schema: { operationId: 'getKey', tags: ['keys'], summary: 'One key', params: idParams, response: { 200: { $ref: 'SealerKey#' }, ...problemResponses } } },
    async (req) => sealerOf(control).keys.get(req.params.id),
  );

  app.post<{ Body: { data: string; password?: string; addresses?: string[] } }>(
    '/api/v1/keys/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        operationId: 'importKey',
        tags: ['keys'],
        summary: 'Import a PEM/DER certificate, a PEM private key, a PKCS#12 bundle or an OpenPGP key (the format is worked out)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['data'],
          properties: {
            data: { type: 'string', minLength: 1, description: 'The file, base64.' },
            password: { type: 'string', maxLength: 1000, description: 'Opens a PKCS#12 bundle, an encrypted private key or a protected OpenPGP secret key.' },
            addresses: {
              type: 'array',
              maxItems: 100,
              items: { type: 'string', minLength: 2, maxLength: 320 },
              description: 'Replace the addresses of the main key, e.g. ["@example.test"] for a domain (gateway) certificate.',
            },
          },
        },
        response: { 200: keys, ...problemResponses },
      },
    },
    async (req) => ({ keys: await sealerOf(control).keys.import(Buffer.from(req.body.data, 'base64'), { password: req.body.password, addresses: req.body.addresses }, ACTOR) }),
  );

  app.post<{ Body: { address: string; pgp?: boolean; days?: number } }>(
    '/api/v1/keys/issue',
    {
      schema: {
        operationId: 'issueKey',
        tags: ['keys'],
        summary: 'Issue a user S/MIME certificate from the built-in CA (or, with pgp, make an OpenPGP key) for a local address',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['address'],
          properties: { address: { type: 'string', minLength: 3, maxLength: 320 }, pgp: { type: 'boolean' }, days: { type: 'integer', minimum: 1, maximum: 3650 } },
        },
        response: { 200: { $ref: 'SealerKey#' }, ...problemResponses },
      },
    },
    async (req) => sealerOf(control).keys.issue(req.body.address, { pgp: req.body.pgp, days: req.body.days }, ACTOR),
  );

  app.post<{ Params: { id: string }; Body: { private?: boolean; password?: string; format?: 'pem' | 'pkcs12' } }>(
    '/api/v1/keys/:id/export',
    {
      schema: {
        operationId: 'exportKey',
        tags: ['keys'],
        summary: 'Export the certificate / public key, or with private the private key too (PKCS#12 needs a password); exporting a private key is recorded in the compliance log',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { private: { type: 'boolean' }, password: { type: 'string', minLength: 1, maxLength: 1000 }, format: { type: 'string', enum: ['pem', 'pkcs12'] } },
        },
        response: {
          200: {
            type: 'object',
            required: ['format', 'filename', 'data'],
            properties: { format: { type: 'string', enum: ['pem', 'pkcs12', 'pgp'] }, filename: { type: 'string' }, data: { type: 'string', description: 'The file, base64.' } },
          },
          ...problemResponses,
        },
      },
    },
    async (req) => {
      const out = await sealerOf(control).keys.export(req.params.id, { withPrivate: req.body?.private, password: req.body?.password, format: req.body?.format }, ACTOR);
      return { format: out.format, filename: out.filename, data: out.data.toString('base64') };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/keys/:id',
    {
      schema: {
        operationId: 'deleteKey',
        tags: ['keys'],
        summary: 'Delete a key (the built-in CA cannot be deleted)',
        params: idParams,
        response: { 200: { type: 'object', required: ['deleted'], properties: { deleted: { type: 'string' } } }, ...problemResponses },
      },
    },
    async (req) => {
      await sealerOf(control).keys.delete(req.params.id, ACTOR);
      return { deleted: req.params.id.toLowerCase() };
    },
  );

  app.get(
    '/api/v1/sealer/policies',
    { schema: { operationId: 'getSealerPolicies', tags: ['keys'], summary: 'The encryption policies in force (first match wins)', response: { 200: policySetSchema, ...problemResponses } } },
    async () => sealerOf(control).policies.get(),
  );

  app.put<{ Body: { policies: unknown[] } }>(
    '/api/v1/sealer/policies',
    {
      schema: {
        operationId: 'setSealerPolicies',
        tags: ['keys'],
        summary: "Replace the encryption policies (kept in the settings; they override the config file's list until reset)",
        body: { type: 'object', additionalProperties: false, required: ['policies'], properties: { policies: { type: 'array', maxItems: 1000, items: { $ref: 'SealerPolicy#' } } } },
        response: { 200: policySetSchema, ...problemResponses },
      },
    },
    async (req) => sealerOf(control).policies.set(req.body.policies, ACTOR),
  );

  app.delete(
    '/api/v1/sealer/policies',
    {
      schema: { operationId: 'resetSealerPolicies', tags: ['keys'], summary: "Go back to the config file's policies", response: { 200: policySetSchema, ...problemResponses } },
    },
    async () => sealerOf(control).policies.reset(ACTOR),
  );
}
