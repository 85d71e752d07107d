#!/usr/bin/env node
// The `gatehouse` command. Runs the bundled sources (dist/, rebuilt by esbuild when a source
// file is newer). More threads for file I/O: large bodies are fsync'd before their 250.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { ensureBuilt } = await import('../scripts/build.mjs');
const bundle = await ensureBuilt();
const { main } = await import(bundle);
process.exitCode = await main(process.argv);
