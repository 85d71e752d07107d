// Who made an admin API request, as the server's auth hook decided it: the appliance token, a
// named API token, or a console session. Routes that act on "own" mail read it from here.
import type { FastifyRequest } from 'fastify';
import type { UserRole } from '../../store/store.ts';

export interface Caller {
  /** The user name, "token:NAME" for an API token, or "admin-api" for the appliance token. */
  name: string;
  role: UserRole;
  kind: 'session' | 'api-token' | 'appliance-token';
}

const CALLER = Symbol('gatehouse.caller');

export function setCaller(req: FastifyRequest, c: Caller): void {
  (req as FastifyRequest & { [CALLER]?: Caller })[CALLER] = c;
}

/** The caller; null only on public routes (health, login). */
export function callerOf(req: FastifyRequest): Caller | null {
  return (req as FastifyRequest & { [CALLER]?: Caller })[CALLER] ?? null;
}
