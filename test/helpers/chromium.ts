// Debian's headless Chromium for the console e2e tests, driven by playwright-core, with the
// flags this machine needs (no background networking: the closed network refuses it), in a
// fresh profile dir; plus the folder where the tests leave their screenshots (not committed).
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { tempDir } from './tmp.ts';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** <tmp>/gatehouse-console-screens, made when missing. */
export function screenshotDir(): string {
  const dir = join(tmpdir(), 'gatehouse-console-screens');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A browser context of its own in a fresh user-data dir (`profile`, for removeTempDir afterwards). */
export async function launchChromium(): Promise<{ context: BrowserContext; profile: string }> {
  const profile = await tempDir('gatehouse-chromium-');
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  return { context, profile };
}
