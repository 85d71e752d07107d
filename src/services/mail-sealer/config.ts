// The `sealer` section of the configuration (mail-sealer): the ordered encryption policies (first
// match wins), what seal-in does with encrypted and signed mail, the S/MIME algorithms and the
// built-in CA. Policies set through the API replace the config's list until they are reset.
import { z } from 'zod';
import { duration } from '../../config/fields.ts';

const pattern = z.string().min(1).max(320);
const patterns = z.union([pattern, z.array(pattern)]).transform((v) => (Array.isArray(v) ? v : [v]));

export const SIGN_MODES = ['force', 'if-possible', 'never'] as const;
export const ENCRYPT_MODES = ['force', 'if-possible', 'if-possible-else-portal', 'never'] as const;
export const METHODS = ['smime', 'pgp', 'portal', 'auto'] as const;
export const DIRECTIONS = ['inbound', 'outbound', 'internal', 'any'] as const;

export const sealerPolicySchema = z.strictObject({
  /** Shown in message tracking when the policy decides. */
  name: z.string().min(1).max(100),
  /** inbound: seal-in; outbound (and internal): seal-out; any: both. */
  direction: z.enum(DIRECTIONS).default('outbound'),
  /** Envelope sender patterns: "*" any characters, "?" one; case-insensitive. */
  senders: patterns.default(['*']),
  /** Envelope recipient patterns; decided per recipient. */
  recipients: patterns.default(['*']),
  sign: z.enum(SIGN_MODES).default('never'),
  encrypt: z.enum(ENCRYPT_MODES).default('never'),
  method: z.enum(METHODS).default('auto'),
  /** Inbound: leave encrypted mail as it came (no decryption), e.g. for end-to-end users. */
  passEncrypted: z.boolean().default(false),
  /** Inbound: where the signature check result goes: a header, or also a tag in the Subject. */
  markSignature: z.enum(['header', 'subject']).default('header'),
  /** Outbound: calendar invitations (text/calendar) are neither signed nor encrypted. */
  excludeCalendar: z.boolean().default(true),
  /** Inbound: a mail that cannot be decrypted or is corrupt is delivered with a header saying why, or held. */
  onFailure: z.enum(['deliver', 'hold']).default('deliver'),
});

export const sealerConfigSchema = z.strictObject({
  /** Ordered; the first policy whose direction, sender and recipient match decides for a recipient. */
  policies: z.array(sealerPolicySchema).default([]),
  /** Inbound mail no policy matches: decrypt where a key is held, verify and mark signatures. */
  inbound: z
    .strictObject({
      decrypt: z.boolean().default(true),
      verify: z.boolean().default(true),
      /** Store certificates of valid S/MIME signatures and OpenPGP keys from Autocrypt headers and attached keys. */
      harvest: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * Protected headers (the "protected-headers=v1" form): none; copy From, To, Subject… into the
   * signed/encrypted entity; or also hide an encrypted mail's outer Subject behind "...". Opening
   * always puts protected copies back on the outer message.
   */
  protectedHeaders: z.enum(['none', 'copy', 'hide-subject']).default('copy'),
  smime: z
    .strictObject({
      /** Content encryption: AES-256-CBC (EnvelopedData, every client) or AES-256-GCM (AuthEnvelopedData, RFC 5083). */
      cipher: z.enum(['aes-256-cbc', 'aes-256-gcm']).default('aes-256-cbc'),
      /** Key transport: RSA PKCS#1 v1.5 (every client) or RSAES-OAEP with SHA-256. */
      keyTransport: z.enum(['rsa-pkcs1', 'rsa-oaep']).default('rsa-pkcs1'),
    })
    .prefault({}),
  /**
   * Passphrase encryption on request: a local sender writes "[KEYWORD:passphrase]" in the Subject
   * (e.g. "[secure:correct horse battery]"); the keyword is removed and the mail goes out as an
   * OpenPGP message that opens with that passphrase (gpg --decrypt), whatever the policies say.
   */
  passphrase: z
    .strictObject({
      enabled: z.boolean().default(true),
      keyword: z
        .string()
        .regex(/^[A-Za-z0-9_-]{2,32}$/, { message: 'letters, digits, "-" and "_" (2 to 32)' })
        .default('secure'),
      /** Shorter passphrases are refused: the mail bounces instead of going out weakly protected. */
      minLength: z.number().int().min(4).max(256).default(8),
    })
    .prefault({}),
  /** Revocation checks: CRLs fetched from the certificates' distribution points. */
  crl: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Deadline of one CRL download; past it the status is "unknown" (accepted, and logged). */
      timeout: duration('10s'),
      /** A list is fetched again after its nextUpdate, and at the latest after this long. */
      maxAge: duration('24h'),
    })
    .prefault({}),
  ca: z
    .strictObject({
      /** Subject common name of the built-in CA made at the first start. */
      name: z.string().min(1).default('Gatehouse Mail CA'),
      /** Validity of user certificates it issues, days. */
      userDays: z.number().int().min(1).max(3650).default(730),
    })
    .prefault({}),
});

export type SealerPolicy = z.output<typeof sealerPolicySchema>;
export type SealerPolicyInput = z.input<typeof sealerPolicySchema>;
export type SealerConfig = z.output<typeof sealerConfigSchema>;
