// Services that do not sit in the mail flow and whose function arrives with a later issue
// (compliance-log, pop3-proxy, portal-crypt, fuzzy-filter, virus-scanner, remote-support).
// They have the full lifecycle now so the admin sees and controls the whole appliance; they
// report configured: false until their feature exists.
import type { Service, ServiceKind, ServiceName } from './service.ts';

export interface AuxiliarySpec {
  name: ServiceName;
  kind: ServiceKind;
  description: string;
  essential?: boolean;
  deactivatable?: boolean;
  deactivatedByDefault?: boolean;
  mailHandling?: boolean;
}

export function auxiliaryService(spec: AuxiliarySpec): Service {
  return {
    name: spec.name,
    kind: spec.kind,
    description: spec.description,
    essential: spec.essential ?? false,
    deactivatable: spec.deactivatable ?? true,
    deactivatedByDefault: spec.deactivatedByDefault ?? false,
    mailHandling: spec.mailHandling ?? false,
    configured: () => false,
    async start() {},
    async stop() {},
  };
}
