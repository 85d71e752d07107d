// The CLI's one way to the admin API: fetch with the bearer token, JSON in and out, and two
// error types the CLI turns into exit codes — a problem answer, or no answer at all.
import { Readable } from 'node:stream';

export class ApiProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${detail} (${code})`);
    this.name = 'ApiProblemError';
  }
}

export class ApiUnreachableError extends Error {
  constructor(
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach the admin API at ${url} — is the gateway running?`, options);
    this.name = 'ApiUnreachableError';
  }
}

type Query = Record<string, string | number | boolean | undefined>;

export interface ApiClient {
  readonly baseUrl: string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown, opts?: { timeoutMs?: number }): Promise<T>;
  /** GET of a non-JSON resource (e.g. a raw mail), as bytes. */
  getRaw(path: string): Promise<Buffer>;
  /** GET of a large resource (an export) as a stream, with the response headers. */
  getStream(path: string, query?: Query): Promise<{ headers: Headers; body: Readable }>;
  put<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Errors that mean "nobody answered at that address", as undici reports them in `cause`. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  return cause?.code ?? cause?.errors?.[0]?.code;
}

export function createApiClient(opts: ApiClientOptions): ApiClient {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;

  async function request<T>(
    method: string,
    path: string,
    query?: Query,
    body?: unknown,
    o: { timeoutMs?: number; raw?: boolean; stream?: boolean } = {},
  ): Promise<T> {
    const url = new URL(path, opts.baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token}`, accept: 'application/json' };
    // No content-type without a body: Fastify refuses an empty body declared as JSON.
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await doFetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(o.timeoutMs ?? timeoutMs) });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new ApiUnreachableError(opts.baseUrl, { cause: err });
      const code = causeCode(err);
      if (code && UNREACHABLE.has(code)) throw new ApiUnreachableError(opts.baseUrl, { cause: err });
      throw err;
    }
    if (o.raw && res.ok) return Buffer.from(await res.arrayBuffer()) as T;
    if (o.stream && res.ok && res.body) return { headers: res.headers, body: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) } as T;
    const text = await res.text();
    if (!res.ok) throw toProblem(res, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return {
    baseUrl: opts.baseUrl,
    get: (path, query) => request('GET', path, query),
    post: (path, body, o) => request('POST', path, undefined, body, o),
    getRaw: (path) => request('GET', path, undefined, undefined, { raw: true }),
    // No overall deadline for a download: it ends when the export does (a stall is the server's).
    getStream: (path, query) => request('GET', path, query, undefined, { stream: true, timeoutMs: 24 * 3600_000 }),
    put: (path, body) => request('PUT', path, undefined, body),
    delete: (path) => request('DELETE', path),
  };
}

/** A problem document when the server sent one; otherwise (a proxy, an old server) HTTP_<status>. */
function toProblem(res: Response, text: string): ApiProblemError {
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      const p = JSON.parse(text) as { code?: unknown; detail?: unknown; title?: unknown };
      if (typeof p.code === 'string') return new ApiProblemError(res.status, p.code, String(p.detail ?? p.title ?? res.statusText));
    } catch {
      // fall through: not JSON after all
    }
  }
  return new ApiProblemError(res.status, `HTTP_${res.status}`, res.statusText || 'request failed');
}
