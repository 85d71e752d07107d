// Reads the header block of a fetched mail as its lines stream past, to find the envelope
// sender a POP3 mailbox does not carry: Return-Path (what the provider's MTA recorded at final
// delivery), else the From address. Keeps at most 256 KiB of header; never the body.

const MAX_HEADER = 256 * 1024;
const ADDRESS = /^[^\s<>"@,;:()[\]\\]+@[^\s<>"@,;:()[\]\\]+$/;

export class HeaderScan {
  private done = false;
  private size = 0;
  private current: string | null = null;
  private readonly fields: [name: string, value: string][] = [];

  /** Feeds one line (without its line ending); returns quickly once the header has ended. */
  push(line: Buffer): void {
    if (this.done) return;
    if (line.length === 0 || this.size > MAX_HEADER) return this.end();
    this.size += line.length;
    const text = line.toString('latin1');
    if ((text[0] === ' ' || text[0] === '\t') && this.current !== null) {
      this.current += ' ' + text.trim();
      return;
    }
    this.flush();
    this.current = text;
  }

  end(): void {
    this.flush();
    this.done = true;
  }

  /** The envelope sender: "" for `Return-Path: <>` (a bounce) or when nothing usable is found. */
  sender(): string {
    this.flush();
    const rp = this.field('return-path');
    if (rp !== undefined) {
      const a = angle(rp);
      if (a === '') return '';
      if (a && ADDRESS.test(a)) return a;
    }
    const from = this.field('from');
    if (from !== undefined) {
      const a = angle(from) ?? from.split(/[\s,;]+/).find((t) => t.includes('@'));
      if (a && ADDRESS.test(a)) return a;
    }
    return '';
  }

  private field(name: string): string | undefined {
    return this.fields.find(([n]) => n === name)?.[1];
  }

  private flush(): void {
    if (this.current === null) return;
    const i = this.current.indexOf(':');
    if (i > 0) this.fields.push([this.current.slice(0, i).trim().toLowerCase(), this.current.slice(i + 1).trim()]);
    this.current = null;
  }
}

/** The address in the last <…> of a header value, "" for <>, undefined when there is none. */
function angle(v: string): string | undefined {
  const all = [...v.matchAll(/<([^<>]*)>/g)];
  return all.length ? all[all.length - 1][1].trim() : undefined;
}
