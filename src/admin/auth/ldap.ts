// Console logins against an LDAP directory (ldapts): find the user's entry (DN template or a
// search), bind as it with the password, read its mail address and the mapped groups it is in.
// Promises: an empty password never reaches the server (an LDAP "unauthenticated bind" would
// succeed); the login name is escaped for DNs and filters; every step has the configured deadline;
// a directory that cannot be reached is LdapUnavailable (a temporary failure), never a login.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { isIP } from 'node:net';
import { Client, InvalidCredentialsError } from 'ldapts';
import type { UserRole } from '../../store/store.ts';
import type { LdapConfig } from './ldap-config.ts';

export interface LdapIdentity {
  name: string;
  role: UserRole;
  email: string | null;
  dn: string;
}

export interface LdapAuthenticator {
  /** The identity when the directory accepts name and password and a role is mapped, else null. */
  authenticate(name: string, password: string): Promise<LdapIdentity | null>;
}

export class LdapUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the LDAP directory did not answer: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'LdapUnavailable';
  }
}

/** Strongest first. */
const ROLE_ORDER: UserRole[] = ['admin', 'auditor', 'helpdesk', 'user'];

/** RFC 4514: a value inside a DN. */
export function escapeDnValue(v: string): string {
  return v
    .replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`)
    .replace(/^ /, '\\ ')
    .replace(/ $/, '\\ ')
    .replace(/[\0-\x1f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** RFC 4515: a value inside a search filter. */
export function escapeFilterValue(v: string): string {
  return v.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** SNI carries host names only, never IP addresses (RFC 6066). */
const sniName = (host: string): string | undefined => (isIP(host) ? undefined : host);

const first = (v: unknown): string | null => (Array.isArray(v) ? (v.length ? String(v[0]) : null) : v == null ? null : String(v));

export function createLdapAuthenticator(cfg: LdapConfig): LdapAuthenticator {
  /** TLS checked against `ca` besides the system's CAs (read each time: a renewed CA needs no restart). */
  const tlsOptions = (): ConnectionOptions | undefined => (cfg.ca ? { ca: [readFileSync(cfg.ca, 'utf8')] } : undefined);
  const fill = (template: string, name: string, escape: (v: string) => string) => template.split('{user}').join(escape(name));

  /** The user's DN, or null when the directory has no (single) entry for the name. */
  async function findDn(c: Client, name: string): Promise<string | null> {
    if (cfg.bindDn) return fill(cfg.bindDn, name, escapeDnValue);
    if (cfg.searchBindDn) await c.bind(cfg.searchBindDn, cfg.searchBindPassword);
    const { searchEntries } = await c.search(cfg.searchBase!, { scope: 'sub', filter: fill(cfg.searchFilter, name, escapeFilterValue), sizeLimit: 2, attributes: ['1.1'] });
    return searchEntries.length === 1 ? searchEntries[0].dn : null;
  }

  async function roleOf(c: Client, dn: string, name: string): Promise<UserRole | null> {
    const roles: UserRole[] = [];
    const who = `(|(member=${escapeFilterValue(dn)})(uniqueMember=${escapeFilterValue(dn)})(memberUid=${escapeFilterValue(name)}))`;
    for (const [group, role] of Object.entries(cfg.roleMapping)) {
      try {
        const { searchEntries } = await c.search(group, { scope: 'base', filter: who, attributes: ['1.1'] });
        if (searchEntries.length) roles.push(role);
      } catch (err) {
        if ((err as { code?: number }).code !== 32) throw err; // 32: no such object (a mapped group that is gone)
      }
    }
    return ROLE_ORDER.find((r) => roles.includes(r)) ?? cfg.defaultRole;
  }

  return {
    async authenticate(name, password) {
      if (!password || !name) return null;
      let c: Client | null = null;
      try {
        const tls = tlsOptions();
        // ldapts opens TLS at connect whenever tlsOptions is given: only for ldaps://, StartTLS upgrades later.
        c = new Client({ url: cfg.url, timeout: cfg.timeout, connectTimeout: cfg.timeout, tlsOptions: cfg.url.startsWith('ldaps:') ? tls : undefined });
        // The upgraded socket is checked against the URL's host name (Node would assume "localhost").
        if (cfg.startTls) await c.startTLS({ ...tls, host: new URL(cfg.url).hostname, servername: sniName(new URL(cfg.url).hostname) });
        const dn = await findDn(c, name);
        if (!dn) return null;
        try {
          await c.bind(dn, password);
        } catch (err) {
          if (err instanceof InvalidCredentialsError) return null;
          throw err;
        }
        const { searchEntries } = await c.search(dn, { scope: 'base', attributes: [cfg.emailAttribute] });
        const email = first(searchEntries[0]?.[cfg.emailAttribute])?.toLowerCase() ?? null;
        const role = await roleOf(c, dn, name);
        return role ? { name, role, email, dn } : null;
      } catch (err) {
        throw new LdapUnavailable(err);
      } finally {
        await c?.unbind().catch(() => undefined);
      }
    },
  };
}
