// The error registry is the API's contract with its clients: every code the control can raise
// has an entry, and every entry is documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ControlErrorCode } from '../../services/system-manager/control.ts';
import { API_ERRORS, API_ERROR_CODES, problem, problemType } from './errors.ts';

// Compile time (tsc): a ControlErrorCode without a registry entry does not type-check here.
const _everyControlCode: Record<ControlErrorCode, { status: number }> = API_ERRORS;
void _everyControlCode;

/** ControlErrorCode is a type only, so at run time the union is read from control.ts itself. */
function controlErrorCodes(): string[] {
  const src = readFileSync(new URL('../../services/system-manager/control.ts', import.meta.url), 'utf8');
  const m = /export type ControlErrorCode\s*=([^;]*);/.exec(src);
  assert.ok(m, 'control.ts no longer declares `export type ControlErrorCode = ...;`');
  return [...m[1].matchAll(/'([A-Z_]+)'/g)].map((x) => x[1]);
}

test('every ControlErrorCode has a registry entry', () => {
  const codes = controlErrorCodes();
  assert.ok(codes.length > 0);
  const missing = codes.filter((c) => !Object.hasOwn(API_ERRORS, c));
  assert.deepEqual(missing, [], `add these to CONTROL_ERRORS in errors.ts: ${missing.join(', ')}`);
});

test('every registry entry has a status, a title and a description', () => {
  for (const code of API_ERROR_CODES) {
    const e = API_ERRORS[code];
    assert.match(code, /^[A-Z][A-Z_]*$/, `${code}: codes are SCREAMING_SNAKE_CASE`);
    assert.ok(e.status >= 400 && e.status < 600, `${code}: status ${e.status} is not an error status`);
    assert.ok(e.title.trim().length > 0, `${code}: no title`);
    assert.ok(e.description.trim().length >= 20, `${code}: the description must tell a client what happened and what to do`);
  }
});

test('the codes the brief names keep their statuses', () => {
  const expected: Record<string, number> = {
    UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, VALIDATION: 400, SERVICE_NOT_FOUND: 404, SERVICE_NOT_STOPPABLE: 409,
    SERVICE_DEACTIVATED: 409, SERVICE_NOT_DEACTIVATABLE: 409, MAIL_NOT_FOUND: 404, MAIL_BUSY: 409, MAIL_WRONG_QUEUE: 409,
    QUEUE_NOT_FOUND: 404, MAINTENANCE_MODE: 409, INTERNAL: 500,
  };
  for (const [code, status] of Object.entries(expected)) assert.equal(API_ERRORS[code as keyof typeof API_ERRORS]?.status, status, code);
});

test('a problem document has exactly type, title, status, detail and code', () => {
  const p = problem('MAIL_BUSY', 'mail x is being processed');
  assert.deepEqual(p, { type: 'urn:gatehouse:problem:mail-busy', title: API_ERRORS.MAIL_BUSY.title, status: 409, detail: 'mail x is being processed', code: 'MAIL_BUSY' });
  assert.equal(new Set(API_ERROR_CODES.map(problemType)).size, API_ERROR_CODES.length, 'problem types are unique');
});
