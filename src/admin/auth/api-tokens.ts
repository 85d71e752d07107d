// Named API tokens for scripts: an admin creates one with a role, sees it once, and may revoke
// it. Promises: only the token's SHA-256 is stored (a token is 32 random bytes, so a fast hash is
// enough); a token acts with its own role only; creating and revoking go to the compliance log.
import { createHash, randomBytes } from 'node:crypto';
import type { ApiTokenStore, UserRole } from '../../store/store.ts';
import type { ComplianceRecorder } from '../../services/compliance-log/recorder.ts';
import { USER_ROLES, UserError } from './roles.ts';

/** Every token starts with this, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = 'ght_';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** lastUsedAt is written at most this often per token (ms). */
const MARK_EVERY_MS = 60_000;

/** A token as the API lists it: never the token or its hash. */
export interface PublicApiToken {
  name: string;
  role: UserRole;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
}

export interface ApiTokenControl {
  list(): Promise<PublicApiToken[]>;
  /** Makes a token; `token` is shown this once and never again. */
  create(name: string, role: UserRole, actor: string): Promise<PublicApiToken & { token: string }>;
  revoke(name: string, actor: string): Promise<void>;
  /** The token's name and role when `token` is a live token, else null. */
  authenticate(token: string): Promise<{ name: string; role: UserRole } | null>;
}

export const hashToken = (t: string) => createHash('sha256').update(t).digest('hex');

export function createApiTokenControl(store: ApiTokenStore, recorder?: ComplianceRecorder, now: () => number = Date.now): ApiTokenControl {
  const record = (action: string, actor: string, subject: string, detail?: Record<string, unknown>) =>
    recorder?.record({ category: 'admin', action, actor, subject, detail }).catch(() => undefined);
  const marked = new Map<string, number>();
  return {
    async list() {
      return (await store.list()).map(({ tokenHash: _h, ...t }) => t);
    },
    async create(name, role, actor) {
      if (!NAME.test(name)) throw new UserError('USER_INVALID', 'a token name has 1 to 64 letters, digits, ".", "_" or "-"');
      if (!USER_ROLES.includes(role)) throw new UserError('USER_INVALID', `the role is one of: ${USER_ROLES.join(', ')}`);
      const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const t = { name, role, tokenHash: hashToken(token), createdAt: now(), createdBy: actor };
      if (!(await store.add(t))) throw new UserError('TOKEN_EXISTS', `a token named "${name}" exists`);
      await record('token.create', actor, name, { role });
      return { name, role, createdAt: t.createdAt, createdBy: actor, lastUsedAt: null, token };
    },
    async revoke(name, actor) {
      if (!(await store.remove(name))) throw new UserError('TOKEN_NOT_FOUND', `no token named "${name}"`);
      marked.delete(name);
      await record('token.revoke', actor, name);
    },
    async authenticate(token) {
      if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
      const t = await store.byHash(hashToken(token));
      if (!t) return null;
      const at = now();
      if (at - (marked.get(t.name) ?? 0) >= MARK_EVERY_MS) {
        marked.set(t.name, at);
        await store.markUsed(t.name, at).catch(() => undefined);
      }
      return { name: t.name, role: t.role };
    },
  };
}
