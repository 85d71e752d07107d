// A small SVG line chart of a time series (the dashboard keeps the points in memory).
export interface Point {
  at: number;
  value: number;
}

export function Chart({ title, points, unit = '' }: { title: string; points: Point[]; unit?: string }) {
  const w = 300, h = 80;
  const max = Math.max(1, ...points.map((p) => p.value));
  const t0 = points[0]?.at ?? 0, t1 = points[points.length - 1]?.at ?? 1;
  const x = (t: number) => (t1 === t0 ? w : ((t - t0) / (t1 - t0)) * w);
  const y = (v: number) => h - (v / max) * (h - 4) - 2;
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const last = points[points.length - 1]?.value ?? 0;
  return (
    <figure className="chart">
      <figcaption>
        {title}: <strong>{last}</strong>
        {unit}
      </figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${title}, now ${last}${unit}, highest ${max}`} preserveAspectRatio="none">
        <line x1="0" y1={h - 1} x2={w} y2={h - 1} stroke="#d9dde5" strokeWidth="1" vectorEffect="non-scaling-stroke" />
        <path d={d} fill="none" stroke="currentColor" strokeWidth="2" vectorEffect="non-scaling-stroke" />
      </svg>
    </figure>
  );
}
