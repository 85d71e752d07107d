// The admin API as the support user reaches it: a second, in-process instance of the same
// Fastify app over the same ApplianceControl, called with `inject` (nothing listens on a port)
// and with its own random token that exists only for one session. Each call has a deadline.
import { randomBytes } from 'node:crypto';
import { createAdminServer } from '../../admin/api/server.ts';
import type { ApplianceControl } from '../system-manager/control.ts';
import type { Logger } from '../log-manager/logger.ts';

export interface RelayRequest {
  method: string;
  url: string;
  body?: unknown;
  accept?: string;
}

export interface RelayResponse {
  status: number;
  contentType: string | null;
  body: string;
}

export interface AdminRelay {
  call(r: RelayRequest): Promise<RelayResponse>;
  close(): Promise<void>;
}

const CALL_DEADLINE_MS = 30_000;

export function createAdminRelay(control: ApplianceControl, log: Logger): AdminRelay {
  const token = randomBytes(32).toString('base64url');
  const server = createAdminServer({ control, token, listen: '127.0.0.1:0', log });
  return {
    async call(r) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: r.accept ?? 'application/json' };
      let payload: string | undefined;
      if (r.body !== undefined && r.body !== null) {
        payload = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
        headers['content-type'] = 'application/json';
      }
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the admin API did not answer within ${CALL_DEADLINE_MS / 1000}s`)), CALL_DEADLINE_MS);
      });
      try {
        const res = await Promise.race([server.app.inject({ method: r.method as 'GET', url: r.url, headers, payload }), deadline]);
        const ct = res.headers['content-type'];
        return { status: res.statusCode, contentType: typeof ct === 'string' ? ct : null, body: res.body };
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => server.stop(),
  };
}
