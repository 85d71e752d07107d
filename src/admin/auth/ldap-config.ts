// `admin.ldap` in the config: console logins checked by an LDAP bind. Either `bindDn` (a DN
// template: "uid={user},ou=people,dc=example,dc=test") or `searchBase` (+ searchFilter, and a
// service account to search with) finds the user's entry; `roleMapping` maps group DNs to roles.
import { z } from 'zod';
import { parseDuration } from '../../config/duration.ts';

const role = z.enum(['admin', 'auditor', 'helpdesk', 'user']);

export const ldapConfigSchema = z
  .strictObject({
    /** ldap://host:port or ldaps://host:port. */
    url: z.string().regex(/^ldaps?:\/\/[^/\s]+\/?$/, 'must be ldap://host[:port] or ldaps://host[:port]'),
    /** ldap:// only: upgrade the connection with StartTLS before anything is sent (binds carry passwords). */
    startTls: z.boolean().default(false),
    /** PEM file of the CA(s) that signed the directory's certificate (ldaps:// or startTls), besides the system's. */
    ca: z.string().min(1).optional(),
    /** DN of a user's entry with {user} for the login name (escaped): direct bind, no search. */
    bindDn: z.string().includes('{user}', { message: 'must contain {user}' }).optional(),
    /** Where to look for the user's entry (instead of bindDn). */
    searchBase: z.string().min(1).optional(),
    /** Filter finding exactly one entry; {user} is the login name (escaped). */
    searchFilter: z.string().includes('{user}', { message: 'must contain {user}' }).default('(uid={user})'),
    /** Service account for the search (anonymous when absent). */
    searchBindDn: z.string().min(1).optional(),
    searchBindPassword: z.string().min(1).optional(),
    /** Group DN → role; a user in several mapped groups gets the strongest role. */
    roleMapping: z.record(z.string().min(1), role).default({}),
    /** Role of a user in no mapped group; null refuses them. */
    defaultRole: role.nullable().default(null),
    /** Attribute of the user's entry holding the mail address. */
    emailAttribute: z.string().min(1).default('mail'),
    /** Deadline of connecting and of each LDAP operation. */
    timeout: z
      .union([z.number(), z.string()])
      .default('5s')
      .transform((v, ctx) => {
        const ms = parseDuration(v);
        if (ms === null || ms <= 0) {
          ctx.addIssue({ code: 'custom', message: 'must be a duration such as "5s"' });
          return z.NEVER;
        }
        return ms;
      }),
  })
  .superRefine((c, ctx) => {
    if (!c.bindDn === !c.searchBase) ctx.addIssue({ code: 'custom', path: ['bindDn'], message: 'give exactly one of bindDn or searchBase' });
    if (c.startTls && c.url.startsWith('ldaps:')) ctx.addIssue({ code: 'custom', path: ['startTls'], message: 'startTls is for ldap:// URLs; ldaps:// is TLS already' });
    if (!!c.searchBindDn !== !!c.searchBindPassword) ctx.addIssue({ code: 'custom', path: ['searchBindDn'], message: 'searchBindDn and searchBindPassword go together' });
  });

export type LdapConfig = z.output<typeof ldapConfigSchema>;
