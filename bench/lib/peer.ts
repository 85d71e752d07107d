// What the driver needs to know about a server under test.
export interface Peer {
  name: 'postfix' | 'gatehouse';
  /** SMTP listener on 127.0.0.1. */
  smtpPort: number;
  /** The process whose tree is measured (Postfix: master; Gatehouse: the node process). */
  rootPid: number;
  /**
   * How peak RSS is taken: "hwm" = VmHWM of rootPid (reset before each load), plus the
   * sampled tree sum for reference; "tree" = highest sampled sum of RSS over the tree.
   */
  memory: 'hwm' | 'tree';
  /** With memory "hwm": the process whose VmHWM is read (default rootPid). */
  hwmPid?: number;
  /** Version / config facts for the report. */
  info: Record<string, unknown>;
  /** Last lines of the peer's log (for errors). */
  logTail(lines?: number): string;
  /** Stops the peer (graceful, then by force). */
  stop(): Promise<void>;
}

export function tail(text: string, lines = 30): string {
  const l = text.trimEnd().split('\n');
  return l.slice(-lines).join('\n');
}
