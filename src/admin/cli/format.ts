// Plain-text output for people: aligned tables, relative times, sizes. `--json` output does not
// come through here; it is the API's answer as it is.
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../config/duration.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Columns padded to their widest cell; the last column is not padded (it may be long). */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

const STEPS: [number, string][] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1000, 's'],
];

/** "5m ago", "in 2h", "just now": the largest whole unit. */
export function relativeTime(at: number, now: number): string {
  const diff = now - at;
  const abs = Math.abs(diff);
  if (abs < 1000) return 'just now';
  const [unit, name] = STEPS.find(([u]) => abs >= u)!;
  const n = `${Math.floor(abs / unit)}${name}`;
  return diff >= 0 ? `${n} ago` : `in ${n}`;
}

/** ISO 8601 in UTC to the second: what log lines and tracking events show. */
export function isoTime(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) [v, i] = [v / 1024, i + 1];
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** `--since 1h` (a duration back from now) or `--since 2025-01-31T08:00:00Z`; epoch ms for the API. */
export function parseInstant(option: string, v: string, now: number): number {
  const back = parseDuration(v);
  if (back !== null) return now - back;
  const at = Date.parse(v);
  if (Number.isNaN(at)) throw new UsageError(`${option}: "${v}" is neither a duration (e.g. 30m, 1h, 2d) nor an ISO 8601 date-time`);
  return at;
}

/** Option parsers for commander (--limit, --offset); commander names the option in its error. */
export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('Not a positive whole number.');
  return n;
}

export function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('Not a whole number.');
  return n;
}

export function json(v: unknown): string {
  return JSON.stringify(v, null, 2);
}
