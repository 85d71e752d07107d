// Dashboard: queue sizes per queue and service states, refreshed every 2 s, with the mail
// waiting in the flow charted over the time the page is open.
import { useState } from 'react';
import { usePoll } from '../hooks.ts';
import { FINAL, STAGES, type QueueCount, type ServiceStatus } from '../types.ts';
import { Chart, type Point } from './Chart.tsx';

const KEEP = 150; // 5 minutes at 2 s

export function Dashboard() {
  const [series, setSeries] = useState<Record<string, Point[]>>({});
  const queues = usePoll<{ queues: Record<string, QueueCount> }>('/api/v1/queues', 2000, (d) => {
    const at = Date.now();
    const inFlow = STAGES.reduce((n, q) => n + (d.queues[q]?.total ?? 0), 0);
    const held = Object.entries(d.queues).filter(([q]) => !STAGES.includes(q) && !FINAL.includes(q)).reduce((n, [, c]) => n + c.total, 0);
    setSeries((s) => {
      const add = (k: string, v: number) => [...(s[k] ?? []), { at, value: v }].slice(-KEEP);
      return { flow: add('flow', inFlow), held: add('held', held), delivered: add('delivered', d.queues.delivered?.total ?? 0) };
    });
  });
  const services = usePoll<{ services: ServiceStatus[] }>('/api/v1/services', 2000);
  return (
    <>
      <h1>Dashboard</h1>
      {(queues.error || services.error) && <p role="alert" className="error">{queues.error ?? services.error}</p>}
      <section aria-labelledby="charts" className="charts">
        <h2 id="charts" className="sr-only">
          Over time
        </h2>
        <Chart title="Mail in the flow" points={series.flow ?? []} />
        <Chart title="Mail held or quarantined" points={series.held ?? []} />
        <Chart title="Delivered (total)" points={series.delivered ?? []} />
      </section>
      <div className="columns">
        <section aria-labelledby="q-title">
          <h2 id="q-title">Queues</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col">Mail</th>
                <th scope="col">Deferred</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(queues.data?.queues ?? {}).map(([q, c]) => (
                <tr key={q}>
                  <th scope="row">{q}</th>
                  <td className="num">{c.total}</td>
                  <td className="num">{c.deferred}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section aria-labelledby="s-title">
          <h2 id="s-title">Services</h2>
          <ul className="states">
            {(services.data?.services ?? []).map((s) => (
              <li key={s.name} aria-label={s.name}>
                <span>{s.name}</span> <span className={`state state-${s.state}`}>{s.state}</span>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </>
  );
}
