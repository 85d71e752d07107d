// Bundles src/ into dist/ with esbuild (dependencies stay in node_modules). The gateway runs
// from the bundle: no TypeScript loader thread at run time, ~30 MB less memory and a faster
// start. bin/gatehouse.js calls ensureBuilt(), which rebuilds only when a source file is newer;
// it also builds the web console (web/src → web/dist, with Vite) when a file of it is newer.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const entry = join(root, 'src', 'main.ts');
const bundle = join(out, 'main.mjs');

function newestSource(dir, newest = 0) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = newestSource(p, newest);
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const web = join(root, 'web');
const webIndex = join(web, 'dist', 'index.html');
const webLock = join(web, '.build-lock');

function webStale() {
  if (!existsSync(join(web, 'src'))) return false;
  if (!existsSync(webIndex)) return true;
  const built = statSync(webIndex).mtimeMs;
  const inputs = [join(web, 'index.html'), join(web, 'vite.config.ts')].filter(existsSync).map((f) => statSync(f).mtimeMs);
  return Math.max(newestSource(join(web, 'src')), ...inputs) > built;
}

/**
 * Builds web/dist through vite's build() API into a temporary folder that then replaces the old
 * one. A lock folder keeps concurrent starts (tests start many gateways) from building at once;
 * a lock older than two minutes is from a process that died and is taken over.
 */
export async function ensureWebBuilt({ force = false } = {}) {
  if (!force && !webStale()) return webIndex;
  for (;;) {
    try {
      mkdirSync(webLock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(webLock).mtimeMs > 120_000) rmSync(webLock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!force && !webStale()) return webIndex; // another process built it while we waited
    const { build: viteBuild } = await import('vite');
    const tmp = join(web, `dist.${process.pid}.tmp`);
    await viteBuild({ configFile: join(web, 'vite.config.ts'), build: { outDir: tmp, emptyOutDir: true }, logLevel: 'warn' });
    rmSync(join(web, 'dist'), { recursive: true, force: true });
    renameSync(tmp, join(web, 'dist'));
    return webIndex;
  } finally {
    rmSync(webLock, { recursive: true, force: true });
  }
}

export async function ensureBuilt({ force = false } = {}) {
  await ensureWebBuilt({ force });
  if (!force && existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(join(root, 'src'))) return bundle;
  mkdirSync(out, { recursive: true });
  const tmp = join(out, `main.${process.pid}.tmp.mjs`);
  await build({
    entryPoints: [entry],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // Files the code finds beside itself (import.meta.url) come along.
  cpSync(join(root, 'src/store/sqlite/migrations'), join(out, 'migrations'), { recursive: true });
  cpSync(join(root, 'src/store/postgres/migrations'), join(out, 'pg-migrations'), { recursive: true });
  cpSync(join(root, 'src/store/sqlite/checkpoint-worker.mjs'), join(out, 'checkpoint-worker.mjs'));
  if (existsSync(tmp + '.map')) renameSync(tmp + '.map', bundle + '.map');
  renameSync(tmp, bundle); // atomic: a concurrent start sees the old or the new bundle, never half
  return bundle;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureBuilt({ force: true });
  console.log(`built ${bundle}`);
}
