// Temporary directories for tests (gateway data dirs, smtp-sink dumps), removed again afterwards.
// Set GATEHOUSE_KEEP_TMP=1 to keep them for post-mortem inspection.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

const created = new Set<string>();

/** A new empty directory under os.tmpdir(), named `<prefix>XXXXXX` (an absolute prefix is used as is). */
export async function tempDir(prefix = 'gatehouse-test-'): Promise<string> {
  const dir = await mkdtemp(isAbsolute(prefix) ? prefix : join(tmpdir(), prefix));
  created.add(dir);
  return dir;
}

/** Removes `dir` (recursively), or every directory made by tempDir() when no dir is given. */
export async function removeTempDir(dir?: string): Promise<void> {
  if (process.env.GATEHOUSE_KEEP_TMP === '1') return;
  const dirs = dir === undefined ? [...created] : [dir];
  for (const d of dirs) {
    await rm(d, { recursive: true, force: true, maxRetries: 3 });
    created.delete(d);
  }
}
