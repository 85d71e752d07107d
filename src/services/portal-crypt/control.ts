// What the admin plane may do with the encryption portal: list the mails waiting in it (never
// their content or keys), delete one, and forget a recipient's password (their next mail asks
// for a new one; mails already wrapped under the old password stay readable only with it).
// Deletions and resets go to the compliance log.
import type { PortalMessage, PortalStore } from '../../store/store.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import { ControlError } from '../system-manager/control.ts';

export interface PortalMessageView {
  id: string;
  mailId: string;
  recipient: string;
  sender: string;
  subject: string;
  /** waiting: not opened yet (held under the appliance key or a sender's password); opened: under the recipient's password. */
  state: 'waiting' | 'opened';
  password: 'recipient' | 'sender';
  size: number;
  createdAt: number;
  expiresAt: number;
  openedAt: number | null;
  replies: number;
}

export interface PortalControl {
  list(f: { recipient?: string; limit?: number; offset?: number }): Promise<PortalMessageView[]>;
  delete(id: string, actor: string): Promise<void>;
  resetPassword(address: string, actor: string): Promise<void>;
}

export const viewOf = (m: PortalMessage): PortalMessageView => ({
  id: m.id,
  mailId: m.mailId,
  recipient: m.recipient,
  sender: m.sender,
  subject: m.subject,
  state: m.openedAt === null ? 'waiting' : 'opened',
  password: m.wrap === 'sender' ? 'sender' : 'recipient',
  size: m.size,
  createdAt: m.createdAt,
  expiresAt: m.expiresAt,
  openedAt: m.openedAt,
  replies: m.replies,
});

export function createPortalControl(store: PortalStore, recorder?: ComplianceRecorder): PortalControl {
  const record = (category: 'deletion' | 'keys', action: string, actor: string, subject: string) => recorder?.record({ category, action, actor, subject });
  return {
    list: async (f) => (await store.list(f)).map(viewOf),
    async delete(id, actor) {
      if (!(await store.remove(id))) throw new ControlError('PORTAL_NOT_FOUND', `no mail ${id} in the encryption portal`);
      await record('deletion', 'portal.delete', actor, id);
    },
    async resetPassword(address, actor) {
      if (!(await store.removeAccount(address))) throw new ControlError('PORTAL_NOT_FOUND', `${address} has no portal password`);
      await record('keys', 'portal.reset-password', actor, address.toLowerCase());
    },
  };
}
