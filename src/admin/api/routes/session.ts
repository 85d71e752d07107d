// /api/v1/session: console login (a session cookie plus a CSRF token), who is logged in, and
// logout. Promises: the cookie is HttpOnly, SameSite=Strict, Secure over TLS; failed logins are
// rate limited per address and per user name; logins and logouts go to the compliance log.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApplianceControl } from '../../../services/system-manager/control.ts';
import { SESSION_COOKIE, readCookie, type Session, type SessionManager } from '../../auth/sessions.ts';
import type { LoginLimiter } from '../../auth/login-limiter.ts';
import { ApiError } from '../errors.ts';
import { problemResponses } from '../schemas.ts';

const sessionSchema = {
  type: 'object',
  required: ['user', 'csrfToken', 'expiresAt'],
  properties: {
    user: { type: 'object', required: ['name', 'role'], properties: { name: { type: 'string' }, role: { type: 'string' }, email: { type: 'string', nullable: true } } },
    csrfToken: { type: 'string', description: 'Send it back in the X-CSRF-Token header with every request that is not a GET.' },
    expiresAt: { type: 'integer', description: 'When the session ends without further requests (ms since the epoch).' },
  },
} as const;

export interface SessionDeps {
  control: ApplianceControl;
  sessions: SessionManager;
  limiter: LoginLimiter;
}

function cookie(req: FastifyRequest, value: string, maxAgeS: number): string {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;
}

const view = (s: Session, email: string | null = null) => ({ user: { name: s.user, role: s.role, email }, csrfToken: s.csrfToken, expiresAt: s.expiresAt });

export function registerSessionRoutes(app: FastifyInstance, d: SessionDeps): void {
  const users = d.control.users;
  const record = (action: string, actor: string, detail?: Record<string, unknown>) => users?.recordLogin(action, actor, detail);

  app.post<{ Body: { username: string; password: string } }>(
    '/api/v1/session',
    {
      schema: {
        operationId: 'login',
        tags: ['session'],
        summary: 'Log in to the console (sets the session cookie)',
        security: [],
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
        response: { 200: sessionSchema, ...problemResponses },
      },
    },
    async (req, reply: FastifyReply) => {
      const { username, password } = req.body;
      const wait = d.limiter.blockedFor(req.ip, username);
      if (wait > 0) {
        reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new ApiError('LOGIN_RATE_LIMITED', 'too many failed logins; try again later');
      }
      const user = users ? await users.authenticate(username, password) : null;
      if (!user) {
        d.limiter.failed(req.ip, username);
        await record('login.failed', username, { ip: req.ip });
        throw new ApiError('LOGIN_FAILED', 'the user name or the password is wrong');
      }
      d.limiter.succeeded(username);
      const s = await d.sessions.create(user.name, user.role);
      await record('login', user.name, { ip: req.ip, role: user.role });
      reply.header('set-cookie', cookie(req, s.id, Math.floor(d.sessions.maxMs / 1000)));
      reply.header('cache-control', 'no-store');
      return view(s, user.email);
    },
  );

  app.get(
    '/api/v1/session',
    { schema: { operationId: 'whoami', tags: ['session'], summary: 'The logged-in user and the session\'s CSRF token', response: { 200: sessionSchema, ...problemResponses } } },
    async (req, reply) => {
      const s = await d.sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
      if (!s) throw new ApiError('UNAUTHORIZED', 'not logged in (or a bearer token, which has no session)');
      reply.header('cache-control', 'no-store');
      return view(s, (await users?.get(s.user))?.email ?? null);
    },
  );

  app.delete(
    '/api/v1/session',
    { schema: { operationId: 'logout', tags: ['session'], summary: 'Log out (ends the session)', response: { 204: { type: 'null' }, ...problemResponses } } },
    async (req, reply) => {
      const s = await d.sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
      if (s) {
        await d.sessions.destroy(s.id);
        await record('logout', s.user);
      }
      reply.header('set-cookie', cookie(req, '', 0));
      return reply.code(204).send();
    },
  );
}
