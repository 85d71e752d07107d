// The console's local users over a UserStore: add, remove, change passwords, authenticate, and
// create the first admin at first start. Promises: passwords are kept only as scrypt hashes;
// the last admin cannot be removed; every change is written to the compliance log when one is given.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword, verifyPassword } from '../../core/password.ts';
import type { StoredUser, UserRole, UserStore } from '../../store/store.ts';
import type { ComplianceRecorder } from '../../services/compliance-log/recorder.ts';
import type { SessionStore, Store } from '../../store/store.ts';
import { USER_ROLES, UserError } from './roles.ts';
import { createApiTokenControl, type ApiTokenControl } from './api-tokens.ts';
import { createOwnLists, type OwnLists } from './own-lists.ts';
import { LdapUnavailable, type LdapAuthenticator } from './ldap.ts';

export { USER_ROLES, UserError, type UserErrorCode } from './roles.ts';

/** Where the first admin's password is written at first start (mode 0600). */
export const INITIAL_ADMIN_PASSWORD_FILE = 'initial-admin-password';
export const FIRST_ADMIN = 'admin';

/**
 * The stored "hash" of a user known from LDAP: never a valid password (authenticate checks it
 * before any comparison). Such a shadow user keeps the role and address of the last LDAP login.
 */
export const LDAP_USER = '!ldap';

/** A user as the API shows it: never the hash. */
export interface PublicUser {
  name: string;
  role: UserRole;
  email: string | null;
  /** local: a password kept here; ldap: checked by an LDAP bind (admin.ldap). */
  source: 'local' | 'ldap';
  createdAt: number;
  updatedAt: number;
}

export interface UserControl {
  list(): Promise<PublicUser[]>;
  /** One user by name, or null. */
  get(name: string): Promise<PublicUser | null>;
  /** Where console sessions are kept across restarts (null: in memory only). */
  sessionStore: SessionStore | null;
  /** Named API tokens for scripts (null when the store keeps none). */
  tokens: ApiTokenControl | null;
  /** Each user's own allow and block lists (null when the store has no spam store). */
  ownLists: OwnLists | null;
  add(u: { name: string; role: UserRole; email?: string | null; password: string }, actor: string): Promise<PublicUser>;
  remove(name: string, actor: string): Promise<void>;
  setPassword(name: string, password: string, actor: string): Promise<void>;
  /** The user when the password is right, else null (unknown users cost the same scrypt time). */
  authenticate(name: string, password: string): Promise<PublicUser | null>;
  /** Writes a login, failed login or logout to the compliance log (category "login"). */
  recordLogin(action: string, name: string, detail?: Record<string, unknown>): Promise<void>;
  /** Writes who made a change through a console session (category "admin", action "console.request"). */
  recordRequest(name: string, method: string, path: string, status: number): Promise<void>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
// A hash of a random password: verifying against it makes an unknown name as slow as a known one.
let dummyHash: Promise<string> | null = null;

export const toPublic = (u: StoredUser): PublicUser => ({ name: u.name, role: u.role, email: u.email, source: u.passwordHash === LDAP_USER ? 'ldap' : 'local', createdAt: u.createdAt, updatedAt: u.updatedAt });

/**
 * `more`: the rest of the store, for sessions, API tokens and the users' own filter lists;
 * `ldap`: the directory that checks names not kept here as local users (admin.ldap).
 */
export function createUserControl(store: UserStore, recorder?: ComplianceRecorder, more: Partial<Pick<Store, 'sessions' | 'apiTokens' | 'spam'>> = {}, ldap: LdapAuthenticator | null = null): UserControl {
  const record = (action: string, actor: string, subject: string, detail?: Record<string, unknown>) =>
    recorder?.record({ category: 'admin', action, actor, subject, detail }).catch(() => undefined);
  const checkPassword = (pw: string) => {
    if (pw.length < 8 || pw.length > 1024) throw new UserError('USER_INVALID', 'a password has 8 to 1024 characters');
  };
  return {
    sessionStore: more.sessions ?? null,
    tokens: more.apiTokens ? createApiTokenControl(more.apiTokens, recorder) : null,
    ownLists: more.spam ? createOwnLists(more.spam, recorder) : null,
    async list() {
      return (await store.list()).map(toPublic);
    },
    async get(name) {
      const u = await store.get(name);
      return u ? toPublic(u) : null;
    },
    async add(u, actor) {
      if (!NAME.test(u.name)) throw new UserError('USER_INVALID', 'a user name has 1 to 64 letters, digits, ".", "_", "@" or "-"');
      if (!USER_ROLES.includes(u.role)) throw new UserError('USER_INVALID', `the role is one of: ${USER_ROLES.join(', ')}`);
      checkPassword(u.password);
      const ok = await store.add({ name: u.name, role: u.role, email: u.email ?? null, passwordHash: await hashPassword(u.password) });
      if (!ok) throw new UserError('USER_EXISTS', `a user named "${u.name}" exists`);
      await record('user.add', actor, u.name, { role: u.role });
      return toPublic((await store.get(u.name))!);
    },
    async remove(name, actor) {
      const u = await store.get(name);
      if (!u) throw new UserError('USER_NOT_FOUND', `no user named "${name}"`);
      if (u.role === 'admin' && (await store.list()).filter((x) => x.role === 'admin').length === 1) {
        throw new UserError('USER_LAST_ADMIN', 'the last admin cannot be deleted');
      }
      await store.remove(name);
      await record('user.delete', actor, name);
    },
    async setPassword(name, password, actor) {
      checkPassword(password);
      if (!(await store.setPassword(name, await hashPassword(password)))) throw new UserError('USER_NOT_FOUND', `no user named "${name}"`);
      await record('user.passwd', actor, name);
    },
    async authenticate(name, password) {
      const u = await store.get(name);
      if (u && u.passwordHash !== LDAP_USER) return (await verifyPassword(password, u.passwordHash)) ? toPublic(u) : null;
      if (!ldap || !NAME.test(name)) {
        await verifyPassword(password, await (dummyHash ??= hashPassword(randomBytes(16).toString('hex'))));
        return null;
      }
      let id;
      try {
        id = await ldap.authenticate(name, password);
      } catch (err) {
        if (err instanceof LdapUnavailable) throw new UserError('LDAP_UNAVAILABLE', err.message);
        throw err;
      }
      if (!id) return null;
      // The shadow user carries the directory's role and address into sessions and own mail.
      if (!u || u.role !== id.role || u.email !== id.email) {
        if (u) await store.remove(name);
        await store.add({ name, role: id.role, email: id.email, passwordHash: LDAP_USER });
        await record(u ? 'user.ldap-update' : 'user.ldap-add', 'ldap', name, { role: id.role, email: id.email, dn: id.dn });
      }
      return toPublic((await store.get(name))!);
    },
    async recordRequest(name, method, path, status) {
      await recorder?.record({ category: 'admin', action: 'console.request', actor: name, subject: path, detail: { method, status } }).catch(() => undefined);
    },
    async recordLogin(action, name, detail) {
      await recorder?.record({ category: 'login', action, actor: name, detail }).catch(() => undefined);
    },
  };
}

/**
 * At first start (no user at all): creates the admin "admin" with a random password, prints it
 * once through `print` and writes it to <dataDir>/initial-admin-password (mode 0600).
 */
export async function ensureFirstAdmin(store: UserStore, dataDir: string, print: (line: string) => void): Promise<boolean> {
  if ((await store.list()).length > 0) return false;
  const password = randomBytes(18).toString('base64url');
  if (!(await store.add({ name: FIRST_ADMIN, role: 'admin', email: null, passwordHash: await hashPassword(password) }))) return false;
  writeFileSync(join(dataDir, INITIAL_ADMIN_PASSWORD_FILE), password + '\n', { mode: 0o600 });
  print(`gatehouse: created the first console user "${FIRST_ADMIN}" (role admin) with the password: ${password}\n`);
  print(`gatehouse: change it with "gatehouse users passwd ${FIRST_ADMIN} --password-stdin"; it is also in ${join(dataDir, INITIAL_ADMIN_PASSWORD_FILE)}\n`);
  return true;
}
