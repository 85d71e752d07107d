// The shared clock and the per-message token used to match a mail at the proxy with the same
// mail at the sink.
//
// Clock: process.hrtime.bigint() is CLOCK_MONOTONIC, one system-wide clock, so times taken in
// the proxy process and in the sink process can be subtracted directly.
//
// Token: smtp-source writes "Message-Id: <PID.FD.COUNT@host>" into every message, where PID is
// smtp-source's pid (hex), FD the session's socket fd and COUNT the number of messages still to
// start when this message's DATA was sent (see data_done() in postfix/src/smtpstone/smtp-source.c).
// Postfix and Gatehouse keep the header, so the sink sees it too. It is unique in practice but
// not by construction (two sessions can read the same COUNT, and a closed fd can be reused by a
// later connection), so the driver drops any token seen twice from the latency figures and
// reports how many. smtp-source -N would give a guaranteed-unique token (it numbers the
// recipients: 1user@..., 2user@...), at the price of changing the recipient addresses; see
// BENCH_TOKEN=rcpt in bench/smtp.ts.

/** Monotonic time in milliseconds (fractional). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const MSGID = /(?:^|\n)message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^>\r\n]*>)/i;

/**
 * The Message-Id in the start of a message. Returns the id, null when the header block is
 * complete (or `final`) and has none, undefined when more of the message is needed.
 */
export function extractMessageId(head: string, final = false): string | null | undefined {
  let end = head.indexOf('\r\n\r\n');
  if (end < 0) end = head.indexOf('\n\n');
  const block = end < 0 ? head : head.slice(0, end + 1);
  const m = MSGID.exec(block);
  if (m) return m[1];
  return end >= 0 || final ? null : undefined;
}

/** Recipient token: "123user@bench.test" (smtp-source -N) -> "123user@bench.test" lower-cased. */
export function rcptToken(addr: string): string {
  return addr.trim().replace(/^<|>$/g, '').toLowerCase();
}
