// The admin HTTP API: Fastify over ApplianceControl, nothing else. Promises: every route under
// /api/v1 but the health check needs the bearer token; every error is a problem document with a
// code from errors.ts; an unexpected error is logged here and reaches the client as INTERNAL only.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fastify, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import swagger from '@fastify/swagger';
import { ControlError, type ApplianceControl } from '../../services/system-manager/control.ts';
import type { Logger } from '../../services/log-manager/logger.ts';
import { parseHostPort } from '../listen-address.ts';
import { ApiError, PROBLEM_CONTENT_TYPE, problem, type ApiErrorCode } from './errors.ts';
import { SHARED_SCHEMAS } from './schemas.ts';
import { HEALTH_ROUTE, registerHealthRoutes } from './routes/health.ts';
import { registerServiceRoutes } from './routes/services.ts';
import { registerMaintenanceRoutes } from './routes/maintenance.ts';
import { registerQueueRoutes } from './routes/queues.ts';
import { registerLogRoutes } from './routes/logs.ts';
import { registerPop3Routes } from './routes/pop3.ts';
import { registerRemoteSupportRoutes } from './routes/remote-support.ts';
import { registerQuarantineRoutes } from './routes/quarantine.ts';
import { registerSpamfinderRoutes } from './routes/spamfinder.ts';
import { registerComplianceRoutes } from './routes/compliance.ts';
import { registerArchiveRoutes } from './routes/archive.ts';
import { registerKeyRoutes } from './routes/keys.ts';
import { registerPortalRoutes } from './routes/portal.ts';
import { registerSessionRoutes } from './routes/session.ts';
import { registerUserRoutes } from './routes/users.ts';
import { registerTokenRoutes } from './routes/tokens.ts';
import { registerMeRoutes } from './routes/me.ts';
import { setCaller } from './caller.ts';
import { consoleFallback, isConsolePath, registerConsole } from './console.ts';
import { SESSION_COOKIE, SessionManager, readCookie, type SessionOptions } from '../auth/sessions.ts';
import { LoginLimiter, DEFAULT_LOGIN_LIMITS, type LoginLimits } from '../auth/login-limiter.ts';
import { roleMayCall } from '../auth/access.ts';
import { UserError } from '../auth/users.ts';

export interface AdminServerOptions {
  control: ApplianceControl;
  token: string;
  /** "host:port", as `admin.listen` in the config; port 0 picks a free port. */
  listen: string;
  log?: Logger;
  /** Console session lifetimes (defaults: 30 min idle, 12 h at most). */
  sessions?: SessionOptions;
  loginLimits?: LoginLimits;
  /** Serve the web console from web/dist (default true; nothing is served without a build). */
  console?: boolean;
}

export interface AdminServer {
  /** Resolves once listening; `address` is the base URL (e.g. "http://127.0.0.1:8025"). */
  start(): Promise<{ address: string; port: number }>;
  stop(): Promise<void>;
  app: FastifyInstance;
}

/** "METHOD url-pattern" of the routes that need no token. */
const PUBLIC_ROUTES = new Set([`GET ${HEALTH_ROUTE}`, `HEAD ${HEALTH_ROUTE}`, 'POST /api/v1/session', 'DELETE /api/v1/session']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const BODY_LIMIT = 64 * 1024;

export function createAdminServer(opts: AdminServerOptions): AdminServer {
  if (!opts.token) throw new Error('admin API: refusing to start without a token');
  const { control, log } = opts;
  const expected = sha256(opts.token);

  const app = fastify({
    // Our Logger records what matters (auth failures, internal errors, each request at debug).
    logger: false,
    bodyLimit: BODY_LIMIT,
    ajv: {
      // Unknown query and body fields are rejected, not silently dropped: a typo such as
      // `?queu=hold` must not turn into "every mail" in front of a bulk action.
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
  });

  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Gatehouse admin API',
        version: '1',
        description: 'Administration of the Gatehouse mail security gateway. Errors are RFC 9457 problem documents (see the Problem schema for the codes).',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'The token in <dataDir>/admin.token (acts as admin), or a named API token from POST /api/v1/tokens (`gatehouse tokens create`), which acts with its own role.' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'A console session from POST /api/v1/session; requests other than GET also need its CSRF token in X-CSRF-Token. What it may call depends on the user\'s role.' },
        },
      },
      security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    },
    // Keep the shared schemas' names (ServiceStatus, Problem…) instead of def-0, def-1.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });

  for (const s of SHARED_SCHEMAS) app.addSchema(s);

  const sessions = new SessionManager({ store: control.users?.sessionStore, ...opts.sessions });
  const limiter = new LoginLimiter(opts.loginLimits ?? DEFAULT_LOGIN_LIMITS);

  // Who is calling: the appliance's bearer token (the CLI; it acts as admin), a named API token
  // (a script; it acts with its own role) or a console session cookie (its CSRF token is
  // required on every request that is not a read); then the role decides.
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0];
    if (PUBLIC_ROUTES.has(`${req.method} ${req.routeOptions.url}`) || isConsolePath(path)) return;
    if (req.headers.authorization !== undefined) {
      if (tokenMatches(req.headers.authorization, expected)) return void setCaller(req, { name: 'admin-api', role: 'admin', kind: 'appliance-token' });
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization)?.[1];
      const named = bearer && control.users?.tokens ? await control.users.tokens.authenticate(bearer) : null;
      if (named) {
        if (!roleMayCall(named.role, req.method, path)) return sendProblem(reply, 'FORBIDDEN', `the token ${named.name} (role ${named.role}) may not ${req.method} ${path}`);
        setCaller(req, { name: `token:${named.name}`, role: named.role, kind: 'api-token' });
        (req as typeof req & { actor?: string }).actor = `token:${named.name}`;
        return;
      }
      log?.warn('admin API: request without a valid token', { method: req.method, url: req.url, ip: req.ip });
      reply.header('www-authenticate', 'Bearer realm="gatehouse"');
      return sendProblem(reply, 'UNAUTHORIZED', 'the bearer token is wrong');
    }
    const session = await sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (!session) {
      reply.header('www-authenticate', 'Bearer realm="gatehouse"');
      return sendProblem(reply, 'UNAUTHORIZED', 'a bearer token or a console login is required');
    }
    if (!SAFE_METHODS.has(req.method) && !SessionManager.csrfMatches(session, req.headers['x-csrf-token'])) {
      log?.warn('admin API: session request without the CSRF token', { method: req.method, url: req.url, user: session.user });
      return sendProblem(reply, 'CSRF_FAILED', 'the X-CSRF-Token header is missing or wrong');
    }
    if (!roleMayCall(session.role, req.method, path)) return sendProblem(reply, 'FORBIDDEN', `the role ${session.role} may not ${req.method} ${path}`);
    setCaller(req, { name: session.user, role: session.role, kind: 'session' });
    (req as typeof req & { actor?: string }).actor = session.user;
  });

  app.addHook('onResponse', async (req, reply) => {
    // The control records admin actions under "admin-api"; this names the console user who made them.
    const actor = (req as typeof req & { actor?: string }).actor;
    if (actor && !SAFE_METHODS.has(req.method) && reply.statusCode < 400) await control.users?.recordRequest(actor, req.method, req.url.split('?')[0], reply.statusCode);
    log?.debug('admin API request', { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
  });

  const consoleServed = opts.console !== false && registerConsole(app);
  app.setNotFoundHandler((req, reply) => {
    if (consoleFallback(req, reply, consoleServed)) return reply;
    return sendProblem(reply, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { code, detail } = classify(err);
    if (code === 'INTERNAL') log?.error('admin API: request failed', { method: req.method, url: req.url, error: err.message, stack: err.stack });
    return sendProblem(reply, code, detail);
  });

  // Routes go in a plugin registered after swagger, so swagger's onRoute hook sees every one.
  app.register(async (api) => {
    registerHealthRoutes(api, control);
    registerServiceRoutes(api, control);
    registerMaintenanceRoutes(api, control);
    registerQueueRoutes(api, control);
    registerLogRoutes(api, control);
    registerPop3Routes(api, control);
    registerRemoteSupportRoutes(api, control);
    registerQuarantineRoutes(api, control);
    registerSpamfinderRoutes(api, control);
    registerComplianceRoutes(api, control);
    registerArchiveRoutes(api, control);
    registerKeyRoutes(api, control);
    registerPortalRoutes(api, control);
    registerSessionRoutes(api, { control, sessions, limiter });
    if (control.users) registerUserRoutes(api, control.users, sessions);
    if (control.users?.tokens) registerTokenRoutes(api, control.users.tokens);
    if (control.users) registerMeRoutes(api, control, control.users);
    registerMetricsRoute(api, control);
    api.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => api.swagger());
  });

  return {
    app,
    async start() {
      const { host, port } = parseHostPort(opts.listen);
      const address = await app.listen({ host, port });
      log?.info('admin API listening', { address });
      return { address, port: (app.server.address() as AddressInfo).port };
    },
    async stop() {
      await app.close();
    },
  };
}

/**
 * GET /metrics needs the token too. Queue sizes, recipient domains in labels and service
 * failures are operational intelligence about the mail flow; Prometheus sends a bearer token
 * (`authorization` in scrape_config), so requiring it costs a scraper one line of config.
 */
function registerMetricsRoute(app: FastifyInstance, control: ApplianceControl): void {
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'metrics',
        tags: ['metrics'],
        summary: 'Prometheus metrics (text exposition format)',
        response: { 200: { type: 'string', description: 'Prometheus text format.' } },
      },
    },
    async (_req, reply) => {
      const m = await control.metrics();
      return reply.type(m.contentType).send(m.body);
    },
  );
}

function sendProblem(reply: FastifyReply, code: ApiErrorCode, detail: string): FastifyReply {
  const p = problem(code, detail);
  return reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send(p);
}

/** Maps any error a route or Fastify raised to a registry code and a client-safe detail. */
function classify(err: FastifyError): { code: ApiErrorCode; detail: string } {
  if (err instanceof ControlError) return { code: err.code, detail: err.message };
  if (err instanceof ApiError) return { code: err.code, detail: err.message };
  if (err instanceof UserError) return { code: err.code, detail: err.message };
  if (err.validation) return { code: 'VALIDATION', detail: validationDetail(err) };
  // Fastify's own client errors (bad JSON, empty body, wrong content type, too large) carry a
  // 4xx statusCode and a message meant for the client.
  const status = err.statusCode ?? 500;
  if (status === 413) return { code: 'PAYLOAD_TOO_LARGE', detail: err.message };
  if (status === 415) return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: err.message };
  if (status >= 400 && status < 500) return { code: 'BAD_REQUEST', detail: err.message };
  return { code: 'INTERNAL', detail: 'internal error; the gateway log has the details' };
}

const PART: Record<string, [whole: string, field: string]> = {
  querystring: ['query', 'query parameter'],
  body: ['body', 'body field'],
  params: ['path', 'path parameter'],
  headers: ['headers', 'header'],
};

/** "query parameter "limit" must be integer": the first schema error, naming the field. */
function validationDetail(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return err.message;
  const [whole, part] = PART[err.validationContext ?? ''] ?? ['request', 'field'];
  const params = first.params as Record<string, unknown>;
  let field = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  let msg = first.message ?? 'is invalid';
  const sub = (name: unknown) => (field ? `${field}.${String(name)}` : String(name));
  if (first.keyword === 'required') [field, msg] = [sub(params.missingProperty), 'is required'];
  else if (first.keyword === 'additionalProperties') [field, msg] = [sub(params.additionalProperty), 'is not a known field'];
  else if (first.keyword === 'enum' && Array.isArray(params.allowedValues)) msg = `must be one of: ${params.allowedValues.join(', ')}`;
  return field ? `${part} "${field}" ${msg}` : `${whole} ${msg}`;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares digests, so neither the token's content nor its length leaks through timing. */
function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m !== null && timingSafeEqual(sha256(m[1]), expected);
}

