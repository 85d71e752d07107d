// The `filter_lists` row shape both backends share (sqlite/ and postgres/ spam-store.ts) and its
// mapping to a FilterListEntry; integers pass through Number() (a no-op on SQLite's numbers).
import type { FilterListEntry, FilterListName } from '../store.ts';

export interface FilterListRow {
  id: number;
  list: FilterListName;
  value: string;
  owner: string;
  comment: string | null;
  created_at: number;
  created_by: string;
}

export const toFilterListEntry = (r: FilterListRow): FilterListEntry => ({
  id: Number(r.id),
  list: r.list,
  value: r.value,
  owner: r.owner,
  comment: r.comment,
  createdAt: Number(r.created_at),
  createdBy: r.created_by,
});
