// mail-sealer: stages seal-in (decrypt / verify) and seal-out (sign / encrypt) by policy, and the
// keyring behind them. It counts as configured when a policy exists or a key other than the
// built-in CA is held; unconfigured, the flow passes mail on unchanged. The key file and the CA
// are made at the first start; the admin plane can manage keys while the service is stopped.
import type { Config } from '../../config/schema.ts';
import type { KeyStore, SettingsStore } from '../../store/store.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Service } from '../service.ts';
import type { Stage } from '../../flow/stage.ts';
import type { SealerPolicy } from './config.ts';
import { asControl, parsePolicies, type PolicySet, type SealerControl } from './control.ts';
import { KeyVault } from './keys/key-vault.ts';
import { Keyring } from './keys/keyring.ts';
import { RevocationChecker } from './keys/revocation.ts';
import { SealerPolicies } from './policy.ts';
import type { PortalHandoff } from './portal-handoff.ts';
import { createSealInStage } from './seal-in.ts';
import { createSealOutStage } from './seal-out.ts';

export interface MailSealerDeps {
  config: Config;
  keys: KeyStore;
  settings: SettingsStore;
  recorder?: ComplianceRecorder;
  log: Logger;
  /** The encryption portal (portal-crypt) for portal policies; absent: there is none. */
  portal?: () => PortalHandoff | null;
}

/** Settings key of the policy list set through the API (absent: the config file's list). */
const POLICIES_SETTING = 'mail-sealer:policies';

export class MailSealer implements Service {
  readonly name = 'mail-sealer' as const;
  readonly kind = 'pipeline' as const;
  readonly description = 'Decrypts and verifies incoming mail (seal-in), signs and encrypts outgoing mail (seal-out) by policy';
  readonly essential = true;
  readonly deactivatable = false;
  readonly mailHandling = true;
  readonly stages: Stage[];
  readonly control: SealerControl;

  private policies: SealerPolicies;
  private policySource: 'config' | 'api' = 'config';
  private keyCount = 0;
  private opened: Promise<Keyring> | null = null;
  private keyring: Keyring | null = null;

  constructor(private readonly d: MailSealerDeps) {
    this.policies = new SealerPolicies(d.config.sealer.policies);
    // The stages only run while the service runs, i.e. after start() opened the keyring.
    const shared = { keyring: () => this.keyring!, policies: () => this.policies, config: () => d.config.sealer };
    this.stages = [createSealInStage(shared), createSealOutStage({ ...shared, hostname: d.config.hostname, portal: d.portal })];
    this.control = this.makeControl();
  }

  configured(): boolean {
    return this.policies.size > 0 || this.keyCount > 0;
  }

  /** Opens the key file (made at the first start) and the keyring, and makes the built-in CA. */
  private open(): Promise<Keyring> {
    this.opened ??= (async () => {
      const { vault, created } = await KeyVault.open(this.d.config.dataDir, { settings: this.d.settings, name: 'sealer' });
      const crl = this.d.config.sealer.crl;
      if (created) this.d.log.info('sealer key file created', { file: 'keys/sealer.key' });
      const keyring = new Keyring({
        store: this.d.keys,
        vault,
        caName: this.d.config.sealer.ca.name,
        userDays: this.d.config.sealer.ca.userDays,
        recorder: this.d.recorder,
        log: this.d.log,
        onChange: () => void this.refreshCount(),
        revocation: crl.enabled ? new RevocationChecker({ timeoutMs: crl.timeout, maxAgeMs: crl.maxAge, log: this.d.log }) : undefined,
      });
      await keyring.ensureCa();
      this.keyring = keyring;
      await this.refreshCount();
      return keyring;
    })().catch((err) => {
      this.opened = null;
      throw err;
    });
    return this.opened;
  }

  private async refreshCount(): Promise<void> {
    if (this.keyring) this.keyCount = await this.keyring.count();
  }

  async start(): Promise<void> {
    const stored = await this.d.settings.get<SealerPolicy[]>(POLICIES_SETTING);
    if (stored) {
      this.policies = new SealerPolicies(parsePolicies(stored));
      this.policySource = 'api';
    }
    await this.open();
    this.d.log.info('mail-sealer ready', { policies: this.policies.size, policySource: this.policySource, keys: this.keyCount });
  }

  async stop(): Promise<void> {}

  private policySet(): PolicySet {
    return { source: this.policySource, policies: this.policies.policies };
  }

  private async record(action: string, actor: string, detail: Record<string, unknown>): Promise<void> {
    await this.d.recorder?.record({ category: 'policy', action, actor, subject: 'mail-sealer', detail }).catch((err: Error) => this.d.log.warn('could not record a policy change', { err }));
  }

  private makeControl(): SealerControl {
    const kr = () => this.open();
    return {
      keys: {
        list: (f) => asControl(async () => (await kr()).list(f)),
        get: (id) => asControl(async () => (await kr()).get(id)),
        import: (data, opts, actor) => asControl(async () => (await kr()).import(data, { ...opts, actor })),
        export: (id, opts, actor) => asControl(async () => (await kr()).export(id, { ...opts, actor })),
        issue: (address, opts, actor) => asControl(async () => (await kr()).issue(address, { ...opts, actor })),
        delete: (id, actor) => asControl(async () => (await kr()).delete(id, actor)),
        ca: () => asControl(async () => (await kr()).caCertificate()),
      },
      policies: {
        get: async () => this.policySet(),
        set: async (input, actor) => {
          const policies = parsePolicies(input);
          await this.d.settings.set(POLICIES_SETTING, policies);
          this.policies = new SealerPolicies(policies);
          this.policySource = 'api';
          await this.record('sealer.policies-set', actor, { policies: policies.map((p) => p.name) });
          return this.policySet();
        },
        reset: async (actor) => {
          await this.d.settings.set(POLICIES_SETTING, null);
          this.policies = new SealerPolicies(this.d.config.sealer.policies);
          this.policySource = 'config';
          await this.record('sealer.policies-reset', actor, { policies: this.policies.policies.map((p) => p.name) });
          return this.policySet();
        },
      },
    };
  }
}

export const createMailSealer = (deps: MailSealerDeps) => new MailSealer(deps);
