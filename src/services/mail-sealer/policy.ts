// The ordered encryption policies: for one recipient of a mail (or, inbound, for the mail), the
// first policy whose direction, sender pattern and recipient pattern match decides. Patterns are
// globs: "*" any characters, "?" one; whole address, case-insensitive.
import type { Direction } from '../../core/mail.ts';
import type { SealerPolicy } from './config.ts';

export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

interface Compiled {
  policy: SealerPolicy;
  senders: RegExp[];
  recipients: RegExp[];
}

/** Which stage a policy's direction applies at. */
function appliesTo(policy: SealerPolicy, stage: 'in' | 'out', direction: Direction): boolean {
  if (policy.direction === 'any') return true;
  if (stage === 'in') return policy.direction === 'inbound' ? direction === 'inbound' : policy.direction === 'internal' && direction === 'internal';
  if (policy.direction === 'inbound') return false;
  return policy.direction === direction;
}

export class SealerPolicies {
  private readonly list: Compiled[];

  constructor(policies: SealerPolicy[]) {
    this.list = policies.map((policy) => ({ policy, senders: policy.senders.map(globToRegExp), recipients: policy.recipients.map(globToRegExp) }));
  }

  get size(): number {
    return this.list.length;
  }

  get policies(): SealerPolicy[] {
    return this.list.map((c) => c.policy);
  }

  /** seal-out: the policy for one recipient, or null (no policy: sent as it is). */
  forRecipient(direction: Direction, sender: string, recipient: string): SealerPolicy | null {
    for (const c of this.list) {
      if (!appliesTo(c.policy, 'out', direction)) continue;
      if (!c.senders.some((r) => r.test(sender))) continue;
      if (c.recipients.some((r) => r.test(recipient))) return c.policy;
    }
    return null;
  }

  /** seal-in: the first policy matching the sender and any recipient, or null (the defaults). */
  forInbound(direction: Direction, sender: string, recipients: string[]): SealerPolicy | null {
    for (const c of this.list) {
      if (!appliesTo(c.policy, 'in', direction)) continue;
      if (!c.senders.some((r) => r.test(sender))) continue;
      if (recipients.some((a) => c.recipients.some((r) => r.test(a)))) return c.policy;
    }
    return null;
  }
}
