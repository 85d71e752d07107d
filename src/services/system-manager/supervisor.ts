// The supervisor: owns every service's state machine on this node, the start order, the
// log-manager cascade, restart throttling after failures, maintenance mode (appliance-wide) and
// the states the admin left, kept across restarts per node (`service:<node>:<name>`).
import os from 'node:os';
import type { FlowEngine } from '../../flow/flow-engine.ts';
import type { SettingsStore } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import { ControlError } from './control.ts';
import type { Service, ServiceName, ServiceState, ServiceStatus } from '../service.ts';

interface Entry {
  service: Service;
  state: ServiceState;
  since: number;
  lastError: string | null;
  enabled: boolean;
  /** What the admin (or boot) wants: drives restarts after failure. */
  wanted: boolean;
  failures: number[];
  restartTimer: NodeJS.Timeout | null;
  /** Serialises start/stop of one service. */
  op: Promise<unknown>;
}

interface Persisted {
  enabled: boolean;
  wanted: boolean;
}

const STOP_DEADLINE_MS = 15_000;
/** Restart delays after consecutive failures (ms); the last one repeats. */
const RESTART_DELAYS = [1000, 2000, 5000, 15_000, 60_000];

export class Supervisor {
  private readonly entries = new Map<ServiceName, Entry>();
  private maintenanceOn = false;
  private readonly watchers = new Set<() => void>();
  readonly nodeId: string;
  /** Set once boot() has started every service it should. */
  booted = false;

  constructor(
    services: Service[],
    private readonly deps: {
      engine: FlowEngine;
      settings: SettingsStore;
      log: Logger;
      /** Told of every state a service enters (the appliance writes them to the compliance log). */
      onChange?: (service: ServiceName, state: ServiceState, error: string | null) => void;
      /** This node's id in a cluster (default: the host name); the admin-left states are kept per node. */
      nodeId?: string;
    },
  ) {
    this.nodeId = deps.nodeId ?? os.hostname();
    for (const s of services) {
      this.entries.set(s.name, {
        service: s,
        state: 'stopped',
        since: Date.now(),
        lastError: null,
        enabled: !s.deactivatedByDefault,
        wanted: false,
        failures: [],
        restartTimer: null,
        op: Promise.resolve(),
      });
      s.onFailure = (err) => this.failed(s.name, err);
    }
  }

  get maintenance(): boolean {
    return this.maintenanceOn;
  }

  /** Starts the appliance: log-manager first, then essential services and those the admin left running. */
  async boot(): Promise<void> {
    this.maintenanceOn = (await this.deps.settings.get<boolean>('maintenance')) ?? false;
    for (const e of this.entries.values()) {
      // Before states were per node they were kept as `service:<name>`: an upgraded (or migrated)
      // appliance starts from those until the admin changes a state on this node.
      const p = (await this.deps.settings.get<Persisted>(this.key(e))) ?? (await this.deps.settings.get<Persisted>(`service:${e.service.name}`));
      if (p) {
        e.enabled = e.service.deactivatable ? p.enabled : true;
        e.wanted = p.wanted;
      } else {
        e.wanted = e.enabled; // first start: everything that is not deactivated by default runs
      }
      if (e.service.essential) e.wanted = true;
      if (e.service.name === 'remote-support') e.wanted = false; // never comes back by itself
    }
    const order = this.startOrder();
    for (const e of order) {
      if (!e.wanted || !e.enabled) continue;
      if (this.maintenanceOn && e.service.mailHandling) continue;
      await this.doStart(e).catch(() => undefined);
    }
    this.booted = true;
  }

  /** Stops everything for shutdown, reverse order, without changing what is persisted. */
  async shutdown(): Promise<void> {
    for (const e of [...this.startOrder()].reverse()) {
      if (e.restartTimer) clearTimeout(e.restartTimer);
      e.restartTimer = null;
      await this.doStop(e).catch(() => undefined);
    }
  }

  list(): ServiceStatus[] {
    return [...this.entries.values()].map((e) => this.status(e));
  }

  get(name: string): ServiceStatus {
    return this.status(this.entry(name));
  }

  async start(name: string): Promise<ServiceStatus> {
    const e = this.entry(name);
    if (!e.enabled) throw new ControlError('SERVICE_DEACTIVATED', `${name} is deactivated; activate it first`);
    if (this.maintenanceOn && e.service.mailHandling) {
      throw new ControlError('MAINTENANCE_MODE', `maintenance mode is on; ${name} handles mail and stays stopped until it is turned off`);
    }
    if (e.service.name !== 'log-manager' && this.entries.get('log-manager')?.state !== 'running') {
      // Every service depends on the log-manager: start it first, as the appliance does.
      await this.start('log-manager');
    }
    e.wanted = true;
    e.failures = [];
    await this.persist(e);
    await this.doStart(e).catch(() => undefined);
    return this.status(e);
  }

  async stop(name: string): Promise<ServiceStatus> {
    const e = this.entry(name);
    if (e.service.name === 'system-manager') {
      throw new ControlError('SERVICE_NOT_STOPPABLE', 'system-manager runs the admin API and console; it stops only with the appliance');
    }
    if (e.service.name === 'log-manager') await this.cascadeStop();
    e.wanted = false;
    await this.persist(e);
    await this.doStop(e);
    return this.status(e);
  }

  async restart(name: string): Promise<ServiceStatus> {
    const e = this.entry(name);
    if (e.service.name === 'system-manager') {
      throw new ControlError('SERVICE_NOT_STOPPABLE', 'system-manager restarts only with the appliance');
    }
    if (e.service.name === 'log-manager') await this.cascadeStop();
    await this.doStop(e);
    return this.start(name);
  }

  async setEnabled(name: string, enabled: boolean): Promise<ServiceStatus> {
    const e = this.entry(name);
    if (!e.service.deactivatable && !enabled) {
      throw new ControlError('SERVICE_NOT_DEACTIVATABLE', `${name} cannot be deactivated without interrupting the mail flow`);
    }
    e.enabled = enabled;
    if (!enabled) {
      e.wanted = false;
      await this.doStop(e);
    }
    await this.persist(e);
    return this.status(e);
  }

  isActive(name: ServiceName): boolean {
    const e = this.entries.get(name);
    return !!e && e.enabled && e.state === 'running';
  }

  async setMaintenance(on: boolean): Promise<void> {
    await this.deps.settings.set('maintenance', on);
    await this.applyMaintenance(on);
  }

  /**
   * Maintenance mode is appliance-wide: another node switched it (seen in the settings); applies
   * it here without writing it again. Nothing happens when this node is in that mode already.
   */
  async syncMaintenance(on: boolean): Promise<void> {
    if (on !== this.maintenanceOn) await this.applyMaintenance(on);
  }

  /** Calls `fn` after every state change of a service on this node; returns the unsubscribe. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  private async applyMaintenance(on: boolean): Promise<void> {
    this.maintenanceOn = on;
    this.deps.log.warn(on ? 'maintenance mode on: mail-handling services stop' : 'maintenance mode off');
    for (const e of this.entries.values()) {
      if (!e.service.mailHandling) continue;
      if (on) await this.doStop(e).catch(() => undefined);
      else if (e.wanted && e.enabled) await this.doStart(e).catch(() => undefined);
    }
  }

  // --- internals ---

  private entry(name: string): Entry {
    const e = this.entries.get(name as ServiceName);
    if (!e) throw new ControlError('SERVICE_NOT_FOUND', `no service named "${name}"`);
    return e;
  }

  private startOrder(): Entry[] {
    const first: ServiceName[] = ['log-manager', 'compliance-log', 'system-manager'];
    const all = [...this.entries.values()];
    return [...first.map((n) => this.entries.get(n)).filter((e): e is Entry => !!e), ...all.filter((e) => !first.includes(e.service.name))];
  }

  /** Stopping the log-manager stops every other service; they stay stopped until started by hand. */
  private async cascadeStop(): Promise<void> {
    for (const e of [...this.startOrder()].reverse()) {
      const n = e.service.name;
      if (n === 'log-manager' || n === 'system-manager') continue;
      e.wanted = false;
      await this.persist(e);
      await this.doStop(e).catch(() => undefined);
    }
  }

  private setState(e: Entry, state: ServiceState, err?: unknown): void {
    e.state = state;
    e.since = Date.now();
    if (err) e.lastError = err instanceof Error ? err.message : String(err);
    const lvl = state === 'failed' ? 'error' : 'info';
    this.deps.log[lvl](`${e.service.name} ${state}`, err ? { err: err as Error, service: e.service.name } : { service: e.service.name });
    this.deps.onChange?.(e.service.name, state, err ? e.lastError : null);
    for (const w of this.watchers) w();
  }

  private serial<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
    const p = e.op.then(fn, fn);
    e.op = p.catch(() => undefined);
    return p;
  }

  private doStart(e: Entry): Promise<void> {
    return this.serial(e, async () => {
      if (e.state === 'running') return;
      this.setState(e, 'starting');
      try {
        await e.service.start();
        for (const st of e.service.stages ?? []) this.deps.engine.startStage(st, e.service.name, () => e.service.configured());
        this.setState(e, 'running');
      } catch (err) {
        this.setState(e, 'failed', err);
        this.scheduleRestart(e);
        throw err;
      }
    });
  }

  private doStop(e: Entry): Promise<void> {
    if (e.restartTimer) {
      clearTimeout(e.restartTimer);
      e.restartTimer = null;
    }
    return this.serial(e, async () => {
      if (e.state === 'stopped') return;
      const wasFailed = e.state === 'failed';
      this.setState(e, 'stopping');
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(new Error('stop deadline')), STOP_DEADLINE_MS);
      try {
        for (const st of e.service.stages ?? []) await this.deps.engine.stopStage(st.name, STOP_DEADLINE_MS - 1000);
        if (!wasFailed) await e.service.stop(ac.signal);
        this.setState(e, 'stopped');
      } catch (err) {
        this.setState(e, 'stopped', err);
      } finally {
        clearTimeout(t);
      }
    });
  }

  /** A running service reported a fatal error: failed now, restarted after a throttled delay. */
  private failed(name: ServiceName, err: Error): void {
    const e = this.entries.get(name);
    if (!e || e.state !== 'running') return;
    void this.serial(e, async () => {
      for (const st of e.service.stages ?? []) await this.deps.engine.stopStage(st.name, 5000);
      await e.service.stop(AbortSignal.timeout(5000)).catch(() => undefined);
      this.setState(e, 'failed', err);
      this.scheduleRestart(e);
    });
  }

  private scheduleRestart(e: Entry): void {
    if (!e.wanted || !e.enabled || e.restartTimer) return;
    if (this.maintenanceOn && e.service.mailHandling) return;
    const now = Date.now();
    e.failures = e.failures.filter((t) => now - t < 10 * 60_000);
    e.failures.push(now);
    const delay = RESTART_DELAYS[Math.min(e.failures.length - 1, RESTART_DELAYS.length - 1)];
    this.deps.log.warn(`${e.service.name} will be restarted in ${delay / 1000}s (failure ${e.failures.length} in 10 min)`);
    e.restartTimer = setTimeout(() => {
      e.restartTimer = null;
      if (e.wanted && e.enabled && e.state === 'failed') void this.doStart(e).catch(() => undefined);
    }, delay);
    e.restartTimer.unref();
  }

  private key(e: Entry): string {
    return `service:${this.nodeId}:${e.service.name}`;
  }

  private persist(e: Entry): Promise<void> {
    return this.deps.settings.set(this.key(e), { enabled: e.enabled, wanted: e.wanted } satisfies Persisted);
  }

  private status(e: Entry): ServiceStatus {
    const s = e.service;
    return {
      name: s.name,
      kind: s.kind,
      description: s.description,
      state: e.state,
      since: e.since,
      lastError: e.lastError,
      enabled: e.enabled,
      configured: s.configured(),
      essential: s.essential,
      deactivatable: s.deactivatable,
      stages: (s.stages ?? []).map((x) => x.name),
    };
  }
}
