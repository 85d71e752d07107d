// Header hygiene for mail from outside: a sender must not forge our verdicts. Removes every
// X-Gatehouse-Spam* header and every Authentication-Results: header whose authserv-id is our host
// name (RFC 8601 §5) from the header block, streaming: fields are held only until their name and
// the start of their value are known (at most FIELD_LIMIT), the body passes untouched.

const EMPTY = Buffer.alloc(0);
/** A field longer than this is decided on what it has (name and authserv-id come first). */
const FIELD_LIMIT = 16 * 1024;
/** A line without its end longer than this is taken in pieces. */
const FRAGMENT = 4096;

/** The authserv-id of an Authentication-Results value: the first token after comments and white space. */
export function authservId(value: string): string {
  let v = value.replace(/\r?\n/g, '');
  // Comments may nest: strip innermost first.
  for (let prev = ''; prev !== v; ) {
    prev = v;
    v = v.replace(/\([^()]*\)/g, ' ');
  }
  return (/^\s*([^\s;]+)/.exec(v)?.[1] ?? '').toLowerCase();
}

export class HeaderHygiene {
  /** Names of the fields removed so far, as written. */
  readonly removed: string[] = [];
  private readonly host: string;
  private inBody = false;
  private atLineStart = true;
  private carry: Buffer = EMPTY;
  private field: Buffer[] = [];
  private fieldLen = 0;
  /** The current field: true = drop, false = keep, null = not known yet (held). */
  private drop: boolean | null = null;

  constructor(authservId: string) {
    this.host = authservId.toLowerCase();
  }

  /** The part of `chunk` to keep. */
  push(chunk: Buffer): Buffer {
    if (this.inBody) return chunk;
    const out: Buffer[] = [];
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = EMPTY;
    let pos = 0;
    while (!this.inBody && pos < buf.length) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) {
        const rest = buf.subarray(pos);
        if (rest.length > FRAGMENT) this.piece(rest, out, false);
        else this.carry = Buffer.from(rest);
        pos = buf.length;
        break;
      }
      this.piece(buf.subarray(pos, nl + 1), out, true);
      pos = nl + 1;
    }
    if (pos < buf.length) out.push(buf.subarray(pos));
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** After the last chunk: whatever was still held. */
  end(): Buffer {
    const out: Buffer[] = [];
    if (this.carry.length) this.piece(this.carry, out, false);
    this.carry = EMPTY;
    this.closeField(out);
    return Buffer.concat(out);
  }

  /** The header block (or whole message) `text` without the forged fields. */
  static clean(text: string, authservId: string): { text: string; removed: string[] } {
    const h = new HeaderHygiene(authservId);
    const out = Buffer.concat([h.push(Buffer.from(text, 'latin1')), h.end()]).toString('latin1');
    return { text: out, removed: h.removed };
  }

  private piece(p: Buffer, out: Buffer[], complete: boolean): void {
    const start = this.atLineStart;
    this.atLineStart = complete;
    if (start) {
      if (p[0] === 0x0a || (p[0] === 0x0d && p[1] === 0x0a)) {
        this.closeField(out);
        out.push(p);
        this.inBody = true;
        return;
      }
      if (p[0] !== 0x20 && p[0] !== 0x09) {
        this.closeField(out);
        // Most fields are known by their name alone: they pass at once.
        const name = /^([^:\s]+)[ \t]*:/.exec(p.subarray(0, 256).toString('latin1'))?.[1].toLowerCase();
        if (!name || (name !== 'authentication-results' && !name.startsWith('x-gatehouse-spam'))) this.drop = false;
      }
    }
    if (this.drop === true) return;
    if (this.drop === false) {
      out.push(p);
      return;
    }
    this.field.push(p);
    this.fieldLen += p.length;
    if (this.fieldLen >= FIELD_LIMIT) this.decide(out);
  }

  private closeField(out: Buffer[]): void {
    if (this.drop === null && this.field.length) this.decide(out);
    this.drop = null;
  }

  private decide(out: Buffer[]): void {
    const held = this.field;
    const text = Buffer.concat(held).toString('latin1');
    this.field = [];
    this.fieldLen = 0;
    const m = /^([^:\s]+)[ \t]*:([\s\S]*)$/.exec(text);
    const name = m?.[1] ?? '';
    const lower = name.toLowerCase();
    this.drop = !!m && (lower.startsWith('x-gatehouse-spam') || (lower === 'authentication-results' && authservId(m[2]) === this.host));
    if (this.drop) this.removed.push(name);
    else out.push(...held);
  }
}
