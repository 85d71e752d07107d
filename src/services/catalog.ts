// The appliance's services in one list, in the order the console shows them.
import { auxiliaryService } from './auxiliary-service.ts';
import type { Service } from './service.ts';

// compliance-log is its own service now: src/services/compliance-log/index.ts.
export const portalCrypt = () =>
  auxiliaryService({ name: 'portal-crypt', kind: 'auxiliary', description: 'Encryption portal for recipients without keys (password-protected web portal)' });
export const fuzzyFilter = () =>
  auxiliaryService({ name: 'fuzzy-filter', kind: 'auxiliary', description: 'Fuzzy-hash store of spam patterns that the spamfinder asks' });
export const virusScanner = () =>
  auxiliaryService({ name: 'virus-scanner', kind: 'auxiliary', description: 'ClamAV (clamd) client; the spamfinder skips it when deactivated' });

export type { Service };
