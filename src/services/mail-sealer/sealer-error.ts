// The one error type of the mail-sealer, with a stable code: what the admin plane maps to a
// problem response, and what seal-in / seal-out write into a mail's header or its DSN.
export type SealerErrorCode =
  /** The input is no certificate, key, PKCS#12 bundle or OpenPGP key we can read. */
  | 'KEY_FORMAT'
  /** A password is needed, or the one given does not open the bundle or key. */
  | 'KEY_PASSWORD'
  | 'KEY_NOT_FOUND'
  /** sealer.key missing, replaced, or a sealed key damaged. */
  | 'KEY_VAULT'
  /** The key exists but cannot do this (no private part, an unsupported algorithm, expired). */
  | 'KEY_UNUSABLE'
  /** A CMS or OpenPGP structure we cannot read. */
  | 'MESSAGE_FORMAT'
  /** No key held opens the message. */
  | 'NO_KEY'
  /** The message does not decrypt although a key matched (damaged or tampered). */
  | 'DECRYPT_FAILED'
  | 'UNSUPPORTED';

export class SealerError extends Error {
  constructor(
    readonly code: SealerErrorCode,
    message: string,
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
    this.name = 'SealerError';
  }
}
