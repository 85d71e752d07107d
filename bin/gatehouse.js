#!/usr/bin/env node
// The `gatehouse` command: runs the TypeScript sources through tsx (no build step needed).
// More threads for file I/O: every accepted mail is fsync'd before its 250.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
