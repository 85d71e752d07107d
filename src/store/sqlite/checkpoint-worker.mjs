// Runs SQLite WAL checkpoints on a thread of their own, so the fsyncs of a checkpoint never
// stall the event loop of the gateway. Plain JS: a worker does not inherit the tsx loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file);
db.pragma('busy_timeout = 2000');
db.pragma('synchronous = FULL');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort?.postMessage({ error: String(err && err.message) });
  }
}, workerData.intervalMs ?? 500);
parentPort?.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      /* the next start checkpoints anyway */
    }
    db.close();
    parentPort?.postMessage({ stopped: true });
  }
});
