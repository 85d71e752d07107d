// The appliance's services in one list, in the order the console shows them.
import { auxiliaryService } from './auxiliary-service.ts';
import type { Service } from './service.ts';

export const complianceLog = () =>
  auxiliaryService({
    name: 'compliance-log',
    kind: 'infrastructure',
    description: 'Append-only, hash-chained record of every compliance-relevant event',
    essential: true,
    deactivatable: false,
  });
export const pop3Proxy = () =>
  auxiliaryService({ name: 'pop3-proxy', kind: 'ingress', description: 'Fetches configured POP3 mailboxes at intervals into the mail flow', mailHandling: true, essential: false });
export const portalCrypt = () =>
  auxiliaryService({ name: 'portal-crypt', kind: 'auxiliary', description: 'Encryption portal for recipients without keys (password-protected web portal)' });
export const fuzzyFilter = () =>
  auxiliaryService({ name: 'fuzzy-filter', kind: 'auxiliary', description: 'Fuzzy-hash store of spam patterns that the spamfinder asks' });
export const virusScanner = () =>
  auxiliaryService({ name: 'virus-scanner', kind: 'auxiliary', description: 'ClamAV (clamd) client; the spamfinder skips it when deactivated' });
export const remoteSupport = () =>
  auxiliaryService({
    name: 'remote-support',
    kind: 'auxiliary',
    description: 'Outgoing support tunnel; deactivated until an admin starts it, ends by itself',
    deactivatedByDefault: true,
  });

export type { Service };
