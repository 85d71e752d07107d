// Parent-side handles of the two helper processes: the recording sink and the timing proxy.
import { forkTs, Rpc, stopChild, waitReady } from './children.ts';

export interface SinkDump {
  ids: (string | null)[];
  times: number[];
  sizes: number[];
  rcpts: string[];
  connections: number;
  firstArrival: number;
  lastArrival: number;
}

export interface ProxyDump {
  ids: (string | null)[];
  rcpts: string[];
  tDots: number[];
  tReplies: number[];
  codes: number[];
  firstConnect: number;
  lastReply: number;
  connections: number;
  accepted: number;
  rejected: number;
  protocolErrors: number;
}

export interface Agent {
  port: number;
  pid: number;
  /** Sink only: greeting hold-back in ms (0 = patched out, 100 = smtp-server's stock behaviour). */
  greetingDelayMs?: number;
  rpc: Rpc;
  stop(): Promise<void>;
}

async function startAgent(file: string, name: string, args: string[]): Promise<Agent> {
  const child = forkTs(new URL(file, import.meta.url), args);
  const ready = await waitReady<{ port: number; pid: number; greetingDelayMs?: number }>(child, name);
  return { ...ready, rpc: new Rpc(child, name), stop: () => stopChild(child, 3000) };
}

/** The recording sink (smtp-server) on 127.0.0.1, a free port. */
export const startSink = () => startAgent('./sink-child.ts', 'sink', ['0']);

/** A timing proxy on 127.0.0.1 (free port) forwarding to 127.0.0.1:targetPort. */
export const startProxy = (targetPort: number) => startAgent('./proxy-child.ts', 'proxy', ['0', '127.0.0.1', String(targetPort)]);
