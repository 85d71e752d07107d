// The one error type of the POP3 client. Its code says what went wrong in a way the mailbox
// status can show and tests can check; every POP3 failure is temporary for the gateway (the
// mailbox is simply tried again at its next interval), nothing is deleted on an error.

export type Pop3ErrorCode =
  /** TCP connection refused, unreachable, or the name does not resolve. */
  | 'POP3_CONNECT'
  /** TLS handshake failed or the certificate is not trusted. */
  | 'POP3_TLS'
  /** The server refused the user name or password. */
  | 'POP3_AUTH'
  /** No answer within the command's deadline. */
  | 'POP3_TIMEOUT'
  /** tls: starttls, but the server offers no STLS. */
  | 'POP3_NO_STLS'
  /** The server cannot list UIDLs, so exactly-once fetching is impossible. */
  | 'POP3_NO_UIDL'
  /** The server answered -ERR to a command. */
  | 'POP3_ERR'
  /** The server broke the protocol (bad greeting, overlong line, data after STLS, closed early). */
  | 'POP3_PROTOCOL'
  /** The mailbox's own files (passwordFile, ca, trustCertificate) cannot be read. */
  | 'POP3_CONFIG'
  /** The fetch was stopped (service stopping). */
  | 'POP3_ABORTED';

export class Pop3Error extends Error {
  constructor(
    readonly code: Pop3ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'Pop3Error';
  }
}
