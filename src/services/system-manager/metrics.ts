// Prometheus metrics (prom-client): queue sizes and service states read at scrape time,
// plus counters the services bump.
import { Registry, Gauge, collectDefaultMetrics } from 'prom-client';
import type { QueueStore } from '../../store/store.ts';
import type { Supervisor } from './supervisor.ts';

export class Metrics {
  readonly registry = new Registry();
  constructor(queue: QueueStore, supervisor: () => Supervisor) {
    collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_process_' });
    new Gauge({
      name: 'gatehouse_queue_mails',
      help: 'Mails in each queue (final states included)',
      labelNames: ['queue', 'deferred'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [q, c] of Object.entries(await queue.counts())) {
          this.set({ queue: q, deferred: 'false' }, c.total - c.deferred);
          this.set({ queue: q, deferred: 'true' }, c.deferred);
        }
      },
    });
    new Gauge({
      name: 'gatehouse_service_up',
      help: 'Service state: 1 running, 0 otherwise',
      labelNames: ['service', 'state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of supervisor().list()) this.set({ service: s.name, state: s.state }, s.state === 'running' ? 1 : 0);
      },
    });
  }
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
