// Worker-thread entry for the spam benchmark: Node 20 does not hand the parent's --import hooks
// to worker threads, so this registers tsx and then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./spam-worker.ts');
