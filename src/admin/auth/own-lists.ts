// A user's own allow and block lists: filter list entries whose owner is the user's mail address
// (the spam store's per-user lists). Promises: a user only ever reads, adds and removes entries
// of their own address; only address and domain lists (AWL, DWL, ABL, DBL) are per user; every
// change goes to the compliance log.
import type { FilterListEntry, FilterListName, SpamStore } from '../../store/store.ts';
import type { ComplianceRecorder } from '../../services/compliance-log/recorder.ts';
import { normaliseListValue } from '../../services/spamfinder/lists.ts';
import { UserError } from './roles.ts';

export const OWN_LIST_NAMES = ['awl', 'dwl', 'abl', 'dbl'] as const satisfies readonly FilterListName[];
export type OwnListName = (typeof OWN_LIST_NAMES)[number];

export interface OwnLists {
  list(owner: string): Promise<FilterListEntry[]>;
  add(owner: string, list: OwnListName, value: string, comment: string | null, actor: string): Promise<FilterListEntry>;
  /** Removes one of the owner's entries; anyone else's is "not found" (LIST_ENTRY_NOT_FOUND). */
  remove(owner: string, id: number, actor: string): Promise<void>;
}

export const ownerOf = (email: string) => email.trim().toLowerCase();

export function createOwnLists(spam: SpamStore, recorder?: ComplianceRecorder): OwnLists {
  const record = (action: string, actor: string, subject: string, detail?: Record<string, unknown>) =>
    recorder?.record({ category: 'admin', action, actor, subject, detail }).catch(() => undefined);
  return {
    async list(owner) {
      const o = ownerOf(owner);
      if (!o) throw new UserError('NO_MAIL_ADDRESS', 'this account has no mail address');
      return (await spam.listEntries(o)).filter((e) => e.owner === o);
    },
    async add(owner, list, value, comment, actor) {
      const o = ownerOf(owner);
      if (!o) throw new UserError('NO_MAIL_ADDRESS', 'this account has no mail address');
      if (!(OWN_LIST_NAMES as readonly string[]).includes(list)) throw new UserError('USER_INVALID', `own lists are: ${OWN_LIST_NAMES.join(', ')}`);
      const v = normaliseListValue(list, value);
      if ('error' in v) throw new UserError('USER_INVALID', v.error);
      const e = await spam.addListEntry({ list, value: v.value, owner: o, comment, createdBy: actor });
      await record('own-list.add', actor, o, { list, value: v.value });
      return e;
    },
    async remove(owner, id, actor) {
      const o = ownerOf(owner);
      const mine = (await spam.listEntries(o)).find((e) => e.id === id && e.owner === o);
      if (!o || !mine) throw new UserError('LIST_ENTRY_NOT_FOUND', `no entry ${id} on your lists`);
      await spam.removeListEntry(id);
      await record('own-list.remove', actor, o, { list: mine.list, value: mine.value });
    },
  };
}
