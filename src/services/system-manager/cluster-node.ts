// This node's place in the appliance: it publishes its services' states (a heartbeat in the
// settings, `node:<id>`), picks up service commands other nodes leave for it
// (`node-command:<id>:<cmd>`) within a poll interval and answers them (`node-result:<cmd>`), and
// follows maintenance mode, which is appliance-wide. Everything travels through the SettingsStore,
// so it works the same on SQLite (one node) and PostgreSQL (a cluster).
import { randomBytes } from 'node:crypto';
import type { SettingsStore } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { ServiceStatus } from '../service.ts';
import { ControlError } from './control.ts';
import type { Supervisor } from './supervisor.ts';

export type NodeVerb = 'start' | 'stop' | 'restart' | 'activate' | 'deactivate';
export const NODE_VERBS: readonly NodeVerb[] = ['start', 'stop', 'restart', 'activate', 'deactivate'];

/** What a node publishes about itself. */
export interface NodeHeartbeat {
  node: string;
  /** When this heartbeat was written (ms). */
  at: number;
  startedAt: number;
  version: string;
  maintenance: boolean;
  /** True once the node stopped cleanly (its states are the last it had). */
  left: boolean;
  services: ServiceStatus[];
}

/** A node's services as the admin plane shows them. */
export interface NodeServices extends NodeHeartbeat {
  /** The node that answers this request. */
  self: boolean;
  /** Heard from within the stale time and not left. */
  alive: boolean;
}

/** The outcome of a service command on one node. */
export type NodeActionResult =
  | { node: string; ok: true; status: ServiceStatus }
  | { node: string; ok: false; error: { code: string; message: string } };

interface NodeCommand {
  id: string;
  verb: NodeVerb;
  service: string;
  at: number;
  from: string;
}

type StoredResult = { at: number } & ({ ok: true; status: ServiceStatus } | { ok: false; code: string; message: string });

export interface ClusterNodeOptions {
  settings: SettingsStore;
  supervisor: Supervisor;
  log: Logger;
  version: string;
  /** How often the heartbeat is written (default 5 s); a node is stale after three missed ones. */
  heartbeatMs?: number;
  /** How often commands for this node and the maintenance mode are read (default 500 ms). */
  pollMs?: number;
  /** How long a command for another node may take before NODE_TIMEOUT (default 25 s: a stop may take 15 s). */
  commandTimeoutMs?: number;
}

/** Nodes not heard from for a day are no longer listed (a renamed host, a removed node). */
const FORGET_MS = 86_400_000;
/** Answers nobody collected (the asker timed out) are removed after this long. */
const RESULT_TTL_MS = 3_600_000;

export class ClusterNode {
  readonly id: string;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private readonly commandTimeoutMs: number;
  private readonly startedAt = Date.now();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private publishSoon: NodeJS.Timeout | null = null;
  private unwatch: (() => void) | null = null;
  private running = false;
  /** The poll in progress (stop() waits for it). */
  private polling: Promise<void> = Promise.resolve();
  private storeDown = false;

  constructor(private readonly o: ClusterNodeOptions) {
    this.id = o.supervisor.nodeId;
    this.heartbeatMs = o.heartbeatMs ?? 5000;
    this.pollMs = o.pollMs ?? 500;
    this.commandTimeoutMs = o.commandTimeoutMs ?? 25_000;
  }

  /** A node is stale (shown as not alive) after three missed heartbeats. */
  get staleMs(): number {
    return this.heartbeatMs * 3;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.publish().catch((err: Error) => this.trouble('heartbeat', err));
    // A state change is published at once (debounced), so other nodes see it within ~100 ms.
    this.unwatch = this.o.supervisor.watch(() => {
      if (!this.running || this.publishSoon) return;
      this.publishSoon = setTimeout(() => {
        this.publishSoon = null;
        void this.publish().catch((err: Error) => this.trouble('heartbeat', err));
      }, 100);
      this.publishSoon.unref();
    });
    this.heartbeatTimer = setInterval(() => void this.beat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
    const poll = () => {
      if (!this.running) return;
      this.polling = this.poll().finally(() => {
        if (this.running) {
          this.pollTimer = setTimeout(poll, this.pollMs);
          this.pollTimer.unref();
        }
      });
    };
    poll();
  }

  /** Stops the heartbeat and taking commands (before the services stop); leave() follows. */
  async stop(): Promise<void> {
    this.running = false;
    this.unwatch?.();
    for (const t of [this.heartbeatTimer, this.publishSoon]) if (t) clearInterval(t);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    await this.polling;
  }

  /** After the services stopped: publishes the final states, marked as left (they stay visible). */
  async leave(): Promise<void> {
    await this.publish(true).catch(() => undefined);
  }

  /**
   * Every node's services, this node's live, the others' as last published; this node first.
   * While the store cannot be read (database gone) only this node is listed: the admin still
   * sees what runs here.
   */
  async nodes(): Promise<NodeServices[]> {
    const now = Date.now();
    const self: NodeServices = { ...this.heartbeat(false), self: true, alive: true };
    const published = await this.o.settings.list<NodeHeartbeat>('node:').catch((err: Error) => {
      this.trouble('node list', err);
      return [];
    });
    const others = published
      .map((e) => e.value)
      .filter((h) => h.node !== this.id && now - h.at < FORGET_MS)
      .map((h) => ({ ...h, self: false, alive: !h.left && now - h.at < this.staleMs }));
    return [self, ...others];
  }

  /**
   * Runs a service command on one node (`node` = its id) or on every live node (`all`). This node
   * applies it itself; another node gets it through the store and answers once applied.
   * One node: a ControlError when it fails there (NODE_NOT_FOUND, NODE_TIMEOUT, or the node's
   * own error). `all`: one result per node, failures included.
   */
  async run(node: string, verb: NodeVerb, service: string): Promise<NodeActionResult[]> {
    if (node === 'all') {
      const targets = (await this.nodes()).filter((n) => n.alive).map((n) => n.node);
      return Promise.all(
        targets.map(async (n): Promise<NodeActionResult> => {
          try {
            return { node: n, ok: true, status: await this.runOn(n, verb, service) };
          } catch (err) {
            const code = err instanceof ControlError ? err.code : 'INTERNAL';
            return { node: n, ok: false, error: { code, message: (err as Error).message } };
          }
        }),
      );
    }
    return [{ node, ok: true, status: await this.runOn(node, verb, service) }];
  }

  // --- internals ---

  private async runOn(node: string, verb: NodeVerb, service: string): Promise<ServiceStatus> {
    if (node === this.id) return this.apply(verb, service);
    const hb = await this.o.settings.get<NodeHeartbeat>(`node:${node}`);
    if (!hb) throw new ControlError('NODE_NOT_FOUND', `no node "${node}" in this appliance`);
    const cmd: NodeCommand = { id: commandId(), verb, service, at: Date.now(), from: this.id };
    const cmdKey = `node-command:${node}:${cmd.id}`;
    const resultKey = `node-result:${cmd.id}`;
    await this.o.settings.set(cmdKey, cmd);
    const deadline = Date.now() + this.commandTimeoutMs;
    let wait = 50;
    for (;;) {
      const r = await this.o.settings.get<StoredResult>(resultKey);
      if (r) {
        await this.o.settings.delete(resultKey).catch(() => undefined);
        if (r.ok) return r.status;
        if (r.code === 'INTERNAL') throw new Error(`${node}: ${r.message}`);
        throw new ControlError(r.code as ControlError['code'], `${node}: ${r.message}`);
      }
      if (Date.now() >= deadline) {
        // Withdrawn unless the node has taken it already (then its answer is cleaned up later).
        const withdrawn = await this.o.settings.delete(cmdKey).catch(() => false);
        const seen = Math.round((Date.now() - hb.at) / 1000);
        throw new ControlError(
          'NODE_TIMEOUT',
          `node "${node}" did not ${withdrawn ? 'take' : 'finish'} "${verb} ${service}" within ${Math.round(this.commandTimeoutMs / 1000)} s` +
            (withdrawn ? ` (command withdrawn; its last heartbeat was ${seen} s ago${hb.left ? ', and it had stopped' : ''})` : '; it may still apply it'),
        );
      }
      await new Promise((res) => setTimeout(res, wait));
      wait = Math.min(wait * 2, 250);
    }
  }

  private apply(verb: NodeVerb, service: string): Promise<ServiceStatus> {
    const s = this.o.supervisor;
    switch (verb) {
      case 'start':
        return s.start(service);
      case 'stop':
        return s.stop(service);
      case 'restart':
        return s.restart(service);
      case 'activate':
        return s.setEnabled(service, true);
      case 'deactivate':
        return s.setEnabled(service, false);
    }
  }

  private heartbeat(left: boolean): NodeHeartbeat {
    const sup = this.o.supervisor;
    return { node: this.id, at: Date.now(), startedAt: this.startedAt, version: this.o.version, maintenance: sup.maintenance, left, services: sup.list() };
  }

  private publish(left = false): Promise<void> {
    return this.o.settings.set(`node:${this.id}`, this.heartbeat(left));
  }

  private async beat(): Promise<void> {
    try {
      await this.publish();
      // Answers whose asker gave up are cleaned up here, by any node.
      const now = Date.now();
      for (const r of await this.o.settings.list<StoredResult>('node-result:')) {
        if (now - r.value.at > RESULT_TTL_MS) await this.o.settings.delete(r.key);
      }
      this.recovered();
    } catch (err) {
      this.trouble('heartbeat', err as Error);
    }
  }

  /** Takes this node's commands (oldest first), applies each and answers; follows maintenance mode. */
  private async poll(): Promise<void> {
    try {
      const maintenance = (await this.o.settings.get<boolean>('maintenance')) ?? false;
      await this.o.supervisor.syncMaintenance(maintenance);
      for (const { key, value: cmd } of await this.o.settings.list<NodeCommand>(`node-command:${this.id}:`)) {
        if (!this.running) break;
        if (!(await this.o.settings.delete(key))) continue; // withdrawn by the asker
        let result: StoredResult;
        try {
          const status = await this.apply(cmd.verb, cmd.service);
          result = { at: Date.now(), ok: true, status };
          this.o.log.info(`${cmd.verb} ${cmd.service}: asked by node ${cmd.from}`, { service: cmd.service });
        } catch (err) {
          const code = err instanceof ControlError ? err.code : 'INTERNAL';
          result = { at: Date.now(), ok: false, code, message: (err as Error).message };
        }
        // The heartbeat first: once the asker has its answer, every node shows the new state.
        await this.publish().catch(() => undefined);
        await this.o.settings.set(`node-result:${cmd.id}`, result);
      }
      this.recovered();
    } catch (err) {
      this.trouble('command poll', err as Error);
    }
  }

  private trouble(what: string, err: Error): void {
    if (this.storeDown) return; // said once until it works again
    this.storeDown = true;
    this.o.log.warn(`cluster ${what} failed: ${err.message}`);
  }

  private recovered(): void {
    if (!this.storeDown) return;
    this.storeDown = false;
    this.o.log.info('cluster heartbeat and commands work again');
  }
}

/** Sortable by time (commands are taken oldest first), unique by the random tail. */
function commandId(): string {
  return `${Date.now().toString(36).padStart(9, '0')}-${randomBytes(5).toString('hex')}`;
}
