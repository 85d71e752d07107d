// The one error type for SMTP replies (after maddy's exterrors.SMTPError): a reply code, an
// enhanced status code and a message that is safe to show the client. Without a code it is temporary.

export class SmtpError extends Error {
  readonly responseCode: number;
  readonly enhanced: string;
  constructor(responseCode: number, enhanced: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SmtpError';
    this.responseCode = responseCode;
    this.enhanced = enhanced;
  }
  get temporary(): boolean {
    return this.responseCode < 500;
  }
  /** The reply text smtp-server sends, enhanced code first. */
  get reply(): string {
    return `${this.enhanced} ${this.message}`;
  }
  static temporary(message: string, cause?: unknown): SmtpError {
    return new SmtpError(451, '4.3.0', message, { cause });
  }
}

/** Turns anything thrown into an SmtpError; unknown errors become temporary failures. */
export function toSmtpError(err: unknown): SmtpError {
  if (err instanceof SmtpError) return err;
  return SmtpError.temporary('Temporary local problem, please try again later', err);
}
