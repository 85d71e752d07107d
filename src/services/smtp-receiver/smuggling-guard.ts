// Refuses SMTP smuggling: a message whose DATA holds a bare LF or a bare CR (the pieces of
// "<LF>.<LF>", "<LF>.<CR><LF>" and similar end-of-data tricks that other MTAs read differently)
// is rejected whole, like Postfix's smtpd_forbid_bare_newline. Scans the stream as it passes.

export class BareNewlineDetector {
  private prevCr = false;
  found: 'bare LF' | 'bare CR' | null = null;

  /** Feeds one chunk; returns false once a bare LF or CR has been seen. */
  scan(chunk: Buffer): boolean {
    if (this.found) return false;
    let i = 0;
    if (this.prevCr) {
      if (chunk.length && chunk[0] !== 0x0a) return this.flag('bare CR');
    }
    // Fast path: find each LF and CR with indexOf instead of a byte loop.
    for (;;) {
      const lf = chunk.indexOf(0x0a, i);
      const cr = chunk.indexOf(0x0d, i);
      if (lf < 0 && cr < 0) break;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        if (cr === chunk.length - 1) break; // decided by the next chunk
        if (chunk[cr + 1] !== 0x0a) return this.flag('bare CR');
        i = cr + 2;
      } else {
        if (lf === 0 ? !this.prevCr : chunk[lf - 1] !== 0x0d) return this.flag('bare LF');
        i = lf + 1;
      }
    }
    this.prevCr = chunk.length > 0 && chunk[chunk.length - 1] === 0x0d;
    return true;
  }

  /** At end of data a trailing CR is bare too. */
  end(): boolean {
    if (this.prevCr && !this.found) return this.flag('bare CR');
    return !this.found;
  }

  private flag(what: 'bare LF' | 'bare CR'): false {
    this.found = what;
    return false;
  }
}
