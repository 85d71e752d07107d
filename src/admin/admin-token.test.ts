// The token file is the admin credential: created once, private to its owner, then reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminTokenPath, loadOrCreateAdminToken, readAdminToken } from './admin-token.ts';

test('the token is created with mode 0600 on first start and reused afterwards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-token-'));
  try {
    const dataDir = join(dir, 'data');
    assert.throws(() => readAdminToken(dataDir), { code: 'ENOENT' });
    const token = loadOrCreateAdminToken(dataDir);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(adminTokenPath(dataDir)).mode & 0o777, 0o600);
    assert.equal(loadOrCreateAdminToken(dataDir), token);
    assert.equal(readAdminToken(dataDir), token);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
