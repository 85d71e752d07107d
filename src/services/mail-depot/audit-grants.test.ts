// Audit grants and scopes: a grant ends at its time or when revoked; an auditor with several
// grants must name one; narrow() ANDs the grant's query and window with the auditor's own (never
// widening it), and a user's scope is their addresses — or nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import { createLogger } from '../log-manager/logger.ts';
import { ComplianceLog } from '../compliance-log/index.ts';
import { ControlError } from '../system-manager/control.ts';
import { AuditGrants, type AuditGrant } from './audit-grants.ts';
import { narrow } from './archive-scope.ts';
import { parseQuery } from './query.ts';

const JAN = Date.UTC(2025, 0, 1);
const MAR = Date.UTC(2025, 2, 1);

test('grants: checked, in force until they end or are revoked, each change in the compliance log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-grants-'));
  const store = openSqliteStore(dir);
  try {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const log = new ComplianceLog(store.compliance, createLogger('test', []));
    const grants = new AuditGrants(store.settings, log, () => clock.now);
    const invalid = (e: ControlError) => e.code === 'AUDIT_GRANT_INVALID';
    await assert.rejects(grants.grant({ auditor: 'audrey', query: '', from: MAR, until: JAN, expiresAt: clock.now + 1000 }, 'admin'), invalid);
    await assert.rejects(grants.grant({ auditor: 'audrey', query: '', from: JAN, until: MAR, expiresAt: clock.now }, 'admin'), invalid);
    await assert.rejects(grants.grant({ auditor: 'audrey', query: 'has:pictures', from: JAN, until: MAR, expiresAt: clock.now + 1000 }, 'admin'), invalid);

    assert.equal(await grants.inForceFor('audrey'), null, 'no grant: nothing');
    const a = await grants.grant({ auditor: 'audrey', query: 'budget', from: JAN, until: MAR, expiresAt: clock.now + 1000 }, 'admin');
    assert.equal((await grants.inForceFor('audrey'))?.id, a.id);
    const b = await grants.grant({ auditor: 'audrey', query: '', from: JAN, until: MAR, expiresAt: clock.now + 5000 }, 'admin');
    await assert.rejects(grants.inForceFor('audrey'), (e: ControlError) => e.code === 'AUDIT_GRANT_INVALID' && e.message.includes(a.id));
    assert.equal((await grants.inForceFor('audrey', b.id))?.id, b.id);
    await assert.rejects(grants.inForceFor('otto', b.id), (e: ControlError) => e.code === 'AUDIT_GRANT_NOT_FOUND', 'another auditor cannot use it');

    clock.now += 2000; // a has ended
    assert.deepEqual((await grants.list()).map((g) => g.id), [b.id]);
    assert.deepEqual((await grants.list({ withEnded: true })).map((g) => g.id), [a.id, b.id]);
    await assert.rejects(grants.revoke(a.id, 'admin'), (e: ControlError) => e.code === 'AUDIT_GRANT_NOT_FOUND');
    const r = await grants.revoke(b.id, 'root');
    assert.deepEqual([r.revokedBy, r.revokedAt], ['root', clock.now]);
    assert.equal(await grants.inForceFor('audrey'), null);
    const records = await log.list({ category: 'archive' });
    assert.deepEqual(records.map((x) => [x.action, x.subject, x.actor]), [['audit.revoke', b.id, 'root'], ['audit.grant', b.id, 'admin'], ['audit.grant', a.id, 'admin']]);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('narrow: the grant ANDs its query and window with the auditor\'s; a user gets their addresses or nothing', () => {
  const grant = { id: 'G1', query: 'subject:budget', from: JAN, until: MAR } as AuditGrant;
  const audit = { kind: 'audit' as const, auditor: 'audrey', grant, grantQuery: parseQuery(grant.query) };
  const n = narrow(parseQuery('from:alice'), audit)!;
  assert.deepEqual(n.terms.map((t) => [t.field, t.text, !!t.negate]), [['subject', 'budget', false], ['from', 'alice', false]]);
  assert.deepEqual([n.after, n.before], [JAN, MAR]);
  assert.deepEqual(narrow(parseQuery('after:2025-02-01 before:2026-01-01'), audit)?.after, Date.UTC(2025, 1, 1), 'narrowed, never widened');
  assert.equal(narrow(parseQuery('before:2026-01-01'), audit)?.before, MAR);
  assert.equal(narrow(parseQuery('after:2025-03-01'), audit), null, 'outside the window: nothing');
  assert.equal(narrow(parseQuery(''), { ...audit, grant: null, grantQuery: null }), null);
  assert.deepEqual(narrow(parseQuery('x'), { kind: 'own', user: 'u', addresses: ['Bob@Example.Test'] })?.participants, ['bob@example.test']);
  assert.equal(narrow(parseQuery('x'), { kind: 'own', user: 'u', addresses: [] }), null);
  assert.deepEqual(narrow(parseQuery('x'), undefined), parseQuery('x'), 'admin: unchanged');
});
