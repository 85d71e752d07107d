// The web console: serves the built front end (web/dist, made by scripts/build.mjs) under "/"
// from the admin API's own Fastify instance. Promises: any GET of a path outside /api/ that is
// not a file answers with index.html (the front end routes itself); without a build, nothing
// is served and the API works as before.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

/** web/dist beside the sources (src/admin/api/ under tsx) or beside the bundle (dist/). */
export function consoleRoot(): string | null {
  for (const rel of ['../../../web/dist/', '../web/dist/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir + 'index.html')) return dir;
  }
  return null;
}

/** True for paths the console owns (everything but the API and /metrics). */
export function isConsolePath(path: string): boolean {
  return !(path === '/api' || path.startsWith('/api/') || path === '/metrics');
}

export function registerConsole(app: FastifyInstance, root: string | null = consoleRoot()): boolean {
  if (!root) return false;
  app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: true,
    index: ['index.html'],
    // Hashed asset names may be cached; index.html must not be, so a new build shows at once.
    setHeaders: (res, path) => res.setHeader('cache-control', /\/assets\//.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (isConsolePath(req.url.split('?')[0])) {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
      reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
    }
    return payload;
  });
  return true;
}

/** The SPA fallback for the not-found handler: true when it answered with index.html. */
export function consoleFallback(req: FastifyRequest, reply: FastifyReply, served: boolean): boolean {
  const path = req.url.split('?')[0];
  if (!served || req.method !== 'GET' || !isConsolePath(path) || /\.[a-z0-9]+$/i.test(path)) return false;
  void reply.header('cache-control', 'no-cache').sendFile('index.html');
  return true;
}
