// Protected headers (draft-ietf-lamps-header-protection, the "protected-headers=v1" form mail
// clients such as Thunderbird use): sealing copies the user-facing header fields into the signed
// or encrypted entity and marks its Content-Type; with `hide-subject`, an encrypted mail's outer
// Subject becomes "..." so only the recipient sees it. Opening puts the protected copies back on
// the outer message, so a forged or hidden outer field is replaced by what was sealed.
import { type Entity, type HeaderField, contentTypeOf, field, multipartParts, parseEntity, sealingFields, serialize, splitForSealing } from './entity.ts';

/** The fields copied inside; Content-* and MIME-Version are the entity's own already. */
const PROTECTED = ['from', 'to', 'cc', 'reply-to', 'subject', 'date', 'message-id', 'in-reply-to', 'references', 'followup-to'];
export const HIDDEN_SUBJECT = '...';

export type ProtectedHeadersMode = 'none' | 'copy' | 'hide-subject';

/** splitForSealing with the protected copies inside (and, hiding, the outer Subject replaced). */
export function splitWithProtectedHeaders(msg: Entity, mode: ProtectedHeadersMode, encrypting: boolean): { outer: HeaderField[]; inner: Buffer } {
  if (mode === 'none') return splitForSealing(msg);
  // Built from the fields directly: no serialize-and-parse round trip of a 1 MiB body.
  const split = sealingFields(msg);
  const copies = split.outer.filter((h) => PROTECTED.includes(h.name.toLowerCase()));
  const headers = split.content.map((h) => (h.name.toLowerCase() === 'content-type' ? field(h.name, `${h.value}; protected-headers="v1"`) : h));
  const inner = serialize({ headers: [...copies, ...headers], body: msg.body });
  const outer = mode === 'hide-subject' && encrypting ? split.outer.map((h) => (h.name.toLowerCase() === 'subject' ? field(h.name, HIDDEN_SUBJECT) : h)) : split.outer;
  return { outer, inner };
}

/** The protected header fields of an opened entity (inside a multipart/signed: of its signed part), or none. */
export function protectedHeadersOf(opened: Entity): HeaderField[] {
  let e = opened;
  const ct = contentTypeOf(e);
  if (ct.type === 'multipart/signed' && ct.params.boundary) {
    const first = multipartParts(e.body, ct.params.boundary)[0];
    if (!first) return [];
    e = parseEntity(first);
  }
  if ((contentTypeOf(e).params['protected-headers'] ?? '').toLowerCase() !== 'v1') return [];
  return e.headers.filter((h) => PROTECTED.includes(h.name.toLowerCase()));
}

/** The outer message with each protected field taking the place of the outer one(s) of that name. */
export function restoreProtectedHeaders(outer: Entity, protectedFields: HeaderField[]): Entity {
  if (!protectedFields.length) return outer;
  const names = new Set(protectedFields.map((h) => h.name.toLowerCase()));
  const kept: HeaderField[] = [];
  let placed = false;
  for (const h of outer.headers) {
    if (!names.has(h.name.toLowerCase())) kept.push(h);
    else if (!placed) {
      kept.push(...protectedFields);
      placed = true;
    }
  }
  return { headers: placed ? kept : [...protectedFields, ...kept], body: outer.body };
}
