// The console's roles and the one error type of user, token and self-service operations (its
// codes are entries of the API's error registry, src/admin/api/errors.ts).
import type { UserRole } from '../../store/store.ts';

export const USER_ROLES: readonly UserRole[] = ['admin', 'auditor', 'helpdesk', 'user'];

export type UserErrorCode = 'USER_EXISTS' | 'USER_NOT_FOUND' | 'USER_LAST_ADMIN' | 'USER_INVALID' | 'TOKEN_EXISTS' | 'TOKEN_NOT_FOUND' | 'NO_MAIL_ADDRESS' | 'MAIL_NOT_YOURS' | 'LIST_ENTRY_NOT_FOUND' | 'LDAP_UNAVAILABLE';

export class UserError extends Error {
  constructor(
    readonly code: UserErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
