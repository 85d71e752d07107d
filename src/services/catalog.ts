// The appliance's services in one list, in the order the console shows them.
import { auxiliaryService } from './auxiliary-service.ts';
import type { Service } from './service.ts';

// compliance-log and portal-crypt are services of their own now: src/services/compliance-log/index.ts,
// src/services/portal-crypt/index.ts.
export const fuzzyFilter = () =>
  auxiliaryService({ name: 'fuzzy-filter', kind: 'auxiliary', description: 'Fuzzy-hash store of spam patterns that the spamfinder asks' });
export const virusScanner = () =>
  auxiliaryService({ name: 'virus-scanner', kind: 'auxiliary', description: 'ClamAV (clamd) client; the spamfinder skips it when deactivated' });

export type { Service };
