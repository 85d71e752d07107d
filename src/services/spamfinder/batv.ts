// BATV (draft-levine-smtp-batv, "prvs="): smtp-sender signs the return path of outbound mail, so a
// bounce that really answers our mail can be told from backscatter. prvs=KDDDSSSSSS=local@domain:
// K key number, DDD day of expiry (days since 1970, mod 1000), SSSSSS the first 3 bytes of
// HMAC-SHA256(secret K, "K DDD address") in hex. Secrets live in the settings store (one per key
// number, shared by every node); the first use makes key 0.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SettingsStore } from '../../store/store.ts';

/** Settings key of the secrets: { current: K, secrets: { [K]: hex } }. */
export const BATV_SETTING = 'spamfinder.batv.keys';
const DAY = 86_400_000;
const PRVS = /^prvs=([0-9])([0-9]{3})([0-9a-f]{6})=(.+@[^@]+)$/i;

export interface BatvKeys {
  current: number;
  secrets: Record<string, string>;
}

export interface BatvConfig {
  enabled: boolean;
  /** A tag is good for this many days after the mail was sent (1..999). */
  validDays: number;
}

/** What a recipient address says about BATV: no tag, a good one, one past its day, one we did not make. */
export type BatvTagState = 'none' | 'valid' | 'expired' | 'forged';

export interface BatvCheck {
  state: BatvTagState;
  /** The address without its tag (the address itself when it has none). */
  address: string;
}

export interface ParsedPrvs {
  key: number;
  day: number;
  hash: string;
  address: string;
}

export function parsePrvs(address: string): ParsedPrvs | null {
  const m = PRVS.exec(address);
  return m ? { key: Number(m[1]), day: Number(m[2]), hash: m[3].toLowerCase(), address: m[4] } : null;
}

/** The address without a prvs= tag (syntax only; nothing is verified). */
export function unwrapPrvs(address: string): string {
  return parsePrvs(address)?.address ?? address;
}

function tagHash(secret: Buffer, key: number, day: string, address: string): string {
  return createHmac('sha256', secret).update(`${key}${day}${address.toLowerCase()}`).digest('hex').slice(0, 6);
}

export class BatvTags {
  private keys: Promise<BatvKeys> | null = null;

  constructor(
    private readonly settings: SettingsStore,
    readonly config: BatvConfig,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** The secrets, made once (key 0) when the settings hold none. A store failure is retried on the next call. */
  private load(): Promise<BatvKeys> {
    this.keys ??= (async () => {
      const stored = await this.settings.get<BatvKeys>(BATV_SETTING);
      if (stored && stored.secrets?.[String(stored.current)]) return stored;
      await this.settings.set(BATV_SETTING, { current: 0, secrets: { '0': randomBytes(32).toString('hex') } } satisfies BatvKeys);
      // Read back: when two nodes made a key at once, both use the one that was written last.
      return (await this.settings.get<BatvKeys>(BATV_SETTING))!;
    })().catch((err: unknown) => {
      this.keys = null;
      throw err;
    });
    return this.keys;
  }

  /** The signed return path; the address unchanged when it is the null sender or already signed. */
  async sign(address: string): Promise<string> {
    if (!address || parsePrvs(address)) return address;
    const keys = await this.load();
    const k = keys.current;
    const day = String((Math.floor(this.now() / DAY) + this.config.validDays) % 1000).padStart(3, '0');
    return `prvs=${k}${day}${tagHash(Buffer.from(keys.secrets[String(k)], 'hex'), k, day, address)}=${address}`;
  }

  /** Verifies the tag of a recipient address (a bounce's RCPT TO). */
  async verify(address: string): Promise<BatvCheck> {
    const p = parsePrvs(address);
    if (!p) return { state: 'none', address };
    const keys = await this.load();
    const secret = keys.secrets[String(p.key)];
    const day = String(p.day).padStart(3, '0');
    const want = secret ? tagHash(Buffer.from(secret, 'hex'), p.key, day, p.address) : null;
    if (!want || !timingSafeEqual(Buffer.from(want), Buffer.from(p.hash))) return { state: 'forged', address: p.address };
    // Days left until the expiry day, modulo the 1000-day wheel the tag carries.
    const left = (p.day - (Math.floor(this.now() / DAY) % 1000) + 1000) % 1000;
    return { state: left <= this.config.validDays ? 'valid' : 'expired', address: p.address };
  }
}
